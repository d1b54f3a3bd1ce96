"""Try providers in order until one answers: resilience by composition.

``Fallback`` is itself a ``ChatProvider``. Each entry pairs a provider with the model to ask it
for, so the ``model`` argument of ``complete``/``stream`` is ignored. A provider that fails with a
``ProviderError`` before producing any text hands over to the next entry; one that fails after
text has been streamed raises ``StreamInterrupted``: the caller already showed that text, and
starting over elsewhere would repeat it.

Attempts go to the call trace (``providers.trace``): the caller's, or one the call starts. Before
each entry ``Fallback`` sets the trace's fallback depth (and resets its retry number and breaker
state); ``Instrumented`` layers inside the entry record the attempts. An entry that recorded
nothing (a bare adapter) is recorded by ``Fallback`` itself, so every try appears exactly once.
Each attempt of the call is also passed to ``on_attempt`` and listed on the returned stream.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Sequence
from contextlib import nullcontext

from providers.base import (
    ChatProvider,
    Chunk,
    Completion,
    Message,
    ProviderError,
    ProviderUnavailable,
    StreamInterrupted,
    Usage,
)
from providers.trace import Attempt, CallTrace, current_trace, tracing, use_trace

__all__ = ["AllProvidersFailed", "Attempt", "Entry", "Fallback", "FallbackStream"]

Entry = tuple[ChatProvider, str]


class AllProvidersFailed(ProviderUnavailable):
    """Every entry of a ``Fallback`` failed before producing text."""

    def __init__(self, message: str, *, errors: Sequence[ProviderError]) -> None:
        super().__init__(message, provider="fallback")
        self.errors = tuple(errors)


class FallbackStream:
    """The chunk stream of one ``Fallback.stream`` call, with its trace and attempts so far."""

    def __init__(
        self,
        run: Callable[[FallbackStream], AsyncGenerator[Chunk, None]],
        trace: CallTrace,
    ) -> None:
        self.attempts: list[Attempt] = []
        self.trace = trace
        self._chunks = run(self)

    @property
    def answered_by(self) -> Attempt | None:
        """The successful attempt, once the stream has finished well."""
        return self.attempts[-1] if self.attempts and self.attempts[-1].ok else None

    def __aiter__(self) -> FallbackStream:
        return self

    async def __anext__(self) -> Chunk:
        # The trace is made current around each step, never inside the generator: a context
        # variable set in an async generator would leak into the consumer's context.
        with use_trace(self.trace):
            return await self._chunks.__anext__()

    async def aclose(self) -> None:
        """Stop the stream early and release the provider's connection."""
        with use_trace(self.trace):
            await self._chunks.aclose()


