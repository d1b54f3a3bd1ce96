"""Try providers in order until one answers: resilience by composition.

``Fallback`` is itself a ``ChatProvider``. Each entry pairs a provider with the model to ask it
for, so the ``model`` argument of ``complete``/``stream`` is ignored. A provider that fails with a
``ProviderError`` before producing any text hands over to the next entry; one that fails after
text has been streamed raises ``StreamInterrupted``: the caller already showed that text, and
starting over elsewhere would repeat it. Every attempt is reported as an ``Attempt`` (for the call
ledger) through ``on_attempt`` and on the returned stream or completion.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Sequence
from dataclasses import dataclass

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

Entry = tuple[ChatProvider, str]


@dataclass(frozen=True, slots=True)
class Attempt:
    """One try of one provider: what it was, how it went, what it cost in tokens and time."""

    provider: str
    model: str
    ok: bool
    # The error's class name, never its message; "GeneratorExit" or "CancelledError" when the
    # caller stopped the stream early.
    error: str | None
    usage: Usage | None
    latency_ms: float
    fallback_depth: int  # 0 for the primary entry, 1 for the first fallback, ...
    first_token_ms: float | None


class AllProvidersFailed(ProviderUnavailable):
    """Every entry of a ``Fallback`` failed before producing text."""

    def __init__(self, message: str, *, errors: Sequence[ProviderError]) -> None:
        super().__init__(message, provider="fallback")
        self.errors = tuple(errors)


class FallbackStream:
    """The chunk stream of one ``Fallback.stream`` call, with its attempts so far."""

    def __init__(self, run: Callable[[FallbackStream], AsyncGenerator[Chunk, None]]) -> None:
        self.attempts: list[Attempt] = []
        self._chunks = run(self)

    @property
    def answered_by(self) -> Attempt | None:
        """The successful attempt, once the stream has finished well."""
        return self.attempts[-1] if self.attempts and self.attempts[-1].ok else None

    def __aiter__(self) -> FallbackStream:
        return self

    async def __anext__(self) -> Chunk:
        return await self._chunks.__anext__()

    async def aclose(self) -> None:
        """Stop the stream early and release the provider's connection."""
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
        for depth, (provider, entry_model) in enumerate(self.entries):
            started = time.perf_counter()
            try:
                completion = await provider.complete(
                    messages, model=entry_model, max_tokens=max_tokens, temperature=temperature
                )
            except ProviderError as err:
                errors.append(err)
                self._report(attempts, provider, entry_model, depth, started, error=err)
                continue
            except BaseException as err:
                self._report(attempts, provider, entry_model, depth, started, error=err)
                raise
            self._report(attempts, provider, entry_model, depth, started, usage=completion.usage)
            extra = {**completion.extra, "provider": provider.name, "fallback_depth": str(depth)}
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

        return FallbackStream(run)

    async def _stream(
        self,
        handle: FallbackStream,
        messages: Sequence[Message],
        max_tokens: int,
        temperature: float,
    ) -> AsyncGenerator[Chunk, None]:
        errors: list[ProviderError] = []
        for depth, (provider, entry_model) in enumerate(self.entries):
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
                self._report(
                    handle.attempts,
                    provider,
                    entry_model,
                    depth,
                    started,
                    error=err,
                    usage=usage,
                    first_token_ms=first_token_ms,
                )
                if first_token_ms is not None:
                    raise StreamInterrupted(
                        f"{provider.name} failed after partial text ({type(err).__name__})",
                        provider=provider.name,
                        status=err.status,
                    ) from err
                errors.append(err)
                continue
            except BaseException as err:  # cancelled, closed early, or a bug: record, then re-raise
                self._report(
                    handle.attempts,
                    provider,
                    entry_model,
                    depth,
                    started,
                    error=err,
                    usage=usage,
                    first_token_ms=first_token_ms,
                )
                raise
            finally:
                # Close the provider's stream now, not at garbage collection: it holds a connection.
                closer = getattr(inner, "aclose", None)
                if closer is not None:
                    await closer()
            self._report(
                handle.attempts,
                provider,
                entry_model,
                depth,
                started,
                usage=usage,
                first_token_ms=first_token_ms,
            )
            return
        raise self._all_failed(errors)

    def _report(
        self,
        attempts: list[Attempt],
        provider: ChatProvider,
        model: str,
        depth: int,
        started: float,
        *,
        error: BaseException | None = None,
        usage: Usage | None = None,
        first_token_ms: float | None = None,
    ) -> None:
        attempt = Attempt(
            provider=provider.name,
            model=model,
            ok=error is None,
            error=type(error).__name__ if error is not None else None,
            usage=usage,
            latency_ms=(time.perf_counter() - started) * 1000.0,
            fallback_depth=depth,
            first_token_ms=first_token_ms,
        )
        attempts.append(attempt)
        if self.on_attempt is not None:
            self.on_attempt(attempt)

    def _all_failed(self, errors: list[ProviderError]) -> AllProvidersFailed:
        summary = ", ".join(f"{e.provider or '?'}: {type(e).__name__}" for e in errors)
        failure = AllProvidersFailed(
            f"all {len(errors)} providers failed ({summary})", errors=errors
        )
        failure.__cause__ = errors[-1] if errors else None
        return failure
