"""A bulkhead: at most N calls in flight per provider, the rest wait a little or are turned away.

One ``BulkheadLimiter`` belongs to one provider (one API key, one endpoint) and is shared by the
``Bulkhead`` wrappers of all the model entries that call it, so a burst on one model cannot take
every connection. A call waits at most ``queue_timeout_s`` for a slot, then fails with
``BulkheadFull`` (a ``ProviderError``, so a ``Fallback`` moves on to its next entry). Slots are
handed over first come, first served.

A stream takes its slot at its first chunk and holds it until it ends, fails, or is closed
(``aclose``); a stream dropped without closing releases its slot only when it is garbage
collected, so consumers should close streams they stop reading (``Fallback`` does).

The queue wait uses the event loop's own timer (``asyncio.timeout``), not an injected ``Clock``:
a waiting call must really be woken when the deadline passes, which a fake clock cannot do.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator, Sequence

from providers.base import BulkheadFull, ChatProvider, Chunk, Completion, Message
from providers.trace import record_refusal


class BulkheadLimiter:
    """Slots for calls in flight to one provider, with a first-come, first-served queue."""

    def __init__(self, max_in_flight: int) -> None:
        if max_in_flight < 1:
            raise ValueError("max_in_flight must be at least 1")
        self.max_in_flight = max_in_flight
        self._in_flight = 0
        self._waiters: deque[asyncio.Future[None]] = deque()

    @property
    def in_flight(self) -> int:
        """Calls holding a slot now."""
        return self._in_flight

    @property
    def waiting(self) -> int:
        """Calls queued for a slot now."""
        return sum(1 for waiter in self._waiters if not waiter.done())

    async def acquire(self, timeout_s: float) -> None:
        """Take a slot, waiting at most ``timeout_s`` seconds, else raise ``BulkheadFull``."""
        if self._in_flight < self.max_in_flight and not self._waiters:
            self._in_flight += 1
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            async with asyncio.timeout(timeout_s):
                await waiter
        except BaseException as err:
            if waiter.done() and not waiter.cancelled():
                # The slot was handed over just as the wait ended: pass it on, it is not ours.
                self.release()
            elif waiter in self._waiters:  # a release() may already have dropped it
                waiter.cancel()
                self._waiters.remove(waiter)
            if isinstance(err, TimeoutError):
                raise BulkheadFull(
                    f"{self._in_flight} calls in flight, no slot within {timeout_s:g} s"
                ) from None
            raise

    def release(self) -> None:
        """Give a slot back: to the first waiting call, or to the pool."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)  # the slot moves to the waiter: in_flight is unchanged
                return
        self._in_flight -= 1


class Bulkhead:
    """A ``ChatProvider`` that calls ``inner`` only while holding a slot of ``limiter``."""

    def __init__(
        self,
        inner: ChatProvider,
        *,
        limiter: BulkheadLimiter,
        queue_timeout_s: float,
        entry: str = "",
    ) -> None:
        if queue_timeout_s < 0:
            raise ValueError("queue_timeout_s must not be negative")
        self.inner = inner
        self.name = inner.name
        self.limiter = limiter
        self.queue_timeout_s = queue_timeout_s
        self.entry = entry

    async def complete(
        self,
        messages: Sequence[Message],
        *,
        model: str,
        max_tokens: int,
        temperature: float,
    ) -> Completion:
        """Answer through ``inner`` once a slot is free."""
        await self._acquire(model)
        try:
            return await self.inner.complete(
                messages, model=model, max_tokens=max_tokens, temperature=temperature
            )
        finally:
            self.limiter.release()

    def stream(
        self,
        messages: Sequence[Message],
        *,
        model: str,
        max_tokens: int,
        temperature: float,
    ) -> AsyncIterator[Chunk]:
        """Stream through ``inner``, holding a slot from the first chunk until the end or close."""
        return self._stream(messages, model, max_tokens, temperature)

    async def _stream(
        self, messages: Sequence[Message], model: str, max_tokens: int, temperature: float
    ) -> AsyncGenerator[Chunk, None]:
        await self._acquire(model)
        inner: AsyncIterator[Chunk] | None = None
        try:
            inner = self.inner.stream(
                messages, model=model, max_tokens=max_tokens, temperature=temperature
            )
            async for chunk in inner:
                yield chunk
        finally:
            try:
                closer = getattr(inner, "aclose", None)
                if closer is not None:
                    await closer()
            finally:
                self.limiter.release()

    async def _acquire(self, model: str) -> None:
        try:
            await self.limiter.acquire(self.queue_timeout_s)
        except BulkheadFull as err:
            err.provider = self.name
            record_refusal(provider=self.name, model=model, entry=self.entry, error="BulkheadFull")
            raise
