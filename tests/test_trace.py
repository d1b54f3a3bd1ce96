"""The call trace: one attempt per try of each entry, as the ledger needs them, never twice."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest

from providers import (
    Attempt,
    Chunk,
    Fallback,
    Instrumented,
    LocalResponder,
    Message,
    OpenAIProvider,
    ProviderUnavailable,
    Retrying,
    RetryPolicy,
    StreamInterrupted,
    Timeouts,
    Usage,
    current_trace,
    tracing,
)
from tests.fakes.clock import FakeClock
from tests.fakes.openai_server import Fail, FakeOpenAI, run_fake_openai
from tests.fakes.scripted_provider import Answer, Raise, ScriptedProvider

MESSAGES = [
    Message("system", "<audience>customer</audience>\n<customer>\nname: <PERSON_1>\n</customer>"),
    Message("user", "How do refunds work?"),
]


async def collect(stream: AsyncIterator[Chunk]) -> list[Chunk]:
    """Drain a stream into a list."""
    return [chunk async for chunk in stream]


async def test_instrumented_records_usage_and_timings_exactly_as_reported() -> None:
    clock = FakeClock()
    answer = Answer(["Refunds ", "take 5 days."], usage=Usage(123, 45), delays=[0.2, 0.0, 0.1])
    provider = Instrumented(
        ScriptedProvider("openai", [answer], clock=clock), entry="openai-mini", clock=clock
    )
    with tracing() as trace:
        trace.breaker_state = "half_open"
        await collect(provider.stream(MESSAGES, model="gpt-4o-mini", max_tokens=50, temperature=0))
    assert trace.attempts == [
        Attempt(
            provider="openai",
            model="gpt-4o-mini",
            ok=True,
            error=None,
            usage=Usage(123, 45),
            latency_ms=pytest.approx(300.0),  # type: ignore[arg-type]
            fallback_depth=0,
            first_token_ms=pytest.approx(200.0),  # type: ignore[arg-type]
            entry="openai-mini",
            retry=0,
            breaker_state="half_open",
        )
    ]


async def test_failures_are_recorded_by_class_name_never_by_message() -> None:
    error = ProviderUnavailable("upstream said: <PERSON_1> ordered ORD-200001", provider="openai")
    provider = Instrumented(ScriptedProvider("openai", [Raise(error)]), entry="openai-mini")
    with tracing() as trace, pytest.raises(ProviderUnavailable):
        await provider.complete(MESSAGES, model="gpt-4o-mini", max_tokens=50, temperature=0)
    (attempt,) = trace.attempts
    assert (attempt.ok, attempt.error, attempt.usage) == (False, "ProviderUnavailable", None)
    assert "PERSON_1" not in repr(attempt) and "ORD-" not in repr(attempt)


async def test_a_stream_without_a_finish_reason_is_a_failed_attempt() -> None:
    cut = Answer(["Refunds are "], finish_reason=None)
    provider = Instrumented(ScriptedProvider("openai", [cut]), entry="openai-mini")
    with tracing() as trace, pytest.raises(StreamInterrupted):
        await collect(provider.stream(MESSAGES, model="m", max_tokens=50, temperature=0))
    assert [(a.ok, a.error) for a in trace.attempts] == [(False, "StreamInterrupted")]
    assert trace.attempts[0].first_token_ms is not None


async def test_without_a_trace_calls_pass_through_and_nothing_is_recorded() -> None:
    provider = Instrumented(ScriptedProvider("openai", [Answer(["Hi."])]), entry="openai-mini")
    chunks = await collect(provider.stream(MESSAGES, model="m", max_tokens=50, temperature=0))
    assert "".join(c.text for c in chunks) == "Hi." and current_trace() is None


async def test_concurrent_calls_keep_separate_traces() -> None:
    async def one_call(name: str) -> list[str]:
        provider = Instrumented(ScriptedProvider(name, [Answer([name])]), entry=name)
        with tracing() as trace:
            await asyncio.sleep(0)
            await collect(provider.stream(MESSAGES, model="m", max_tokens=5, temperature=0))
        return [a.entry for a in trace.attempts]

    results = await asyncio.gather(*(one_call(f"entry-{n}") for n in range(5)))
    assert results == [[f"entry-{n}"] for n in range(5)]
    assert current_trace() is None


async def test_fallback_records_bare_entries_itself_and_instrumented_ones_only_once() -> None:
    primary = Instrumented(
        ScriptedProvider("openai", [Raise(ProviderUnavailable("down"))]), entry="openai-mini"
    )
    bare = ScriptedProvider("backup", [Answer(["From the backup."], usage=Usage(8, 3))])
    seen: list[Attempt] = []
    stream = Fallback((primary, "gpt-4o-mini"), (bare, "backup-1"), on_attempt=seen.append).stream(
        MESSAGES, max_tokens=50, temperature=0
    )
    await collect(stream)
    assert [(a.provider, a.entry, a.ok, a.fallback_depth) for a in stream.trace.attempts] == [
        ("openai", "openai-mini", False, 0),
        ("backup", "", True, 1),
    ]
    assert seen == stream.attempts == stream.trace.attempts
    assert stream.answered_by is not None and stream.answered_by.usage == Usage(8, 3)


async def test_fallback_complete_records_into_the_callers_trace() -> None:
    failing = ScriptedProvider("openai", [Raise(ProviderUnavailable("down"))])
    primary = Instrumented(failing, entry="openai-mini")
    backup = Instrumented(ScriptedProvider("backup", [Answer(["Ok."])]), entry="backup")
    with tracing() as trace:
        trace.route_reason = "tier=standard"
        completion = await Fallback((primary, "a"), (backup, "b")).complete(
            MESSAGES, max_tokens=50, temperature=0
        )
    assert completion.text == "Ok." and completion.extra["fallback_depth"] == "1"
    assert [(a.entry, a.ok, a.fallback_depth) for a in trace.attempts] == [
        ("openai-mini", False, 0),
        ("backup", True, 1),
    ]


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with run_fake_openai() as server:
        yield server


async def test_whole_stack_primary_fails_three_times_then_the_local_responder_answers(
    fake: FakeOpenAI,
) -> None:
    fake.script(Fail(503), Fail(503), Fail(503))
    clock = FakeClock()
    openai = OpenAIProvider(api_key="sk-test", base_url=fake.base_url)
    primary = Retrying(
        Timeouts(Instrumented(openai, entry="openai-mini"), first_token_s=5, stall_s=5, total_s=10),
        RetryPolicy(max_attempts=3),
        clock,
    )
    local = Instrumented(LocalResponder(), entry="local")
    seen: list[Attempt] = []
    chain = Fallback((primary, "gpt-4o-mini"), (local, "local-responder"), on_attempt=seen.append)
    try:
        stream = chain.stream(MESSAGES, max_tokens=300, temperature=0.2)
        chunks = await collect(stream)
    finally:
        await openai.aclose()

    text = "".join(c.text for c in chunks)
    assert text.startswith("Hi <PERSON_1>,") and "Offline responder" in text
    assert len(fake.requests) == 3 and len(clock.sleeps) == 2
    attempts = stream.trace.attempts
    assert [(a.fallback_depth, a.retry) for a in attempts] == [(0, 0), (0, 1), (0, 2), (1, 0)]
    assert [(a.entry, a.ok, a.error) for a in attempts] == [
        ("openai-mini", False, "ProviderUnavailable"),
        ("openai-mini", False, "ProviderUnavailable"),
        ("openai-mini", False, "ProviderUnavailable"),
        ("local", True, None),
    ]
    assert seen == attempts and stream.answered_by == attempts[-1]
    assert attempts[-1].usage == chunks[-1].usage


async def test_stopping_early_records_the_instrumented_attempt_once() -> None:
    scripted = ScriptedProvider("openai", [Answer(["word "] * 50)])
    chain = Fallback((Retrying(Instrumented(scripted, entry="openai-mini")), "m"))
    stream = chain.stream(MESSAGES, max_tokens=50, temperature=0)
    async for _ in stream:
        break
    await stream.aclose()
    assert [(a.entry, a.ok, a.error) for a in stream.trace.attempts] == [
        ("openai-mini", False, "GeneratorExit")
    ]
    assert scripted.calls[0].outcome == "closed"
