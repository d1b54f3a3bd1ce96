"""Serve answers from the response caches: before calling the model, and when every model failed.

``Cached`` wraps the whole chain: on an exact hit (when ``serve_before_call``) the model is not
called at all; on a miss the model's answer streams through and, once complete, is stored.
``CacheFallback`` is a late entry of a ``Fallback`` chain, after the models and before the local
responder: during an outage it serves the exact cache (stale entries included) or a validated
answer of the semantic cache, and raises ``CacheMiss`` so the chain moves on when it has nothing.

A served hit streams the cached text in a few chunks, ends with ``finish_reason="stop"`` and zero
usage, and records an ``Attempt`` with ``cache_hit`` set in the current trace, so the ledger and
the degraded-mode notice know where the answer came from.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from providers.base import (
    ChatProvider,
    Chunk,
    Completion,
    Message,
    ProviderUnavailable,
    StreamInterrupted,
    Usage,
)
from providers.clock import Clock, SystemClock
from providers.response_cache import CachedAnswer, CacheKey, ExactCache
from providers.trace import Attempt, CallTrace, current_trace

if TYPE_CHECKING:  # numpy comes with the semantic cache; a type hint should not import it
    from providers.semantic_cache import SemanticCache

CACHE_PROVIDER = "cache"
SEMANTIC_MODEL = "semantic-cache"
KeyFor = Callable[[Sequence[Message]], CacheKey | None]
# (pseudonymised question, customer scope, knowledge scope), or None when not cacheable.
SemanticQueryFor = Callable[[Sequence[Message]], tuple[str, str, str] | None]
# Finish reasons of answers that were cut short by a limit: complete streams, incomplete answers.
_TRUNCATED = frozenset({"length", "max_tokens", "content_filter"})
_WORD = re.compile(r"\S+\s*|\s+")


class CacheMiss(ProviderUnavailable):
    """No cached answer fits this request; a ``Fallback`` moves on to its next entry."""

    retryable = False


@dataclass(frozen=True, slots=True)
class _Served:
    text: str
    model: str
    cache_hit: str
    similarity: float | None = None


def split_for_streaming(text: str, size: int = 48) -> list[str]:
    """Cut ``text`` at word boundaries into pieces of about ``size`` characters."""
    pieces: list[str] = []
    current = ""
    for word in _WORD.findall(text):
        current += word
        if len(current) >= size:
            pieces.append(current)
            current = ""
    if current:
        pieces.append(current)
    return pieces


def _record(served: _Served, started: float, clock: Clock, *, depth: int | None) -> None:
    trace = current_trace()
    if trace is None:
        return
    latency_ms = (clock.monotonic() - started) * 1000.0
    trace.record(
        Attempt(
            provider=CACHE_PROVIDER,
            model=served.model,
            ok=True,
            error=None,
            usage=Usage(0, 0),
            latency_ms=latency_ms,
            fallback_depth=trace.fallback_depth if depth is None else depth,
            first_token_ms=latency_ms,
            entry=CACHE_PROVIDER,
            cache_hit=served.cache_hit,
        )
    )


async def _serve_stream(served: _Served) -> AsyncGenerator[Chunk, None]:
    for piece in split_for_streaming(served.text):
        yield Chunk(piece)
    yield Chunk("", finish_reason="stop", usage=Usage(0, 0))


def _completion(served: _Served, started: float, clock: Clock) -> Completion:
    extra = {"provider": CACHE_PROVIDER, "cache_hit": served.cache_hit}
    if served.similarity is not None:
        extra["similarity"] = f"{served.similarity:.4f}"
    latency_ms = (clock.monotonic() - started) * 1000.0
    return Completion(served.text, Usage(0, 0), served.model, "stop", latency_ms, extra)


class Cached:
    """A ``ChatProvider`` that answers exact repeats from the cache and stores complete answers."""

    def __init__(
        self,
        inner: ChatProvider,
        exact: ExactCache,
        *,
        key_for: KeyFor,
        serve_before_call: bool = True,
        clock: Clock | None = None,
        never_store_from: Collection[str] = ("local",),
        name: str = "cached",
        semantic_first: CacheFallback | None = None,
    ) -> None:
        self.inner = inner
        self.exact = exact
        # Validated answers looked up by meaning before the call, where so configured.
        self.semantic_first = semantic_first
        self.key_for = key_for
        self.serve_before_call = serve_before_call
        self.clock = clock or SystemClock()
        # Providers whose answers are degraded stand-ins (the local responder): caching them would
        # keep serving them after the outage is over.
        self.never_store_from = frozenset(never_store_from)
        self.name = name

    async def complete(
        self, messages: Sequence[Message], *, model: str, max_tokens: int, temperature: float
    ) -> Completion:
        """The cached answer on an exact hit, else the inner provider's (stored when complete)."""
        started = self.clock.monotonic()
        key = self.key_for(messages)
        served = await self._before_call(key, messages)
        if served is not None:
            _record(served, started, self.clock, depth=0)
            return _completion(served, started, self.clock)
        completion = await self.inner.complete(
            messages, model=model, max_tokens=max_tokens, temperature=temperature
        )
        provider = completion.extra.get("provider", self.inner.name)
        if key is not None and "cache_hit" not in completion.extra:
            self._store(key, completion.text, completion.finish_reason, provider, completion.model)
        return completion

    def stream(
        self, messages: Sequence[Message], *, model: str, max_tokens: int, temperature: float
    ) -> AsyncIterator[Chunk]:
        """Stream the cached answer on an exact hit, else the inner stream (stored if complete)."""
        return self._stream(messages, model, max_tokens, temperature)

    async def _stream(
        self, messages: Sequence[Message], model: str, max_tokens: int, temperature: float
    ) -> AsyncGenerator[Chunk, None]:
        started = self.clock.monotonic()
        key = self.key_for(messages)
        served = await self._before_call(key, messages)
        if served is not None:
            _record(served, started, self.clock, depth=0)
            async for chunk in _serve_stream(served):
                yield chunk
            return
        trace = current_trace()
        mark = len(trace.attempts) if trace is not None else 0
        parts: list[str] = []
        finish: str | None = None
        inner = self.inner.stream(
            messages, model=model, max_tokens=max_tokens, temperature=temperature
        )
        try:
            async for chunk in inner:
                parts.append(chunk.text)
                finish = chunk.finish_reason or finish
                yield chunk
        finally:
            closer = getattr(inner, "aclose", None)
            if closer is not None:
                await closer()
        if finish is None:
            raise StreamInterrupted(
                f"{self.inner.name}: stream ended without a finish reason", provider=self.name
            )
        if key is None:
            return
        provider, answer_model, from_cache = _answerer(inner, trace, mark, self.inner.name, model)
        if not from_cache:
            self._store(key, "".join(parts), finish, provider, answer_model)

    async def _before_call(
        self, key: CacheKey | None, messages: Sequence[Message]
    ) -> _Served | None:
        if not self.serve_before_call:
            return None
        answer = None if key is None else self.exact.get(key)
        if answer is not None:
            return _Served(answer.text, answer.model, "exact")
        if self.semantic_first is not None:
            return await self.semantic_first.find(messages, allow_stale=False)
        return None

    def _store(
        self, key: CacheKey, text: str, finish: str | None, provider: str, model: str
    ) -> None:
        if finish is None or finish in _TRUNCATED or provider in self.never_store_from:
            return
        answer = CachedAnswer(text, model, provider, self.exact.now(), key.prompt)
        self.exact.put(key, answer)


