"""Build the providers of a configuration: one resilient stack per model entry, and per call a
fallback chain along the route, with the caches in their places.

Per entry, innermost first: adapter -> Instrumented -> Timeouts -> Retrying -> Breaker ->
Bulkhead (one limiter per provider). Per call: Cached(exact, before the call when configured) ->
Fallback(route entries..., CacheFallback (exact or semantic answers), local responder).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from providers.base import ChatProvider
from providers.breaker import Breaker, BreakerPolicy
from providers.bulkhead import Bulkhead, BulkheadLimiter
from providers.cached import Cached, CacheFallback
from providers.clock import Clock, SystemClock
from providers.config import ModelEntry, ProviderConfig
from providers.fallback import Fallback
from providers.instrumented import Instrumented
from providers.local_responder import LocalResponder
from providers.response_cache import ExactCache, key_builder
from providers.retrying import Retrying, RetryPolicy
from providers.routing import Route
from providers.semantic_cache import SemanticCache, semantic_query
from providers.state import KeyValueStore
from providers.timeouts import Timeouts

log = logging.getLogger(__name__)

AdapterFactory = Callable[[ModelEntry], ChatProvider]


def default_adapter(entry: ModelEntry, *, local: LocalResponder) -> ChatProvider:
    """The SDK adapter for an entry (keys and base URLs from the environment)."""
    if entry.provider == "local":
        return local
    key = entry.api_key()
    if key is None:  # enabled() was checked; a key removed since is a configuration error
        raise ValueError(f"model entry {entry.name!r}: {entry.api_key_env} is not set")
    if entry.provider == "openai":
        from providers.openai_provider import OpenAIProvider

        return OpenAIProvider(
            api_key=key,
            base_url=entry.resolved_base_url(),
            timeout_s=entry.timeouts.total_s,
            connect_timeout_s=entry.timeouts.connect_s,
        )
    from providers.anthropic_provider import AnthropicProvider

    return AnthropicProvider(
        api_key=key,
        base_url=entry.resolved_base_url(),
        timeout_s=entry.timeouts.total_s,
        connect_timeout_s=entry.timeouts.connect_s,
    )


@dataclass
class ProviderSet:
    """Every enabled entry's stack, the caches, and the breakers (for health and metrics)."""

    config: ProviderConfig
    stacks: dict[str, ChatProvider]
    breakers: dict[str, Breaker]
    exact: ExactCache
    semantic: SemanticCache | None
    knowledge_scope: str = "knowledge"
    adapters: list[ChatProvider] = field(default_factory=list)

    def chain(self, route: Route, *, prompt: str, scope: str | None = None) -> ChatProvider:
        """The provider for one call along ``route``: cache, models, cached answers, local.

        ``scope`` says whose private facts the prompt holds (a customer id), for the caches.
        """
        key_for = key_builder(prompt=prompt, tier=route.tier, scope=scope)
        models = [(self.stacks[e.name], e.model) for e in route.entries if e.provider != "local"]
        local = [(self.stacks[e.name], e.model) for e in route.entries if e.provider == "local"]
        if not models:
            return Fallback(local[0], *local[1:])
        # Cached answers stand in for the models only when there were models to stand in for.
        cached_answers = CacheFallback(
            self.exact,
            self.semantic,
            key_for=key_for,
            semantic_query_for=functools.partial(
                semantic_query, knowledge_scope=self.knowledge_scope, scope=scope
            ),
        )
        entries = [*models, (cached_answers, "cache"), *local]
        settings = self.config.cache
        return Cached(
            Fallback(entries[0], *entries[1:]),
            self.exact,
            key_for=key_for,
            serve_before_call=settings.serve_before_call,
            semantic_first=cached_answers if settings.semantic_before_call else None,
        )


def build_entry_stack(
    adapter: ChatProvider,
    entry: ModelEntry,
    config: ProviderConfig,
    *,
    store: KeyValueStore,
    limiter: BulkheadLimiter,
    clock: Clock | None = None,
    on_transition: Callable[[str, str, str], None] | None = None,
) -> tuple[ChatProvider, Breaker]:
    """The resilient stack of one model entry, and its breaker."""
    clock = clock or SystemClock()
    layer: ChatProvider = Instrumented(adapter, entry=entry.name, clock=clock)
    t = entry.timeouts
    layer = Timeouts(layer, first_token_s=t.first_token_s, stall_s=t.stall_s, total_s=t.total_s)
    r = config.retry
    policy = RetryPolicy(
        max_attempts=r.max_attempts,
        base_delay_s=r.base_delay_s,
        max_delay_s=r.max_delay_s,
        retry_after_cap_s=r.retry_after_cap_s,
    )
    layer = Retrying(layer, policy, clock)
    b = config.breaker
    breaker = Breaker(
        layer,
        key=entry.name,
        store=store,
        policy=BreakerPolicy(
            failure_threshold=b.failure_threshold, window_s=b.window_s, open_s=b.open_s
        ),
        # The system clock means wall time, shared by every process on Redis.
        clock=None if isinstance(clock, SystemClock) else clock,
        on_transition=on_transition,
    )
    stack = Bulkhead(
        breaker,
        limiter=limiter,
        queue_timeout_s=config.bulkhead.queue_timeout_s,
        entry=entry.name,
    )
    return stack, breaker


def build_provider_set(
    config: ProviderConfig,
    *,
    store: KeyValueStore,
    local: LocalResponder,
    embed: Callable[[str], Sequence[float]] | None = None,
    adapter_for: AdapterFactory | None = None,
    clock: Clock | None = None,
    on_transition: Callable[[str, str, str], None] | None = None,
    knowledge_scope: str = "knowledge",
) -> ProviderSet:
    """One stack per enabled entry; the local entry is bare (it cannot fail the way SDKs do)."""
    clock = clock or SystemClock()
    make = adapter_for or functools.partial(default_adapter, local=local)
    limiters: dict[str, BulkheadLimiter] = {}
    stacks: dict[str, ChatProvider] = {}
    breakers: dict[str, Breaker] = {}
    adapters: list[ChatProvider] = []
    for entry in config.enabled_models():
        adapter = make(entry)
        adapters.append(adapter)
        if entry.provider == "local":
            stacks[entry.name] = Instrumented(adapter, entry=entry.name, clock=clock)
            continue
        limiter = limiters.setdefault(entry.provider, BulkheadLimiter(entry.max_in_flight))
        stacks[entry.name], breakers[entry.name] = build_entry_stack(
            adapter,
            entry,
            config,
            store=store,
            limiter=limiter,
            clock=clock,
            on_transition=on_transition,
        )
    semantic = (
        SemanticCache(store, embed, threshold=config.cache.semantic_threshold)
        if embed is not None
        else None
    )
    log.info("providers: %s", ", ".join(stacks) or "none")
    return ProviderSet(
        config=config,
        stacks=stacks,
        breakers=breakers,
        exact=ExactCache(store, ttl_s=config.cache.exact_ttl_s),
        semantic=semantic,
        knowledge_scope=knowledge_scope,
        adapters=adapters,
    )
