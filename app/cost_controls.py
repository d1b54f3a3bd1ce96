"""Cost controls of a turn, in one object: rate limit, budget, metrics and audit around a call.

Built once at start-up (``build_cost_controls``) and handed to the turn orchestrator, which calls
``admit_request`` first, ``reserve`` to get the route a budget allows, and, once the ledger rows
are written, ``settle`` (with ``release`` in a ``finally`` for the paths that never settle).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from app.audit import AuditLog
from app.budgets import (
    BudgetBook,
    BudgetConfig,
    BudgetRefusal,
    BudgetRefused,
    Reservation,
    build_counters,
)
from app.metrics import Metrics, build_metrics
from app.rate_limits import RateLimitExceeded, UserRateLimiter, build_rate_limiter
from app.settings import Settings
from app.storage.database import SessionFactory
from app.storage.tables import CallRecord
from providers.base import Usage
from providers.config import ModelEntry, ProviderConfig, Task
from providers.pricing import PriceTable
from providers.routing import Route, Router
from providers.trace import Attempt

log = logging.getLogger(__name__)

BUDGET_ACTOR = "deskpilot.budgets"
BUDGET_REFUSED = "budget.refused"


def estimate_cost(prices: PriceTable, entry: ModelEntry, input_tokens: int) -> Decimal:
    """The most a call to ``entry`` can cost: ``input_tokens`` in, its ``max_tokens`` out."""
    cost = prices.cost(entry.model, Usage(input_tokens, entry.max_tokens))
    return cost if cost is not None else Decimal(0)  # an unpriced model cannot be budgeted


@dataclass(frozen=True, slots=True)
class Admission:
    """The budget's answer for one call, and the route to take when it was granted."""

    reservation: Reservation
    route: Route


class CostControls:
    """Rate limit, budgets, metrics and audit, as one turn uses them."""

    def __init__(
        self,
        *,
        budgets_config: BudgetConfig,
        counters_redis_url: str | None,
        rate_limiter: UserRateLimiter,
        metrics: Metrics,
        audit: AuditLog,
        prices: PriceTable,
    ) -> None:
        self.metrics = metrics
        self.audit = audit
        self.rate_limiter = rate_limiter
        self.prices = prices
        self.budgets = BudgetBook(
            build_counters(counters_redis_url), budgets_config, on_refusal=self._refused
        )

    def admit_request(self, user_id: int | None) -> None:
        """Count one request of the user; RateLimitExceeded (a message to show) past the limit."""
        decision = self.rate_limiter.hit(f"user:{user_id}" if user_id is not None else "anonymous")
        if not decision.allowed:
            raise RateLimitExceeded(decision.message, decision.retry_after_s)

    def reserve(
        self,
        router: Router,
        task: Task,
        *,
        message: str,
        customer_tier: str | None,
        input_tokens: int,
        user_id: int | None,
        role: str | None,
        conversation_id: int | None,
    ) -> Admission:
        """Reserve the route's worst-case cost; a nearly spent budget gets the route a tier down.

        ``input_tokens`` should be an upper bound (the context budget cap), as the prompt is not
        built yet when the route is chosen. A call that does not fit raises BudgetRefused (its
        message is for the user) after the refusal was counted and recorded for supervisors.
        """
        full = router.route(task, message=message, customer_tier=customer_tier)
        cheaper = router.route(task, message=message, customer_tier=customer_tier, budget_low=True)
        full_usd = estimate_cost(self.prices, full.entries[0], input_tokens)
        cheaper_usd = estimate_cost(self.prices, cheaper.entries[0], input_tokens)
        reservation = self.budgets.reserve(
            full_usd,
            user_id=user_id,
            role=role,
            conversation_id=conversation_id,
            cheaper_usd=cheaper_usd if cheaper_usd < full_usd else None,
        )
        if not reservation.granted:
            assert reservation.refused_scope is not None
            raise BudgetRefused(reservation.message, reservation.refused_scope)
        return Admission(reservation, cheaper if reservation.budget_low else full)

    def settle(
        self,
        reservation: Reservation,
        rows: Sequence[CallRecord],
        attempts: Sequence[Attempt],
        task: str,
    ) -> Decimal | None:
        """Settle with the ledger's cost and count the attempts; the cost, None when unknown."""
        unknown = any(r.cost_usd is None and r.ok and r.cache_hit is None for r in rows)
        cost = None if unknown else sum((r.cost_usd or Decimal(0) for r in rows), Decimal(0))
        self.budgets.settle(reservation, cost)
        self.metrics.observe_attempts(
            attempts, task, price=lambda a: self.prices.cost(a.model, a.usage) if a.usage else None
        )
        return cost

    def release(self, reservation: Reservation) -> None:
        """Give an unsettled reservation back (no-op once settled or refused)."""
        self.budgets.release(reservation)

    def _refused(self, refusal: BudgetRefusal) -> None:
        self.metrics.budget_refused(refusal.scope)
        # The supervisors' event: which scope, how much; the key names the user or conversation.
        self.audit.record(
            BUDGET_ACTOR,
            BUDGET_REFUSED,
            detail={
                "scope": refusal.scope,
                "key": refusal.key,
                "limit_usd": str(refusal.limit_usd),
                "spent_usd": str(refusal.spent_usd),
                "estimate_usd": str(refusal.estimate_usd),
            },
        )


def build_cost_controls(
    settings: Settings,
    sessions: SessionFactory,
    config: ProviderConfig,
    prices: PriceTable,
) -> CostControls:
    """Everything from the settings: budgets and rate limits on Redis when REDIS_URL is set."""
    return CostControls(
        budgets_config=BudgetConfig.load(settings.budgets_file),
        counters_redis_url=settings.redis_url,
        rate_limiter=build_rate_limiter(settings.rate_limit_per_minute, settings.redis_url),
        metrics=build_metrics(config),
        audit=AuditLog(sessions),
        prices=prices,
    )