def _answerer(
    stream: object, trace: CallTrace | None, mark: int, default_provider: str, default_model: str
) -> tuple[str, str, bool]:
    """Who produced a finished stream: (provider, model, served from a cache)."""
    attempt: object = getattr(stream, "answered_by", None)
    if attempt is None and trace is not None:
        succeeded = [a for a in trace.attempts[mark:] if a.ok]
        attempt = succeeded[-1] if succeeded else None
    if attempt is None:
        return default_provider, default_model, False
    provider = str(getattr(attempt, "provider", default_provider))
    model = str(getattr(attempt, "model", default_model))
    cache_hit = getattr(attempt, "cache_hit", None)
    return provider, model, cache_hit is not None or provider == CACHE_PROVIDER


class CacheFallback:
    """A late ``Fallback`` entry: an exact (even stale) or a validated semantic answer."""

    def __init__(
        self,
        exact: ExactCache | None,
        semantic: SemanticCache | None,
        *,
        key_for: KeyFor,
        semantic_query_for: SemanticQueryFor,
        clock: Clock | None = None,
        name: str = CACHE_PROVIDER,
    ) -> None:
        self.exact = exact
        self.semantic = semantic
        self.key_for = key_for
        self.semantic_query_for = semantic_query_for
        self.clock = clock or SystemClock()
        self.name = name

    async def complete(
        self, messages: Sequence[Message], *, model: str, max_tokens: int, temperature: float
    ) -> Completion:
        """A cached answer in one piece; raises ``CacheMiss`` when none fits."""
        started = self.clock.monotonic()
        served = await self._find(messages)
        _record(served, started, self.clock, depth=None)
        return _completion(served, started, self.clock)

    def stream(
        self, messages: Sequence[Message], *, model: str, max_tokens: int, temperature: float
    ) -> AsyncIterator[Chunk]:
        """A cached answer in a few chunks; raises ``CacheMiss`` before any chunk when none fits."""
        return self._stream(messages)

    async def _stream(self, messages: Sequence[Message]) -> AsyncGenerator[Chunk, None]:
        started = self.clock.monotonic()
        served = await self._find(messages)
        _record(served, started, self.clock, depth=None)
        async for chunk in _serve_stream(served):
            yield chunk

    async def _find(self, messages: Sequence[Message]) -> _Served:
        served = await self.find(messages, allow_stale=True)
        if served is None:
            raise CacheMiss("no cached answer for this request", provider=self.name)
        return served

    async def find(self, messages: Sequence[Message], *, allow_stale: bool) -> _Served | None:
        """An exact (stale ones if allowed) or validated semantic answer, or None."""
        if self.exact is not None:
            key = self.key_for(messages)
            answer = None if key is None else self.exact.get(key, allow_stale=allow_stale)
            if answer is not None:
                return _Served(answer.text, answer.model, "exact")
        if self.semantic is not None:
            query = self.semantic_query_for(messages)
            if query is not None:
                question, scope, knowledge_scope = query
                # Embedding takes milliseconds of CPU: keep the event loop free for other users.
                hit = await asyncio.to_thread(
                    self.semantic.lookup, question, scope=scope, knowledge_scope=knowledge_scope
                )
                if hit is not None:
                    return _Served(hit.answer, SEMANTIC_MODEL, "semantic", hit.similarity)
        return None
