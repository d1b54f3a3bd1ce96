"""The OpenAI adapter, driven through the real ``openai`` SDK against a local fake server."""

from __future__ import annotations

import socket
import traceback
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import httpx
import pytest

from providers import (
    Chunk,
    Message,
    OpenAIProvider,
    ProviderError,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
    RequestRejected,
    StreamInterrupted,
    Usage,
)
from providers.retry_after import parse_retry_after
from tests.fakes.openai_server import Fail, FakeOpenAI, Reply, Truncate, run_fake_openai

# Content no error message may ever repeat (stands in for pseudonymised customer text).
CANARY = "zebra-canary-7731"
MESSAGES = [
    Message("system", "You are a support assistant."),
    Message("user", f"Where is my parcel? {CANARY}"),
]


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with run_fake_openai() as server:
        yield server


@asynccontextmanager
async def openai_provider(base_url: str, **kwargs: object) -> AsyncIterator[OpenAIProvider]:
    provider = OpenAIProvider(api_key="sk-test", base_url=base_url, **kwargs)  # type: ignore[arg-type]
    try:
        yield provider
    finally:
        await provider.aclose()


async def collect(provider: OpenAIProvider, model: str = "gpt-4o-mini") -> list[Chunk]:
    chunks: list[Chunk] = []
    async for chunk in provider.stream(MESSAGES, model=model, max_tokens=200, temperature=0.2):
        chunks.append(chunk)
    return chunks


async def stream_failure(provider: OpenAIProvider) -> tuple[list[Chunk], ProviderError]:
    chunks: list[Chunk] = []
    with pytest.raises(ProviderError) as caught:
        async for chunk in provider.stream(
            MESSAGES, model="gpt-4o-mini", max_tokens=200, temperature=0.2
        ):
            chunks.append(chunk)
    return chunks, caught.value


async def test_stream_yields_the_text_and_the_usage_the_server_reported(fake: FakeOpenAI) -> None:
    fake.script(
        Reply("Your parcel left the warehouse today.", prompt_tokens=42, completion_tokens=9)
    )
    async with openai_provider(fake.base_url) as provider:
        chunks = await collect(provider)
    texts = [c.text for c in chunks if c.text]
    assert "".join(texts) == "Your parcel left the warehouse today."
    assert len(texts) > 1, "the answer must arrive in several pieces, not at the end"
    assert chunks[-1].finish_reason == "stop"
    assert chunks[-1].usage == Usage(input_tokens=42, output_tokens=9)
    assert all(c.finish_reason is None for c in chunks[:-1])


async def test_stream_request_asks_for_usage_and_carries_the_messages(fake: FakeOpenAI) -> None:
    async with openai_provider(fake.base_url) as provider:
        await collect(provider)
    body = fake.requests[-1]
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}
    assert body["model"] == "gpt-4o-mini"
    assert body["messages"] == [{"role": m.role, "content": m.content} for m in MESSAGES]
    assert body["max_completion_tokens"] == 200
    assert body["temperature"] == 0.2


async def test_reasoning_models_are_not_sent_a_temperature(fake: FakeOpenAI) -> None:
    async with openai_provider(fake.base_url) as provider:
        await collect(provider, model="gpt-5-mini")
    assert "temperature" not in fake.requests[-1]


async def test_complete_returns_text_usage_and_finish_reason(fake: FakeOpenAI) -> None:
    fake.script(Reply("Refunds take 5 business days.", prompt_tokens=30, completion_tokens=7))
    async with openai_provider(fake.base_url) as provider:
        completion = await provider.complete(
            MESSAGES, model="gpt-4o-mini", max_tokens=100, temperature=0.0
        )
    assert completion.text == "Refunds take 5 business days."
    assert completion.usage == Usage(30, 7)
    assert completion.finish_reason == "stop"
    assert completion.model == "gpt-4o-mini"
    assert completion.latency_ms > 0
    assert fake.requests[-1]["stream"] is False


