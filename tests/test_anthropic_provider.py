"""The Anthropic adapter, driven through the real ``anthropic`` SDK against a local fake server."""

from __future__ import annotations

import socket
import traceback
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager

import httpx2
import pytest

from providers import (
    ChatProvider,
    Chunk,
    Message,
    ProviderError,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
    RequestRejected,
    StreamInterrupted,
    Usage,
)
from providers.anthropic_provider import OPENING_PLACEHOLDER, AnthropicProvider
from tests.fakes.anthropic_server import (
    Fail,
    FakeAnthropic,
    Reply,
    Truncate,
    run_fake_anthropic,
)

# Content no error message may ever repeat (stands in for pseudonymised customer text).
CANARY = "zebra-canary-7731"
SYSTEM = "You are a support assistant.\n<customer>\nid: CUS-10001\n</customer>"
MESSAGES = [Message("system", SYSTEM), Message("user", f"Where is my parcel? {CANARY}")]
MODEL = "claude-haiku-4-5"


@pytest.fixture
def fake() -> Iterator[FakeAnthropic]:
    with run_fake_anthropic() as server:
        yield server


@asynccontextmanager
async def anthropic_provider(base_url: str, **kwargs: object) -> AsyncIterator[AnthropicProvider]:
    provider = AnthropicProvider(api_key="sk-ant-test", base_url=base_url, **kwargs)  # type: ignore[arg-type]
    try:
        yield provider
    finally:
        await provider.aclose()


async def collect(
    provider: AnthropicProvider, messages: Sequence[Message] = MESSAGES
) -> list[Chunk]:
    stream = provider.stream(messages, model=MODEL, max_tokens=200, temperature=0.2)
    return [chunk async for chunk in stream]


async def stream_failure(provider: AnthropicProvider) -> tuple[list[Chunk], ProviderError]:
    chunks: list[Chunk] = []
    with pytest.raises(ProviderError) as caught:
        async for chunk in provider.stream(MESSAGES, model=MODEL, max_tokens=200, temperature=0.2):
            chunks.append(chunk)
    return chunks, caught.value


def assert_no_request_content(error: ProviderError) -> None:
    # Neither the message nor a logged traceback may carry what the request (or reply) said.
    assert CANARY not in "".join(traceback.format_exception(error))


async def test_it_is_a_chat_provider(fake: FakeAnthropic) -> None:
    async with anthropic_provider(fake.base_url) as provider:
        assert isinstance(provider, ChatProvider)
        assert provider.name == "anthropic"


async def test_stream_yields_the_text_and_the_usage_the_server_reported(
    fake: FakeAnthropic,
) -> None:
    fake.script(Reply("Your parcel left the warehouse today.", input_tokens=42, output_tokens=9))
    async with anthropic_provider(fake.base_url) as provider:
        chunks = await collect(provider)
    texts = [c.text for c in chunks if c.text]
    assert "".join(texts) == "Your parcel left the warehouse today."
    assert len(texts) > 1, "the answer must arrive in several pieces, not at the end"
    assert chunks[-1] == Chunk("", finish_reason="stop", usage=Usage(42, 9))
    assert chunks[0] == Chunk("", usage=Usage(42, 0)), "input tokens reported as soon as known"
    assert all(c.finish_reason is None and c.usage is None for c in chunks[1:-1])


@pytest.mark.parametrize(
    ("stop_reason", "expected"),
    [("max_tokens", "length"), ("end_turn", "stop"), ("refusal", "refusal")],
)
async def test_stop_reasons_are_reported_in_the_interfaces_terms(
    fake: FakeAnthropic, stop_reason: str, expected: str
) -> None:
    fake.script(Reply("Cut short", stop_reason=stop_reason), Reply(stop_reason=stop_reason))
    async with anthropic_provider(fake.base_url) as provider:
        chunks = await collect(provider)
        completion = await provider.complete(MESSAGES, model=MODEL, max_tokens=5, temperature=0)
    assert chunks[-1].finish_reason == expected
    assert completion.finish_reason == expected


