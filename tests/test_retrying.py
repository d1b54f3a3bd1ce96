"""Retrying: backoff with jitter, Retry-After obeyed up to a cap, and never a repeated answer."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from providers import (
    Chunk,
    Fallback,
    Instrumented,
    Message,
    OpenAIProvider,
    ProviderUnavailable,
    RateLimited,
    RequestRejected,
    Retrying,
    RetryPolicy,
    StreamInterrupted,
    Usage,
    tracing,
)
from providers.base import CircuitOpen, ProviderError
from tests.fakes.clock import FakeClock
from tests.fakes.openai_server import Fail, FakeOpenAI, Reply, run_fake_openai
from tests.fakes.scripted_provider import Answer, Raise, ScriptedProvider

MESSAGES = [Message("system", "<audience>agent</audience>"), Message("user", "Refund status?")]


def unavailable() -> ProviderUnavailable:
    """A 503 from the primary."""
    return ProviderUnavailable("HTTP 503", provider="primary", status=503)


async def collect(stream: AsyncIterator[Chunk]) -> list[Chunk]:
    """Drain a stream into a list."""
    return [chunk async for chunk in stream]


def retrying(script: list[Answer | Raise], clock: FakeClock, **policy: Any) -> Retrying:
    """A Retrying over a scripted provider, with a seeded jitter source."""
    provider = ScriptedProvider("primary", script, clock=clock)
    return Retrying(provider, RetryPolicy(rng=random.Random(3), **policy), clock)


def call_count(provider: Retrying) -> int:
    """How many times the scripted provider under ``provider`` was called."""
    inner = provider.inner
    assert isinstance(inner, ScriptedProvider)
    return len(inner.calls)


async def test_rate_limit_waits_exactly_as_long_as_the_server_asked() -> None:
    clock = FakeClock()
    limited = RateLimited("HTTP 429", provider="primary", retry_after=2.5)
    provider = retrying([Raise(limited), Answer(["Refunds ", "take 5 days."])], clock)
    chunks = await collect(provider.stream(MESSAGES, model="m", max_tokens=50, temperature=0))
    assert "".join(c.text for c in chunks) == "Refunds take 5 days."
    assert clock.sleeps == [2.5]


async def test_a_retry_after_above_the_cap_gives_up_at_once_so_the_fallback_answers() -> None:
    clock = FakeClock()
    limited = RateLimited("HTTP 429", provider="primary", retry_after=30.0)
    primary = retrying([Raise(limited), Answer()], clock, retry_after_cap_s=10.0)
    with pytest.raises(RateLimited):
        await collect(primary.stream(MESSAGES, model="m", max_tokens=50, temperature=0))
    assert clock.sleeps == [] and call_count(primary) == 1

    primary = retrying([Raise(limited), Answer()], clock, retry_after_cap_s=10.0)
    backup = ScriptedProvider("backup", [Answer(["From the backup."])])
    chain = Fallback((primary, "m"), (backup, "b"))
    chunks = await collect(chain.stream(MESSAGES, max_tokens=50, temperature=0))
    assert "".join(c.text for c in chunks) == "From the backup."
    assert clock.sleeps == [], "the user must not wait 30 s for a rate limit"


async def test_backoff_doubles_up_to_the_maximum_with_jitter_inside_its_bounds() -> None:
    clock = FakeClock()
    script: list[Answer | Raise] = [Raise(unavailable()) for _ in range(4)] + [Answer()]
    provider = retrying(script, clock, max_attempts=5, base_delay_s=0.25, max_delay_s=0.8)
    await collect(provider.stream(MESSAGES, model="m", max_tokens=50, temperature=0))
    ceilings = [0.25, 0.5, 0.8, 0.8]
    assert len(clock.sleeps) == 4
    pairs = list(zip(clock.sleeps, ceilings, strict=True))
    for slept, ceiling in pairs:
        assert ceiling * 0.5 <= slept <= ceiling  # jitter=0.5 draws up to half of each wait
    ratios = {round(slept / ceiling, 6) for slept, ceiling in pairs}
    assert len(ratios) > 1, "jitter must spread the waits of clients that failed together"


def test_without_jitter_the_backoff_is_exactly_exponential() -> None:
    policy = RetryPolicy(base_delay_s=0.25, max_delay_s=4.0, jitter=0.0)
    assert [policy.backoff(n) for n in range(1, 7)] == [0.25, 0.5, 1.0, 2.0, 4.0, 4.0]
    with pytest.raises(ValueError):
        RetryPolicy(jitter=1.5)


@pytest.mark.parametrize(
    "error",
    [
        RequestRejected("HTTP 400", provider="primary", status=400),
        RequestRejected("HTTP 401", provider="primary", status=401),
        CircuitOpen("breaker open", provider="primary"),
    ],
    ids=["400", "401", "circuit-open"],
)
async def test_errors_that_retrying_cannot_fix_are_not_retried(error: ProviderError) -> None:
    clock = FakeClock()
    streaming = retrying([Raise(error), Answer()], clock)
    with pytest.raises(type(error)):
        await collect(streaming.stream(MESSAGES, model="m", max_tokens=50, temperature=0))
    whole = retrying([Raise(error), Answer()], clock)
    with pytest.raises(type(error)):
        await whole.complete(MESSAGES, model="m", max_tokens=50, temperature=0)
    assert call_count(streaming) == 1 and call_count(whole) == 1 and clock.sleeps == []


async def test_no_retry_after_text_was_streamed() -> None:
    clock = FakeClock()
    provider = retrying([Raise(unavailable(), after=["Refunds are "]), Answer()], clock)
    chunks: list[Chunk] = []
    with pytest.raises(StreamInterrupted):
        async for chunk in provider.stream(MESSAGES, model="m", max_tokens=50, temperature=0):
            chunks.append(chunk)
    assert "".join(c.text for c in chunks) == "Refunds are ", "text must never be shown twice"
    assert call_count(provider) == 1 and clock.sleeps == []


async def test_giving_up_after_max_attempts_raises_the_last_error() -> None:
    clock = FakeClock()
    provider = retrying([Raise(unavailable()) for _ in range(3)], clock, max_attempts=3)
    with pytest.raises(ProviderUnavailable):
        await collect(provider.stream(MESSAGES, model="m", max_tokens=50, temperature=0))
    assert call_count(provider) == 3 and len(clock.sleeps) == 2


async def test_complete_retries_too() -> None:
    clock = FakeClock()
    provider = retrying([Raise(unavailable()), Answer(["Done."], usage=Usage(7, 2))], clock)
    completion = await provider.complete(MESSAGES, model="m", max_tokens=50, temperature=0)
    assert completion.text == "Done." and completion.usage == Usage(7, 2)
    assert len(clock.sleeps) == 1


async def test_success_after_two_503s_is_three_attempts_in_the_trace() -> None:
    clock = FakeClock()
    scripted = ScriptedProvider(
        "openai",
        [Raise(unavailable()), Raise(unavailable()), Answer(["Fine."], usage=Usage(30, 3))],
        clock=clock,
    )
    provider = Retrying(Instrumented(scripted, entry="openai-mini", clock=clock), clock=clock)
    with tracing() as trace:
        chunks = await collect(provider.stream(MESSAGES, model="m", max_tokens=50, temperature=0))
    assert "".join(c.text for c in chunks) == "Fine."
    assert [(a.retry, a.ok, a.error) for a in trace.attempts] == [
        (0, False, "ProviderUnavailable"),
        (1, False, "ProviderUnavailable"),
        (2, True, None),
    ]
    assert {a.entry for a in trace.attempts} == {"openai-mini"}
    assert trace.attempts[-1].usage == Usage(30, 3)


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with run_fake_openai() as server:
        yield server


async def test_real_openai_sdk_429_with_retry_after_then_success(fake: FakeOpenAI) -> None:
    fake.script(
        Fail(429, headers={"Retry-After": "1"}),
        Reply("Your refund was issued.", prompt_tokens=40, completion_tokens=5),
    )
    clock = FakeClock()
    openai = OpenAIProvider(api_key="sk-test", base_url=fake.base_url)
    provider = Retrying(Instrumented(openai, entry="openai-mini"), RetryPolicy(), clock)
    try:
        with tracing() as trace:
            chunks = await collect(
                provider.stream(MESSAGES, model="gpt-4o-mini", max_tokens=50, temperature=0)
            )
    finally:
        await openai.aclose()
    assert "".join(c.text for c in chunks) == "Your refund was issued."
    assert clock.sleeps == [1.0]
    assert len(fake.requests) == 2
    assert [(a.ok, a.error, a.retry) for a in trace.attempts] == [
        (False, "RateLimited", 0),
        (True, None, 1),
    ]
    assert trace.attempts[1].usage == Usage(40, 5)
