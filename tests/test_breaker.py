"""The circuit breaker stops calling a failing provider, probes it later, and shares its state."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Sequence

import pytest

from providers.base import (
    ChatProvider,
    Chunk,
    CircuitOpen,
    Completion,
    Message,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
    RequestRejected,
    StreamInterrupted,
    Usage,
)
from providers.breaker import Breaker, BreakerPolicy
from providers.fallback import Fallback
from providers.local_responder import LocalResponder
from providers.state import InProcessStore
from providers.trace import current_trace, tracing
from tests.fakes.clock import FakeClock
from tests.fakes.scripted_provider import Answer, Raise, ScriptedProvider

MESSAGES = [Message("user", "Where is my parcel?")]
POLICY = BreakerPolicy(failure_threshold=3, window_s=30.0, open_s=20.0, half_open_max_calls=1)
DOWN = ProviderUnavailable("503", provider="flaky", status=503)
OK = Answer(chunks=("Your parcel ", "is on its way."))


def scripted(*steps: Answer | Raise) -> ScriptedProvider:
    return ScriptedProvider("flaky", steps)


class Gated:
    """Answers "ok" once the test opens ``gate``; notes the breaker state each call saw."""

    def __init__(self) -> None:
        self.name = "gated"
        self.gate = asyncio.Event()
        self.gate.set()
        self.calls = 0
        self.seen_breaker_state: list[str | None] = []

    async def complete(
        self, messages: Sequence[Message], *, model: str, max_tokens: int, temperature: float
    ) -> Completion:
        self.calls += 1
        trace = current_trace()
        self.seen_breaker_state.append(trace.breaker_state if trace else None)
        await self.gate.wait()
        return Completion("ok", Usage(1, 1), model, "stop", 1.0)

    async def stream(
        self, messages: Sequence[Message], *, model: str, max_tokens: int, temperature: float
    ) -> AsyncIterator[Chunk]:
        yield Chunk("ok", finish_reason="stop")


def breaker(
    inner: ChatProvider, clock: FakeClock, store: InProcessStore | None = None, **kwargs: object
) -> Breaker:
    return Breaker(
        inner,
        key="openai-mini",
        store=store or InProcessStore(clock),
        policy=POLICY,
        clock=clock,
        **kwargs,  # type: ignore[arg-type]
    )


async def ask(provider: Breaker) -> str:
    completion = await provider.complete(MESSAGES, model="m", max_tokens=50, temperature=0.0)
    return completion.text


async def read(provider: Breaker) -> str:
    stream = provider.stream(MESSAGES, model="m", max_tokens=50, temperature=0.0)
    return "".join([chunk.text async for chunk in stream])


async def trip(provider: Breaker, times: int = 3) -> None:
    for _ in range(times):
        with pytest.raises(ProviderUnavailable):
            await ask(provider)


async def open_circuit(clock: FakeClock, inner: ChatProvider) -> Breaker:
    """A breaker over ``inner`` opened by three failures of another provider on the same store."""
    store = InProcessStore(clock)
    await trip(breaker(scripted(*[Raise(DOWN)] * 3), clock, store))
    return breaker(inner, clock, store)


async def test_opens_after_threshold_failures_and_refuses_without_calling_the_provider() -> None:
    clock = FakeClock()
    inner = scripted(*[Raise(DOWN)] * 3, OK)
    guarded = breaker(inner, clock)
    await trip(guarded, 2)
    assert guarded.state() == "closed"
    await trip(guarded, 1)
    assert guarded.state() == "open"

    with pytest.raises(CircuitOpen) as refused:  # the provider has recovered, but is not asked
        await ask(guarded)
    assert len(inner.calls) == 3
    assert refused.value.retryable is False
    assert refused.value.provider == "flaky"


@pytest.mark.parametrize(
    "error",
    [
        ProviderTimeout("slow", provider="flaky"),
        RateLimited("429", provider="flaky", retry_after=1.0),
        StreamInterrupted("cut", provider="flaky"),
    ],
)
async def test_every_kind_of_provider_trouble_counts(error: Exception) -> None:
    clock = FakeClock()
    guarded = breaker(scripted(*[Raise(error)] * 3), clock)
    for _ in range(3):
        with pytest.raises(type(error)):
            await ask(guarded)
    assert guarded.state() == "open"


async def test_client_errors_never_open_the_circuit() -> None:
    clock = FakeClock()
    rejected = RequestRejected("400 bad request", provider="flaky", status=400)
    inner = scripted(*[Raise(rejected)] * 10)
    guarded = breaker(inner, clock)
    for _ in range(10):
        with pytest.raises(RequestRejected):
            await ask(guarded)
    assert guarded.state() == "closed"
    assert len(inner.calls) == 10


async def test_failures_older_than_the_window_are_forgotten() -> None:
    clock = FakeClock()
    guarded = breaker(scripted(*[Raise(DOWN)] * 4), clock)
    await trip(guarded, 1)
    clock.advance(20.0)
    await trip(guarded, 1)
    clock.advance(15.0)  # the first failure is now 35 s old: out of the 30 s window
    await trip(guarded, 1)
    assert guarded.state() == "closed"
    await trip(guarded, 1)
    assert guarded.state() == "open"


async def test_half_opens_after_open_s_and_a_successful_probe_closes_it() -> None:
    clock = FakeClock()
    inner = scripted(*[Raise(DOWN)] * 3, OK, OK)
    guarded = breaker(inner, clock)
    await trip(guarded)
    clock.advance(19.9)
    with pytest.raises(CircuitOpen):
        await ask(guarded)
    clock.advance(0.1)
    assert guarded.state() == "half_open"

    assert await ask(guarded) == OK.text
    assert guarded.state() == "closed"
    assert await ask(guarded) == OK.text
    assert len(inner.calls) == 5


async def test_a_failed_probe_opens_it_again_for_another_open_s() -> None:
    clock = FakeClock()
    inner = scripted(*[Raise(DOWN)] * 4, OK)
    guarded = breaker(inner, clock)
    await trip(guarded)
    clock.advance(20.0)
    with pytest.raises(ProviderUnavailable):
        await ask(guarded)  # the probe
    assert guarded.state() == "open"
    clock.advance(10.0)
    with pytest.raises(CircuitOpen):
        await ask(guarded)
    assert len(inner.calls) == 4
    clock.advance(10.0)
    assert await ask(guarded) == OK.text


async def test_half_open_lets_only_max_calls_probe_at_a_time() -> None:
    clock = FakeClock()
    inner = Gated()
    guarded = await open_circuit(clock, inner)
    clock.advance(20.0)
    inner.gate.clear()
    probe = asyncio.create_task(ask(guarded))
    await asyncio.sleep(0)
    with pytest.raises(CircuitOpen):  # a second caller while the probe is in flight
        await asyncio.wait_for(ask(guarded), 1.0)
    inner.gate.set()
    assert await probe == "ok"
    assert guarded.state() == "closed"
    assert inner.calls == 1


async def test_a_cancelled_probe_frees_its_slot() -> None:
    clock = FakeClock()
    inner = Gated()
    guarded = await open_circuit(clock, inner)
    clock.advance(20.0)
    inner.gate.clear()
    probe = asyncio.create_task(ask(guarded))
    await asyncio.sleep(0)
    probe.cancel()
    with pytest.raises(asyncio.CancelledError):
        await probe
    assert guarded.state() == "half_open"
    inner.gate.set()
    assert await ask(guarded) == "ok"
    assert guarded.state() == "closed"


async def test_transitions_are_reported_in_order() -> None:
    clock = FakeClock()
    seen: list[tuple[str, str, str]] = []
    inner = scripted(*[Raise(DOWN)] * 3, OK)
    guarded = breaker(inner, clock, on_transition=lambda *change: seen.append(change))
    await trip(guarded)
    clock.advance(20.0)
    await ask(guarded)
    assert seen == [
        ("openai-mini", "closed", "open"),
        ("openai-mini", "open", "half_open"),
        ("openai-mini", "half_open", "closed"),
    ]


async def test_two_breakers_over_one_store_share_the_state() -> None:
    clock = FakeClock()
    store = InProcessStore(clock)
    first, second = scripted(*[Raise(DOWN)] * 3), scripted(OK)
    in_process_a = breaker(first, clock, store)
    in_process_b = breaker(second, clock, store)
    await trip(in_process_a)
    with pytest.raises(CircuitOpen):
        await ask(in_process_b)
    assert second.calls == []
    clock.advance(20.0)
    assert await ask(in_process_b) == OK.text  # b's probe succeeds and closes it for a too
    assert in_process_a.state() == "closed"


async def test_a_stream_failing_after_text_counts_and_a_finished_stream_closes() -> None:
    clock = FakeClock()
    cut = Raise(StreamInterrupted("cut", provider="flaky"), after=["Your parcel "])
    inner = scripted(cut, cut, cut, OK)
    guarded = breaker(inner, clock)
    for _ in range(3):
        with pytest.raises(StreamInterrupted):
            await read(guarded)
    assert guarded.state() == "open"
    with pytest.raises(CircuitOpen):
        await read(guarded)
    assert len(inner.calls) == 3
    clock.advance(20.0)
    assert await read(guarded) == "Your parcel is on its way."
    assert guarded.state() == "closed"


async def test_a_stream_without_finish_reason_counts_as_a_failure() -> None:
    clock = FakeClock()
    truncated = Answer(chunks=("Your parcel ",), finish_reason=None)
    guarded = breaker(scripted(truncated, truncated, truncated), clock)
    for _ in range(3):
        assert await read(guarded) == "Your parcel "
    assert guarded.state() == "open"


async def test_a_probe_stream_that_reached_its_finish_chunk_closes_even_if_not_drained() -> None:
    clock = FakeClock()
    inner = scripted(OK)
    guarded = await open_circuit(clock, inner)
    clock.advance(20.0)
    stream = guarded.stream(MESSAGES, model="m", max_tokens=50, temperature=0.0)
    async for chunk in stream:
        if chunk.finish_reason:
            break
    await stream.aclose()  # type: ignore[attr-defined]
    assert guarded.state() == "closed"


async def test_a_probe_stream_closed_early_decides_nothing() -> None:
    clock = FakeClock()
    inner = scripted(OK, OK)
    guarded = await open_circuit(clock, inner)
    clock.advance(20.0)
    stream = guarded.stream(MESSAGES, model="m", max_tokens=50, temperature=0.0)
    assert (await anext(stream)).text == "Your parcel "
    await stream.aclose()  # type: ignore[attr-defined]
    assert inner.calls[0].outcome == "closed"  # the provider's stream was closed, not leaked
    assert guarded.state() == "half_open"
    assert await read(guarded) == "Your parcel is on its way."  # the probe slot was freed
    assert guarded.state() == "closed"


async def test_the_trace_carries_the_breaker_state_of_the_call() -> None:
    clock = FakeClock()
    inner = Gated()
    guarded = await open_circuit(clock, inner)
    clock.advance(20.0)
    with tracing() as trace:
        await ask(guarded)
        assert trace.breaker_state == "half_open"
        await ask(guarded)
        assert trace.breaker_state == "closed"
    assert inner.seen_breaker_state == ["half_open", "closed"]


async def test_fallback_moves_on_when_the_circuit_is_open() -> None:
    clock = FakeClock()
    inner = scripted()
    guarded = await open_circuit(clock, inner)
    chain = Fallback((guarded, "m"), (LocalResponder(), "local-responder"))
    completion = await chain.complete(MESSAGES, max_tokens=200, temperature=0.0)
    assert completion.text
    assert completion.extra["fallback_depth"] == "1"
    assert inner.calls == []


async def test_the_real_clock_stores_wall_time_so_other_hosts_can_read_it() -> None:
    store = InProcessStore()
    inner = scripted(*[Raise(DOWN)] * 3)
    guarded = Breaker(inner, key="openai-mini", store=store, policy=POLICY)
    await trip(guarded)
    record = json.loads(store.get("breaker:openai-mini") or b"{}")
    assert record["state"] == "open"
    assert abs(record["opened_at"] - time.time()) < 5.0


async def test_an_unreadable_record_counts_as_closed() -> None:
    clock = FakeClock()
    store = InProcessStore(clock)
    store.set("breaker:openai-mini", b"not json")
    guarded = breaker(scripted(OK), clock, store)
    assert guarded.state() == "closed"
    assert await ask(guarded) == OK.text


def test_a_policy_that_could_never_open_is_rejected() -> None:
    with pytest.raises(ValueError):
        BreakerPolicy(failure_threshold=0)
