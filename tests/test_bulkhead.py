"""The bulkhead keeps at most N calls in flight per provider; the rest wait briefly or move on."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence

import pytest

from providers.base import BulkheadFull, Chunk, Completion, Message, Usage
from providers.bulkhead import Bulkhead, BulkheadLimiter
from providers.fallback import Fallback
from providers.local_responder import LocalResponder
from providers.trace import tracing

MESSAGES = [Message("user", "Where is my parcel?")]


class Gated:
    """A provider whose calls (and streams, after their first chunk) wait for the test's go."""

    def __init__(self, name: str = "openai") -> None:
        self.name = name
        self.go = asyncio.Event()
        self.started = 0
        self.finished = 0
        self.closed = 0

    async def complete(
        self, messages: Sequence[Message], *, model: str, max_tokens: int, temperature: float
    ) -> Completion:
        self.started += 1
        await self.go.wait()
        self.finished += 1
        return Completion(f"answer from {model}", Usage(1, 1), model, "stop", 1.0)

    async def stream(
        self, messages: Sequence[Message], *, model: str, max_tokens: int, temperature: float
    ) -> AsyncIterator[Chunk]:
        self.started += 1
        try:
            yield Chunk("Your parcel ")
            await self.go.wait()
            yield Chunk("is on its way.", finish_reason="stop", usage=Usage(3, 4))
            self.finished += 1
        finally:
            self.closed += 1


async def ask(provider: Bulkhead, model: str = "m") -> str:
    completion = await provider.complete(MESSAGES, model=model, max_tokens=50, temperature=0.0)
    return completion.text


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_a_third_call_waits_for_a_slot_and_proceeds_when_one_frees() -> None:
    inner = Gated()
    limiter = BulkheadLimiter(2)
    bulkhead = Bulkhead(inner, limiter=limiter, queue_timeout_s=5.0)
    calls = [asyncio.create_task(ask(bulkhead, f"m{i}")) for i in range(3)]
    await settle()
    assert inner.started == 2
    assert (limiter.in_flight, limiter.waiting) == (2, 1)

    inner.go.set()
    assert await asyncio.gather(*calls) == ["answer from m0", "answer from m1", "answer from m2"]
    assert inner.started == 3
    assert (limiter.in_flight, limiter.waiting) == (0, 0)


async def test_a_call_that_waits_too_long_gets_bulkhead_full_without_reaching_the_provider() -> (
    None
):
    inner = Gated()
    limiter = BulkheadLimiter(2)
    bulkhead = Bulkhead(inner, limiter=limiter, queue_timeout_s=0.05, entry="openai-standard")
    busy = [asyncio.create_task(ask(bulkhead)) for _ in range(2)]
    await settle()
    with tracing() as trace, pytest.raises(BulkheadFull) as full:
        await ask(bulkhead)
    assert [(a.entry, a.ok, a.error) for a in trace.attempts] == [
        ("openai-standard", False, "BulkheadFull")
    ], "the refusal is on the record, naming the entry it turned away"
    assert full.value.retryable is False
    assert full.value.provider == "openai"
    assert inner.started == 2
    assert limiter.waiting == 0

    inner.go.set()
    await asyncio.gather(*busy)
    assert await ask(bulkhead) == "answer from m"  # the timed-out wait left no slot behind
    assert limiter.in_flight == 0


async def test_entries_of_one_provider_share_its_slots() -> None:
    inner = Gated()
    limiter = BulkheadLimiter(1)
    mini = Bulkhead(inner, limiter=limiter, queue_timeout_s=0.05)
    large = Bulkhead(inner, limiter=limiter, queue_timeout_s=0.05)
    busy = asyncio.create_task(ask(mini))
    await settle()
    with pytest.raises(BulkheadFull):
        await ask(large)
    inner.go.set()
    await busy