async def test_system_prompt_goes_to_the_system_parameter_not_the_messages(
    fake: FakeAnthropic,
) -> None:
    async with anthropic_provider(fake.base_url) as provider:
        await collect(provider)
    body = fake.requests[-1]
    assert body["system"] == SYSTEM
    assert body["messages"] == [{"role": "user", "content": f"Where is my parcel? {CANARY}"}]
    assert body["model"] == MODEL and body["max_tokens"] == 200 and body["stream"] is True
    # API version 2026-10-21 answers 400 to any sampling parameter, even a default one.
    assert not {"temperature", "top_p", "top_k"} & body.keys()
    headers = fake.request_headers[-1]
    assert headers["authorization"] == "Bearer sk-ant-test"
    assert headers["anthropic-version"]


async def test_no_system_parameter_is_sent_without_system_text(fake: FakeAnthropic) -> None:
    async with anthropic_provider(fake.base_url) as provider:
        await collect(provider, [Message("user", "Hello")])
    assert "system" not in fake.requests[-1]


async def test_the_conversation_is_made_to_alternate_and_open_with_the_user(
    fake: FakeAnthropic,
) -> None:
    messages = [
        Message("system", "Rules."),
        Message("assistant", "Hi, how can I help?"),
        Message("user", "My order is late."),
        Message("user", "It is ORD-200001."),
        Message("assistant", "Let me check."),
        Message("assistant", ""),
        Message("system", "More context."),
        Message("user", "Thanks."),
    ]
    async with anthropic_provider(fake.base_url) as provider:
        await collect(provider, messages)
    body = fake.requests[-1]
    assert body["system"] == "Rules.\n\nMore context."
    assert body["messages"] == [
        {"role": "user", "content": OPENING_PLACEHOLDER},
        {"role": "assistant", "content": "Hi, how can I help?"},
        {"role": "user", "content": "My order is late.\n\nIt is ORD-200001."},
        {"role": "assistant", "content": "Let me check."},
        {"role": "user", "content": "Thanks."},
    ]


async def test_complete_returns_text_usage_and_finish_reason(fake: FakeAnthropic) -> None:
    fake.script(Reply("Refunds take 5 business days.", input_tokens=30, output_tokens=7))
    async with anthropic_provider(fake.base_url) as provider:
        completion = await provider.complete(MESSAGES, model=MODEL, max_tokens=100, temperature=0)
    assert completion.text == "Refunds take 5 business days."
    assert completion.usage == Usage(30, 7)
    assert completion.finish_reason == "stop"
    assert completion.model == MODEL
    assert completion.latency_ms > 0
    assert completion.extra == {"provider": "anthropic", "response_id": "msg_fake"}
    body = fake.requests[-1]
    assert body["stream"] is False and body["system"] == SYSTEM


async def test_a_supplied_http_client_is_used_and_left_open(fake: FakeAnthropic) -> None:
    async with httpx2.AsyncClient() as client:
        async with anthropic_provider(fake.base_url, http_client=client) as provider:
            chunks = await collect(provider)
        assert chunks[-1].finish_reason == "stop"
        assert not client.is_closed


@pytest.mark.parametrize(
    ("headers", "expected"),
    [({"Retry-After": "7"}, 7.0), ({"retry-after-ms": "1500", "retry-after": "9"}, 1.5)],
)
async def test_429_becomes_rate_limited_with_retry_after(
    fake: FakeAnthropic, headers: dict[str, str], expected: float
) -> None:
    fake.script(Fail(429, headers=headers, message=f"Slow down: {CANARY}"))
    async with anthropic_provider(fake.base_url) as provider:
        chunks, error = await stream_failure(provider)
    assert chunks == []
    assert isinstance(error, RateLimited)
    assert error.retry_after == expected
    assert error.retryable and error.status == 429 and error.provider == "anthropic"
    assert_no_request_content(error)


@pytest.mark.parametrize("status", [529, 500, 503])
async def test_overload_and_server_errors_become_provider_unavailable(
    fake: FakeAnthropic, status: int
) -> None:
    fake.script(Fail(status, message=f"Busy: {CANARY}"), Fail(status))
    async with anthropic_provider(fake.base_url) as provider:
        _, streamed = await stream_failure(provider)
        with pytest.raises(ProviderUnavailable) as completed:
            await provider.complete(MESSAGES, model=MODEL, max_tokens=10, temperature=0)
    assert isinstance(streamed, ProviderUnavailable)
    assert streamed.status == status and streamed.retryable
    assert completed.value.status == status
    assert_no_request_content(streamed)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 413, 422])