class Fallback:
    """A ``ChatProvider`` that tries ``(provider, model)`` entries in order."""

    def __init__(
        self,
        primary: Entry,
        *others: Entry,
        on_attempt: Callable[[Attempt], None] | None = None,
        name: str = "fallback",
    ) -> None:
        self.entries: tuple[Entry, ...] = (primary, *others)
        self.on_attempt = on_attempt
        self.name = name

    async def complete(
        self,
        messages: Sequence[Message],
        *,
        model: str = "",
        max_tokens: int,
        temperature: float,
    ) -> Completion:
        """Answer in one piece from the first entry that succeeds (``model`` is ignored)."""
        errors: list[ProviderError] = []
        attempts: list[Attempt] = []
        active = current_trace()
        with nullcontext(active) if active is not None else tracing() as trace:
            for depth, (provider, entry_model) in enumerate(self.entries):
                since = _enter(trace, depth)
                started = time.perf_counter()
                try:
                    completion = await provider.complete(
                        messages, model=entry_model, max_tokens=max_tokens, temperature=temperature
                    )
                except ProviderError as err:
                    errors.append(err)
                    self._settle(trace, since, attempts, provider, entry_model, started, error=err)
                    continue
                except BaseException as err:
                    self._settle(trace, since, attempts, provider, entry_model, started, error=err)
                    raise
                self._settle(
                    trace, since, attempts, provider, entry_model, started, usage=completion.usage
                )
                extra = {
                    **completion.extra,
                    "provider": provider.name,
                    "fallback_depth": str(depth),
                }
                return dataclasses.replace(completion, extra=extra)
        raise self._all_failed(errors)

    def stream(
        self,
        messages: Sequence[Message],
        *,
        model: str = "",
        max_tokens: int,
        temperature: float,
    ) -> FallbackStream:
        """Stream from the first entry that starts answering (``model`` is ignored)."""

        def run(handle: FallbackStream) -> AsyncGenerator[Chunk, None]:
            return self._stream(handle, messages, max_tokens, temperature)

        return FallbackStream(run, current_trace() or CallTrace())

    async def _stream(
        self,
        handle: FallbackStream,
        messages: Sequence[Message],
        max_tokens: int,
        temperature: float,
    ) -> AsyncGenerator[Chunk, None]:
        errors: list[ProviderError] = []
        trace = handle.trace
        for depth, (provider, entry_model) in enumerate(self.entries):
            since = _enter(trace, depth)
            started = time.perf_counter()
            first_token_ms: float | None = None
            usage: Usage | None = None
            finished = False
            inner: AsyncIterator[Chunk] | None = None
            try:
                inner = provider.stream(
                    messages, model=entry_model, max_tokens=max_tokens, temperature=temperature
                )
                async for chunk in inner:
                    if chunk.text and first_token_ms is None:
                        first_token_ms = (time.perf_counter() - started) * 1000.0
                    usage = chunk.usage or usage
                    finished = finished or chunk.finish_reason is not None
                    yield chunk
                if not finished:
                    raise StreamInterrupted(
                        f"{provider.name}: stream ended without a finish reason",
                        provider=provider.name,
                    )
            except ProviderError as err:
                await _aclose(inner)
                self._settle(
                    trace,
                    since,
                    handle.attempts,
                    provider,
                    entry_model,
                    started,
                    error=err,
                    usage=usage,
                    first_token_ms=first_token_ms,
                )
                if first_token_ms is not None:
                    if isinstance(err, StreamInterrupted):
                        raise
                    raise StreamInterrupted(
                        f"{provider.name} failed after partial text ({type(err).__name__})",
                        provider=provider.name,
                        status=err.status,
                    ) from err
                errors.append(err)
                continue
            except BaseException as err:  # cancelled, closed early, or a bug: record, then re-raise
                # Close first: layers inside the entry record their attempt when their stream ends.
                await _aclose(inner)
                self._settle(
                    trace,
                    since,
                    handle.attempts,
                    provider,
                    entry_model,
                    started,
                    error=err,
                    usage=usage,
                    first_token_ms=first_token_ms,
                )
                raise
            finally:
                await _aclose(inner)
            self._settle(
                trace,
                since,
                handle.attempts,
                provider,
                entry_model,
                started,
                usage=usage,
                first_token_ms=first_token_ms,
            )
            return
        raise self._all_failed(errors)

    def _settle(
        self,
        trace: CallTrace,
        since: int,
        sink: list[Attempt],
        provider: ChatProvider,
        model: str,
        started: float,
        *,
        error: BaseException | None = None,
        usage: Usage | None = None,
        first_token_ms: float | None = None,
    ) -> None:
        """Record the entry's attempt unless a layer inside did, then report the new attempts."""
        if len(trace.attempts) == since:
            trace.record(
                Attempt(
                    provider=provider.name,
                    model=model,
                    ok=error is None,
                    error=type(error).__name__ if error is not None else None,
                    usage=usage,
                    latency_ms=(time.perf_counter() - started) * 1000.0,
                    fallback_depth=trace.fallback_depth,
                    first_token_ms=first_token_ms,
                    retry=trace.retry,
                    breaker_state=trace.breaker_state,
                )
            )
        for attempt in trace.attempts[since:]:
            sink.append(attempt)
            if self.on_attempt is not None:
                self.on_attempt(attempt)

    def _all_failed(self, errors: list[ProviderError]) -> AllProvidersFailed:
        summary = ", ".join(f"{e.provider or '?'}: {type(e).__name__}" for e in errors)
        failure = AllProvidersFailed(
            f"all {len(errors)} providers failed ({summary})", errors=errors
        )
        failure.__cause__ = errors[-1] if errors else None
        return failure


def _enter(trace: CallTrace, depth: int) -> int:
    """Point the trace at entry ``depth``; returns where that entry's attempts will start."""
    trace.fallback_depth = depth
    trace.retry = 0
    trace.breaker_state = None
    return len(trace.attempts)


async def _aclose(stream: AsyncIterator[Chunk] | None) -> None:
    """Close a provider stream now, not at garbage collection: it holds a connection."""
    closer = getattr(stream, "aclose", None)
    if closer is not None:
        await closer()