async def test_a_stream_holds_its_slot_until_it_finishes() -> None:
    inner = Gated()
    limiter = BulkheadLimiter(1)
    bulkhead = Bulkhead(inner, limiter=limiter, queue_timeout_s=0.05)
    stream = bulkhead.stream(MESSAGES, model="m", max_tokens=50, temperature=0.0)
    assert (await anext(stream)).text == "Your parcel "
    with pytest.raises(BulkheadFull):
        await ask(bulkhead)

    inner.go.set()
    rest = [chunk.text async for chunk in stream]
    assert rest == ["is on its way."]
    assert limiter.in_flight == 0
    assert await ask(bulkhead) == "answer from m"


async def test_closing_a_stream_early_frees_its_slot_and_closes_the_provider_stream() -> None:
    inner = Gated()
    limiter = BulkheadLimiter(1)
    bulkhead = Bulkhead(inner, limiter=limiter, queue_timeout_s=5.0)
    stream = bulkhead.stream(MESSAGES, model="m", max_tokens=50, temperature=0.0)
    await anext(stream)
    waiting = asyncio.create_task(ask(bulkhead))
    await settle()
    assert limiter.waiting == 1

    await stream.aclose()  # type: ignore[attr-defined]
    assert inner.closed == 1
    inner.go.set()
    assert await waiting == "answer from m"
    assert inner.finished == 1  # the closed stream never finished; the waiting call did
    assert limiter.in_flight == 0


async def test_a_stream_not_yet_read_takes_no_slot() -> None:
    limiter = BulkheadLimiter(1)
    bulkhead = Bulkhead(Gated(), limiter=limiter, queue_timeout_s=0.05)
    bulkhead.stream(MESSAGES, model="m", max_tokens=50, temperature=0.0)
    assert limiter.in_flight == 0


async def test_a_cancelled_waiter_neither_keeps_nor_loses_a_slot() -> None:
    inner = Gated()
    limiter = BulkheadLimiter(1)
    bulkhead = Bulkhead(inner, limiter=limiter, queue_timeout_s=5.0)
    busy = asyncio.create_task(ask(bulkhead))
    await settle()
    given_up = asyncio.create_task(ask(bulkhead))
    later = asyncio.create_task(ask(bulkhead))
    await settle()
    given_up.cancel()
    await settle()
    assert limiter.waiting == 1

    inner.go.set()
    assert await busy == "answer from m"
    assert await later == "answer from m"
    assert given_up.cancelled()
    assert inner.started == 2
    assert limiter.in_flight == 0


async def test_a_call_cancelled_as_it_is_handed_a_slot_passes_the_slot_on() -> None:
    limiter = BulkheadLimiter(1)
    await limiter.acquire(1.0)
    waiter = asyncio.create_task(limiter.acquire(5.0))
    await settle()
    limiter.release()  # hands the slot to the waiter...
    waiter.cancel()  # ...which is cancelled before it could run
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert limiter.in_flight == 0
    await limiter.acquire(0.01)


async def test_waiting_calls_get_slots_in_arrival_order() -> None:
    inner = Gated()
    limiter = BulkheadLimiter(1)
    bulkhead = Bulkhead(inner, limiter=limiter, queue_timeout_s=5.0)
    order: list[str] = []

    async def call(model: str) -> None:
        order.append(await ask(bulkhead, model))

    tasks = []
    for model in ["first", "second", "third"]:
        tasks.append(asyncio.create_task(call(model)))
        await settle()
    inner.go.set()
    await asyncio.gather(*tasks)
    assert order == ["answer from first", "answer from second", "answer from third"]


async def test_fallback_answers_from_the_next_entry_when_the_bulkhead_is_full() -> None:
    inner = Gated()
    limiter = BulkheadLimiter(1)
    bulkhead = Bulkhead(inner, limiter=limiter, queue_timeout_s=0.05)
    busy = asyncio.create_task(ask(bulkhead))
    await settle()
    chain = Fallback((bulkhead, "m"), (LocalResponder(), "local-responder"))
    completion = await chain.complete(MESSAGES, max_tokens=200, temperature=0.0)
    assert completion.extra["fallback_depth"] == "1"
    inner.go.set()
    await busy


def test_a_limiter_without_slots_is_rejected() -> None:
    with pytest.raises(ValueError):
        BulkheadLimiter(0)
