"""Deadlines for provider calls: first token, stall between chunks, and the whole call.

The connect timeout belongs to the SDK's HTTP client. These deadlines cancel the pending read of
the inner stream (``asyncio.timeout_at`` around each ``__anext__``) and then close the stream, so
a slow provider releases its connection. Because they must really interrupt a read, they run on
the event loop's clock, not on an injectable ``Clock``; tests use short real times.

The first-token deadline waits for the first chunk that carries text (or the final chunk of an
empty answer): keep-alive or role-only chunks do not count as the provider having started.
Before any text, a missed deadline is ``ProviderTimeout`` (retry or fall back); after text it is
``StreamInterrupted``, so no outer layer starts the answer over and shows text twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence

from providers.base import (
    ChatProvider,
    Chunk,
    Completion,
    Message,
    ProviderError,
    ProviderTimeout,
    StreamInterrupted,
)
from providers.trace import CallTrace, current_trace


class Timeouts:
    """A ``ChatProvider`` that bounds how long ``inner`` may take to start, pause and finish."""

    def __init__(
        self, inner: ChatProvider, *, first_token_s: float, stall_s: float, total_s: float
    ) -> None:
        self.inner = inner
        self.name = inner.name
        self.first_token_s = first_token_s
        self.stall_s = stall_s
        self.total_s = total_s

    async def complete(
        self,
        messages: Sequence[Message],
        *,
        model: str,
        max_tokens: int,
        temperature: float,
    ) -> Completion:
        """Answer in one piece within ``total_s`` (the first-token deadline does not apply)."""
        trace = current_trace()
        since = len(trace.attempts) if trace is not None else 0
        try:
            async with asyncio.timeout(self.total_s) as deadline:
                return await self.inner.complete(
                    messages, model=model, max_tokens=max_tokens, temperature=temperature
                )
        except TimeoutError:
            if not deadline.expired():
                raise
            raise self._expired(trace, since, "total", shown_text=False) from None

    async def stream(
        self,
        messages: Sequence[Message],
        *,
        model: str,
        max_tokens: int,
        temperature: float,
    ) -> AsyncIterator[Chunk]:
        """Stream, raising when the first token, the next chunk or the end comes too late."""
        trace = current_trace()
        since = len(trace.attempts) if trace is not None else 0
        loop = asyncio.get_running_loop()
        started = loop.time()
        total_at = started + self.total_s
        first_token_at = started + self.first_token_s
        shown_text = False
        inner = self.inner.stream(
            messages, model=model, max_tokens=max_tokens, temperature=temperature
        )
        try:
            while True:
                when, kind = self._next_deadline(loop.time(), total_at, first_token_at, shown_text)
                try:
                    async with asyncio.timeout_at(when) as deadline:
                        chunk = await anext(inner)
                except StopAsyncIteration:
                    return
                except TimeoutError:
                    if not deadline.expired():
                        raise
                    raise self._expired(trace, since, kind, shown_text) from None
                shown_text = shown_text or bool(chunk.text) or chunk.finish_reason is not None
                yield chunk
        finally:
            await _aclose(inner)

    def _next_deadline(
        self, now: float, total_at: float, first_token_at: float, shown_text: bool
    ) -> tuple[float, str]:
        """The earliest deadline for the next chunk, and which one it is."""
        candidates = [(now + self.stall_s, "stall"), (total_at, "total")]
        if not shown_text:
            candidates.append((first_token_at, "first_token"))
        return min(candidates)

    def _expired(
        self, trace: CallTrace | None, since: int, kind: str, shown_text: bool
    ) -> ProviderError:
        """The error for a missed deadline, also named on the attempts it cut short."""
        limit = {"first_token": self.first_token_s, "stall": self.stall_s, "total": self.total_s}
        message = f"{self.name}: {kind.replace('_', ' ')} deadline of {limit[kind]:g}s missed"
        error: ProviderError
        if shown_text:
            error = StreamInterrupted(message + " after partial text", provider=self.name)
        else:
            error = ProviderTimeout(message, provider=self.name)
        if trace is not None:
            trace.rename_cancelled(since, type(error).__name__)
        return error


async def _aclose(stream: AsyncIterator[Chunk]) -> None:
    """Close a provider stream now rather than at garbage collection: it may hold a connection."""
    closer = getattr(stream, "aclose", None)
    if closer is not None:
        await closer()