async def test_client_errors_become_request_rejected_without_request_content(
    fake: FakeAnthropic, status: int
) -> None:
    # Real providers sometimes quote the offending input back in their error message.
    fake.script(Fail(status, message=f"Invalid content: {CANARY}"))
    async with anthropic_provider(fake.base_url) as provider:
        _, error = await stream_failure(provider)
    assert isinstance(error, RequestRejected)
    assert not error.retryable and error.status == status
    assert_no_request_content(error)


@pytest.mark.parametrize("abort", [True, False], ids=["connection-dropped", "body-ended"])
async def test_truncated_stream_yields_partial_text_then_interrupts(
    fake: FakeAnthropic, abort: bool
) -> None:
    fake.script(Truncate(["The refund ", "was issued "], abort=abort))
    async with anthropic_provider(fake.base_url) as provider:
        chunks, error = await stream_failure(provider)
    assert "".join(c.text for c in chunks) == "The refund was issued "
    assert isinstance(error, StreamInterrupted)
    assert all(c.finish_reason is None for c in chunks)


async def test_an_error_event_after_text_interrupts_the_stream(fake: FakeAnthropic) -> None:
    fake.script(Truncate([f"Your parcel {CANARY} "], error_type="overloaded_error"))
    async with anthropic_provider(fake.base_url) as provider:
        chunks, error = await stream_failure(provider)
    assert [c.text for c in chunks if c.text] == [f"Your parcel {CANARY} "]
    assert isinstance(error, StreamInterrupted)
    assert_no_request_content(error)


async def test_an_error_event_before_any_text_is_an_outage_not_a_rejection(
    fake: FakeAnthropic,
) -> None:
    fake.script(Truncate([], error_type="overloaded_error"))
    async with anthropic_provider(fake.base_url) as provider:
        chunks, error = await stream_failure(provider)
    assert [c for c in chunks if c.text] == []
    assert isinstance(error, ProviderUnavailable) and error.retryable


@pytest.mark.parametrize(
    ("chunks", "expected"), [([], ProviderUnavailable), (["Partial "], StreamInterrupted)]
)
async def test_a_malformed_event_breaks_the_stream(
    fake: FakeAnthropic, chunks: list[str], expected: type[ProviderError]
) -> None:
    fake.script(Truncate(chunks, malformed=True, abort=False))
    async with anthropic_provider(fake.base_url) as provider:
        received, error = await stream_failure(provider)
    assert [c.text for c in received if c.text] == chunks
    assert type(error) is expected and error.retryable


async def test_slow_first_byte_times_out(fake: FakeAnthropic) -> None:
    fake.script(Reply("late", delay_s=1.0), Reply("late", delay_s=1.0))
    async with anthropic_provider(fake.base_url, timeout_s=0.3) as provider:
        chunks, error = await stream_failure(provider)
        with pytest.raises(ProviderTimeout):
            await provider.complete(MESSAGES, model=MODEL, max_tokens=10, temperature=0)
    assert chunks == []
    assert isinstance(error, ProviderTimeout) and error.retryable


async def test_a_stall_mid_stream_interrupts_after_the_partial_text(fake: FakeAnthropic) -> None:
    fake.script(Reply(chunks=["First ", "second"], chunk_delay_s=1.0))
    async with anthropic_provider(fake.base_url, timeout_s=0.3) as provider:
        chunks, error = await stream_failure(provider)
    assert [c.text for c in chunks if c.text] == ["First "]
    assert isinstance(error, StreamInterrupted)


async def test_unreachable_server_is_provider_unavailable() -> None:
    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    async with anthropic_provider(f"http://127.0.0.1:{port}", timeout_s=2.0) as provider:
        with pytest.raises(ProviderUnavailable) as completed:
            await provider.complete(MESSAGES, model=MODEL, max_tokens=10, temperature=0)
        _, streamed = await stream_failure(provider)
    assert isinstance(streamed, ProviderUnavailable)
    assert_no_request_content(completed.value)
