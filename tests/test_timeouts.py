"""Timeouts: a slow start, a stall or an overlong call ends the wait, and the stream is released.

These run on real time (a deadline must cancel a real pending read), with waits under 0.5 s.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator

import pytest

from providers import (
    Chunk,
    Instrumented,
    Message,
    OpenAIProvider,
    ProviderTimeout,
    Retrying,
    StreamInterrupted,
    Timeouts,
    Usage,
    tracing,
)
from tests.fakes.clock import FakeClock
from tests.fakes.openai_server import FakeOpenAI, Reply, run_fake_openai
from tests.fakes.scripted_provider import Answer, ScriptedProvider

MESSAGES = [Message("system", "<audience>customer</audience>"), Message("user", "Refunds?")]


def timed(
    *steps: Answer, first_token_s: float = 1.0, stall_s: float = 1.0, total_s: float = 2.0
) -> tuple[Timeouts, ScriptedProvider]:
    """Timeouts over a scripted provider that sleeps for real."""
    scripted = ScriptedProvider("primary", list(steps))
    wrapped = Timeouts(scripted, first_token_s=first_token_s, stall_s=stall_s, total_s=total_s)
    return wrapped, scripted


async def drain(stream: AsyncIterator[Chunk], sink: list[Chunk]) -> None:
    """Collect chunks into ``sink`` (kept when the stream raises)."""
    async for chunk in stream:
        sink.append(chunk)


async def test_a_fast_stream_passes_through_untouched() -> None:
    provider, _ = timed(Answer(["Refunds ", "take 5 days."], usage=Usage(9, 4)))
    chunks: list[Chunk] = []
    await drain(provider.stream(MESSAGES, model="m", max_tokens=50, temperature=0), chunks)
    assert [c.text for c in chunks] == ["Refunds ", "take 5 days.", ""]
    assert chunks[-1].finish_reason == "stop" and chunks[-1].usage == Usage(9, 4)


async def test_a_slow_first_token_times_out_and_cancels_the_read() -> None:
    provider, scripted = timed(Answer(["Late."], delays=[5.0]), first_token_s=0.05)
    started = time.perf_counter()
    with pytest.raises(ProviderTimeout, match="first token"):
        await drain(provider.stream(MESSAGES, model="m", max_tokens=50, temperature=0), [])
    assert time.perf_counter() - started < 0.5
    assert scripted.calls[0].outcome == "cancelled"


async def test_chunks_without_text_do_not_count_as_the_first_token() -> None:
    keepalives = Answer(["", "", "", "", "Late."], delays=[0.03] * 5)
    provider, _ = timed(keepalives, first_token_s=0.08, stall_s=1.0)
    with pytest.raises(ProviderTimeout, match="first token"):
        await drain(provider.stream(MESSAGES, model="m", max_tokens=50, temperature=0), [])


async def test_a_stall_before_any_text_is_a_timeout_that_may_be_retried() -> None:
    provider, _ = timed(Answer(["", "Hi."], delays=[0.0, 0.4]), first_token_s=1.0, stall_s=0.05)
    with pytest.raises(ProviderTimeout, match="stall"):
        await drain(provider.stream(MESSAGES, model="m", max_tokens=50, temperature=0), [])


async def test_a_stall_mid_stream_interrupts_after_the_partial_text() -> None:
    stalled = Answer(["Refunds ", "are ", "issued."], delays=[0.0, 0.0, 5.0])
    provider, scripted = timed(stalled, stall_s=0.05)
    chunks: list[Chunk] = []
    started = time.perf_counter()
    with pytest.raises(StreamInterrupted, match="stall"):
        await drain(provider.stream(MESSAGES, model="m", max_tokens=50, temperature=0), chunks)
    assert time.perf_counter() - started < 0.5
    assert "".join(c.text for c in chunks) == "Refunds are "
    assert scripted.calls[0].outcome == "cancelled"


async def test_a_stream_that_keeps_trickling_is_stopped_at_the_total_deadline() -> None:
    trickle = Answer(["word "] * 20, delays=[0.03] * 20)
    provider, _ = timed(trickle, first_token_s=0.2, stall_s=0.2, total_s=0.15)
    chunks: list[Chunk] = []
    with pytest.raises(StreamInterrupted, match="total"):
        await drain(provider.stream(MESSAGES, model="m", max_tokens=50, temperature=0), chunks)
    assert 1 <= len(chunks) < 20


async def test_complete_is_bounded_by_the_total_deadline_only() -> None:
    slow, _ = timed(Answer(["Late."], delays=[0.4]), first_token_s=0.01, total_s=0.1)
    with pytest.raises(ProviderTimeout, match="total"):
        await slow.complete(MESSAGES, model="m", max_tokens=50, temperature=0)
    in_time, _ = timed(Answer(["In time."], delays=[0.05]), first_token_s=0.01, total_s=0.5)
    completion = await in_time.complete(MESSAGES, model="m", max_tokens=50, temperature=0)
    assert completion.text == "In time."


async def test_a_timed_out_try_is_retried_and_named_as_a_timeout_in_the_trace() -> None:
    scripted = ScriptedProvider("primary", [Answer(["Late."], delays=[5.0]), Answer(["Quick."])])
    timeouts = Timeouts(
        Instrumented(scripted, entry="primary-mini"), first_token_s=0.05, stall_s=1, total_s=2
    )
    provider = Retrying(timeouts, clock=FakeClock())
    chunks: list[Chunk] = []
    with tracing() as trace:
        await drain(provider.stream(MESSAGES, model="m", max_tokens=50, temperature=0), chunks)
    assert "".join(c.text for c in chunks) == "Quick."
    assert [(a.retry, a.error) for a in trace.attempts] == [(0, "ProviderTimeout"), (1, None)]


async def test_a_stall_after_text_is_not_retried() -> None:
    stalled = Answer(["Refunds ", "are "], delays=[0.0, 5.0])
    scripted = ScriptedProvider("primary", [stalled, Answer(["Refunds are issued."])])
    timeouts = Timeouts(
        Instrumented(scripted, entry="primary-mini"), first_token_s=1, stall_s=0.05, total_s=2
    )
    chunks: list[Chunk] = []
    with tracing() as trace, pytest.raises(StreamInterrupted):
        await drain(
            Retrying(timeouts, clock=FakeClock()).stream(
                MESSAGES, model="m", max_tokens=50, temperature=0
            ),
            chunks,
        )
    assert "".join(c.text for c in chunks) == "Refunds "
    assert len(scripted.calls) == 1
    assert [a.error for a in trace.attempts] == ["StreamInterrupted"]


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with run_fake_openai() as server:
        yield server


async def test_real_openai_sdk_slow_first_token_times_out_and_the_client_stays_usable(
    fake: FakeOpenAI,
) -> None:
    fake.script(Reply("Too late.", delay_s=0.4), Reply("Right on time."))
    openai = OpenAIProvider(api_key="sk-test", base_url=fake.base_url)
    provider = Timeouts(openai, first_token_s=0.1, stall_s=1.0, total_s=2.0)
    try:
        started = time.perf_counter()
        with pytest.raises(ProviderTimeout, match="first token"):
            await drain(provider.stream(MESSAGES, model="m", max_tokens=50, temperature=0), [])
        assert time.perf_counter() - started < 0.35
        chunks: list[Chunk] = []
        await drain(provider.stream(MESSAGES, model="m", max_tokens=50, temperature=0), chunks)
    finally:
        await openai.aclose()
    assert "".join(c.text for c in chunks) == "Right on time."
