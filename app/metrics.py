"""Prometheus metrics on a registry of our own, built once at start-up and passed down.

Label values are bounded: models, entries and tasks come from the provider configuration, error
classes from our error hierarchy; anything else is counted as "other". No id, name or message
ever becomes a label.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from providers.base import ProviderError
from providers.config import ProviderConfig
from providers.trace import Attempt

OTHER = "other"
BREAKER_STATES = {"closed": 0, "half_open": 1, "open": 2}
CACHE_KINDS = frozenset({"exact", "semantic"})
BUDGET_SCOPES = frozenset({"user", "team", "conversation"})
HISTORY_WRITES = frozenset(
    {"create_step", "update_step", "create_element", "update_thread", "upsert_feedback"}
)
# Errors that are not ProviderErrors but do end attempts (a stopped stream, a cancelled task).
_OTHER_ERRORS = frozenset({"CancelledError", "GeneratorExit", "TimeoutError"})
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 40)


def error_classes() -> frozenset[str]:
    """The names of every ProviderError subclass, and the few other errors attempts end with."""
    names: set[str] = set()
    pending: list[type[BaseException]] = [ProviderError]
    while pending:
        cls = pending.pop()
        names.add(cls.__name__)
        pending.extend(cls.__subclasses__())
    return frozenset(names | _OTHER_ERRORS)


@dataclass(frozen=True, slots=True)
class LabelBounds:
    """The label values allowed per label; anything else becomes "other"."""

    models: frozenset[str]
    entries: frozenset[str]
    tasks: frozenset[str]
    errors: frozenset[str]

    @classmethod
    def from_config(
        cls, models: Iterable[str], entries: Iterable[str], tasks: Iterable[str]
    ) -> LabelBounds:
        """Bounds from the configured models, model entries and tasks."""
        return cls(frozenset(models), frozenset(entries), frozenset(tasks), error_classes())


def _bounded(value: str | None, allowed: frozenset[str]) -> str:
    return value if value in allowed else OTHER


class Metrics:
    """Every series Deskpilot exports, on one registry."""

    def __init__(self, bounds: LabelBounds, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self._bounds = bounds
        reg = self.registry
        self.pipeline_overhead = Histogram(
            "deskpilot_pipeline_overhead_seconds",
            "Time a turn spends outside provider calls (checks, context, storage)",
            buckets=_LATENCY_BUCKETS,
            registry=reg,
        )
        self.time_to_first_token = Histogram(
            "deskpilot_time_to_first_token_seconds",
            "From the user's message to the first streamed token",
            buckets=_LATENCY_BUCKETS,
            registry=reg,
        )
        self.turn_seconds = Histogram(
            "deskpilot_turn_seconds", "Whole turns", buckets=_LATENCY_BUCKETS, registry=reg
        )
        self.provider_errors = Counter(
            "deskpilot_provider_errors", "Failed provider attempts", ["error_class"], registry=reg
        )
        self.tokens = Counter(
            "deskpilot_tokens",
            "Provider-reported tokens",
            ["model", "task", "direction"],
            registry=reg,
        )
        self.cost_usd = Counter(
            "deskpilot_cost_usd", "Priced spend in USD", ["model", "task"], registry=reg
        )
        self.cache_hits = Counter(
            "deskpilot_cache_hits", "Answers served from a cache", ["kind"], registry=reg
        )
        self.budget_refusals = Counter(
            "deskpilot_budget_refusals", "Calls refused by a budget", ["scope"], registry=reg
        )
        self.breaker_state = Gauge(
            "deskpilot_breaker_state",
            "Circuit breaker per model entry: 0 closed, 1 half-open, 2 open",
            ["entry"],
            registry=reg,
        )
        self.active_sessions = Gauge(
            "deskpilot_active_sessions", "Open chat sessions in this process", registry=reg
        )
        self.history_write_failures = Counter(
            "deskpilot_history_write_failures",
            "Chat history writes that failed after their retries",
            ["operation"],
            registry=reg,
        )

    def observe_attempts(
        self,
        attempts: Sequence[Attempt],
        task: str,
        *,
        price: Callable[[Attempt], Decimal | None] | None = None,
    ) -> None:
        """Count the tokens, cost, errors, cache hits and breaker states of a call's attempts."""
        bounds = self._bounds
        task_label = _bounded(task, bounds.tasks)
        for attempt in attempts:
            model = _bounded(attempt.model, bounds.models)
            if attempt.error is not None:
                self.provider_errors.labels(_bounded(attempt.error, bounds.errors)).inc()
            if attempt.cache_hit is not None:
                self.cache_hits.labels(_bounded(attempt.cache_hit, CACHE_KINDS)).inc()
            elif attempt.usage is not None:
                # A cached answer was paid for by the call that stored it, not again here.
                self.tokens.labels(model, task_label, "input").inc(attempt.usage.input_tokens)
                self.tokens.labels(model, task_label, "output").inc(attempt.usage.output_tokens)
                cost = price(attempt) if price is not None else None
                if cost is not None:
                    self.cost_usd.labels(model, task_label).inc(float(cost))
            if attempt.breaker_state in BREAKER_STATES and attempt.entry:
                self.set_breaker(attempt.entry, attempt.breaker_state)

    def set_breaker(self, entry: str, state: str) -> None:
        """Record an entry's breaker state (closed, half_open or open)."""
        if state in BREAKER_STATES:
            entry_label = _bounded(entry, self._bounds.entries)
            self.breaker_state.labels(entry_label).set(BREAKER_STATES[state])

    def observe_turn(
        self, *, total_s: float, first_token_s: float | None, provider_s: float
    ) -> None:
        """Time a whole turn: total, to the first token, and the part outside provider calls."""
        self.turn_seconds.observe(total_s)
        if first_token_s is not None:
            self.time_to_first_token.observe(first_token_s)
        self.pipeline_overhead.observe(max(0.0, total_s - provider_s))

    def budget_refused(self, scope: str) -> None:
        """Count one budget refusal."""
        self.budget_refusals.labels(_bounded(scope, BUDGET_SCOPES)).inc()

    def history_write_failed(self, operation: str) -> None:
        """Count one history write given up after its retries."""
        self.history_write_failures.labels(_bounded(operation, HISTORY_WRITES)).inc()

    def session_started(self) -> None:
        """One more chat session open."""
        self.active_sessions.inc()

    def session_ended(self) -> None:
        """One chat session closed."""
        self.active_sessions.dec()


def build_metrics(config: ProviderConfig) -> Metrics:
    """Metrics whose label bounds come from the provider configuration."""
    return Metrics(
        LabelBounds.from_config(
            (m.model for m in config.models), (m.name for m in config.models), config.tasks
        )
    )
