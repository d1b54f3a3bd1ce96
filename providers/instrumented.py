"""Record one ``Attempt`` per call of an adapter into the current call trace.

``Instrumented`` sits directly around an adapter, under timeouts and retries, so each try of each
model entry is one attempt in the ledger, with the usage the provider reported, its latency and
time to first token, and the fallback depth, retry number and breaker state the outer layers put
on the trace. Errors are recorded by class name only; they are re-raised unchanged. It also holds
every adapter to the streaming contract: a stream that ends without a finish reason raises
``StreamInterrupted``. With no trace active it passes calls through and records nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

from providers.base import ChatProvider, Chunk, Completion, Message, StreamInterrupted, Usage
from providers.clock import Clock, SystemClock
from providers.trace import Attempt, CallTrace, current_trace


class Instrumented:
    """A ``ChatProvider`` that records every call of ``inner`` as an ``Attempt``."""

    def __init__(
        self,
        inner: ChatProvider,
        *,
        entry: str,
        provider: str | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.inner = inner
        self.name = inner.name
        self.entry = entry
        self.provider = provider or inner.name
        self._clock = clock or SystemClock()

    async def complete(
        self,
        messages: Sequence[Message],
        *,
        model: str,
        max_tokens: int,
        temperature: float,
    ) -> Completion:
        """Answer in one piece through ``inner`` and record the attempt."""
        trace = current_trace()
        started = self._clock.monotonic()
        try:
            completion = await self.inner.complete(
                messages, model=model, max_tokens=max_tokens, temperature=temperature
            )
        except BaseException as err:
            self._record(trace, model, started, error=err)
            raise
        self._record(trace, model, started, usage=completion.usage)
        return completion

    async def stream(
        self,
        messages: Sequence[Message],
        *,
        model: str,
        max_tokens: int,
        temperature: float,
    ) -> AsyncIterator[Chunk]:
        """Stream through ``inner``; the attempt is recorded when the stream ends, however."""
        trace = current_trace()
        started = self._clock.monotonic()
        first_token_ms: float | None = None
        usage: Usage | None = None
        finished = False
        inner = self.inner.stream(
            messages, model=model, max_tokens=max_tokens, temperature=temperature
        )
        try:
            async for chunk in inner:
                if chunk.text and first_token_ms is None:
                    first_token_ms = (self._clock.monotonic() - started) * 1000.0
                usage = chunk.usage or usage
                finished = finished or chunk.finish_reason is not None
                yield chunk
            if not finished:
                raise StreamInterrupted(
                    f"{self.name}: stream ended without a finish reason", provider=self.name
                )
        except BaseException as err:  # failed, cancelled by a deadline, or closed early
            self._record(trace, model, started, error=err, usage=usage, first=first_token_ms)
            raise
        finally:
            await _aclose(inner)
        self._record(trace, model, started, usage=usage, first=first_token_ms)

    def _record(
        self,
        trace: CallTrace | None,
        model: str,
        started: float,
        *,
        error: BaseException | None = None,
        usage: Usage | None = None,
        first: float | None = None,
    ) -> None:
        if trace is None:
            return
        trace.record(
            Attempt(
                provider=self.provider,
                model=model,
                ok=error is None,
                error=type(error).__name__ if error is not None else None,
                usage=usage,
                latency_ms=(self._clock.monotonic() - started) * 1000.0,
                fallback_depth=trace.fallback_depth,
                first_token_ms=first,
                entry=self.entry,
                retry=trace.retry,
                breaker_state=trace.breaker_state,
            )
        )


async def _aclose(stream: AsyncIterator[Chunk]) -> None:
    """Close a provider stream now rather than at garbage collection: it may hold a connection."""
    closer = getattr(stream, "aclose", None)
    if closer is not None:
        await closer()