async def test_a_supplied_http_client_is_used_and_left_open(fake: FakeOpenAI) -> None:
    async with httpx.AsyncClient() as client:
        async with openai_provider(fake.base_url, http_client=client) as provider:
            chunks = await collect(provider)
        assert chunks[-1].finish_reason == "stop"
        assert not client.is_closed


@pytest.mark.parametrize(
    ("headers", "expected"),
    [({"Retry-After": "7"}, 7.0), ({"retry-after-ms": "1500", "retry-after": "9"}, 1.5)],
)
async def test_429_becomes_rate_limited_with_retry_after(
    fake: FakeOpenAI, headers: dict[str, str], expected: float
) -> None:
    fake.script(Fail(429, headers=headers))
    async with openai_provider(fake.base_url) as provider:
        chunks, error = await stream_failure(provider)
    assert chunks == []
    assert isinstance(error, RateLimited)
    assert error.retry_after == expected
    assert error.retryable and error.status == 429 and error.provider == "openai"


async def test_exhausted_quota_is_not_retryable(fake: FakeOpenAI) -> None:
    fake.script(Fail(429, code="insufficient_quota"))
    async with openai_provider(fake.base_url) as provider:
        _, error = await stream_failure(provider)
    assert isinstance(error, RequestRejected)
    assert not error.retryable


async def test_500_becomes_provider_unavailable(fake: FakeOpenAI) -> None:
    fake.script(Fail(500), Fail(503))
    async with openai_provider(fake.base_url) as provider:
        _, streamed = await stream_failure(provider)
        with pytest.raises(ProviderUnavailable) as completed:
            await provider.complete(MESSAGES, model="gpt-4o-mini", max_tokens=10, temperature=0)
    assert isinstance(streamed, ProviderUnavailable) and streamed.status == 500
    assert completed.value.status == 503 and completed.value.retryable


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
async def test_client_errors_become_request_rejected_without_request_content(
    fake: FakeOpenAI, status: int
) -> None:
    # Real providers sometimes quote the offending input back in their error message.
    fake.script(Fail(status, message=f"Invalid content: {CANARY}"))
    async with openai_provider(fake.base_url) as provider:
        _, error = await stream_failure(provider)
    assert isinstance(error, RequestRejected)
    assert not error.retryable and error.status == status
    # Neither the message nor a logged traceback may carry what the request said.
    assert CANARY not in "".join(traceback.format_exception(error))


@pytest.mark.parametrize("abort", [True, False], ids=["connection-dropped", "body-ended"])
async def test_truncated_stream_yields_partial_text_then_interrupts(
    fake: FakeOpenAI, abort: bool
) -> None:
    fake.script(Truncate(["The refund ", "was issued "], abort=abort))
    async with openai_provider(fake.base_url) as provider:
        chunks, error = await stream_failure(provider)
    assert "".join(c.text for c in chunks) == "The refund was issued "
    assert isinstance(error, StreamInterrupted)
    assert all(c.finish_reason is None for c in chunks)


async def test_slow_first_token_times_out(fake: FakeOpenAI) -> None:
    fake.script(Reply("late", delay_s=1.0))
    async with openai_provider(fake.base_url, timeout_s=0.3) as provider:
        chunks, error = await stream_failure(provider)
    assert chunks == []
    assert isinstance(error, ProviderTimeout)


async def test_unreachable_server_is_provider_unavailable() -> None:
    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    async with openai_provider(f"http://127.0.0.1:{port}/v1", timeout_s=2.0) as provider:
        with pytest.raises(ProviderUnavailable):
            await provider.complete(MESSAGES, model="gpt-4o-mini", max_tokens=10, temperature=0)


def test_retry_after_accepts_seconds_milliseconds_and_http_dates() -> None:
    assert parse_retry_after({"Retry-After": "3"}) == 3.0
    assert parse_retry_after({"retry-after-ms": "250"}) == 0.25
    now = 1_700_000_000.0  # 2023-11-14 22:13:20 GMT
    assert parse_retry_after({"retry-after": "Tue, 14 Nov 2023 22:13:30 GMT"}, now=now) == 10.0
    assert parse_retry_after({"retry-after": "soon"}) is None
    assert parse_retry_after({}) is None
