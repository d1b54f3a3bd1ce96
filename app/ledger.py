"""The call ledger: one row per provider attempt, priced, with tokens reported and estimated."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from app.storage.database import SessionFactory
from app.storage.tables import CallRecord
from providers import Attempt, PriceTable


@dataclass(frozen=True, slots=True)
class CallContext:
    """What the ledger needs to know about the turn an attempt belongs to."""

    conversation_id: int | None  # None: a call outside a conversation (triage of a ticket)
    turn: int | None
    user_id: int | None
    task: str
    prompt: str
    input_tokens_estimate: int
    tier: str | None = None
    route_reason: str | None = None
    role: str | None = None  # agent | customer
    rules_version: str | None = None


class Ledger:
    """Prices attempts and writes them to the call ledger."""

    def __init__(self, sessions: SessionFactory, prices: PriceTable) -> None:
        self._sessions = sessions
        self._prices = prices

    def price(self, attempt: Attempt) -> Decimal | None:
        """Cost of an attempt from its reported usage; None when unknown."""
        if attempt.usage is None:
            return None
        return self._prices.cost(attempt.model, attempt.usage)

    def record(
        self, call: CallContext, attempts: list[Attempt], output_estimates: list[int]
    ) -> list[CallRecord]:
        """Write one row per attempt (same order as ``output_estimates``); returns the rows."""
        rows = []
        for attempt, output_estimate in zip(attempts, output_estimates, strict=True):
            usage = attempt.usage
            cost = self.price(attempt)
            rows.append(
                CallRecord(
                    conversation_id=call.conversation_id,
                    turn=call.turn,
                    user_id=call.user_id,
                    task=call.task,
                    provider=attempt.provider,
                    model=attempt.model,
                    prompt=call.prompt,
                    input_tokens=usage.input_tokens if usage else None,
                    output_tokens=usage.output_tokens if usage else None,
                    input_tokens_estimate=call.input_tokens_estimate,
                    output_tokens_estimate=output_estimate,
                    cost_usd=cost,
                    latency_ms=attempt.latency_ms,
                    first_token_ms=attempt.first_token_ms,
                    fallback_depth=attempt.fallback_depth,
                    entry=attempt.entry or None,
                    retry=attempt.retry,
                    cache_hit=attempt.cache_hit,
                    breaker_state=attempt.breaker_state,
                    tier=call.tier,
                    route_reason=call.route_reason,
                    role=call.role,
                    rules_version=call.rules_version,
                    ok=attempt.ok,
                    error=attempt.error,
                )
            )
        with self._sessions() as session:
            session.add_all(rows)
            session.commit()
        return rows
