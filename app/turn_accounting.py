"""Step 7 of a turn: a ledger row per provider attempt, the budget settled, audit and metrics."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from app.cost_controls import Admission, CostControls
from app.ledger import CallContext, Ledger
from app.provider_call import StreamedAnswer
from app.storage.tables import CallRecord
from context.tokens import TokenCounter
from providers import Message
from providers.routing import Route


@dataclass(frozen=True, slots=True)
class TurnAccount:
    """What one turn asked of the providers and what came back."""

    conversation_id: int
    customer_id: str
    user_id: int | None
    turn: int
    role: str
    route: Route
    prompt: str
    rules_version: str | None
    messages: Sequence[Message]
    answer: StreamedAnswer
    model: str
    started: float  # perf_counter at the start of the turn
    first_token_s: float | None


class TurnAccounting:
    """Writes the ledger, settles the reservation, audits the AI task and times the turn."""

    def __init__(self, ledger: Ledger, costs: CostControls, counter: TokenCounter) -> None:
        self._ledger = ledger
        self._costs = costs
        self._counter = counter

    def record(self, admission: Admission, account: TurnAccount) -> list[CallRecord]:
        """Account for every attempt of the turn; returns the ledger rows."""
        answer, route = account.answer, account.route
        rows = self._ledger.record(
            CallContext(
                conversation_id=account.conversation_id,
                turn=account.turn,
                user_id=account.user_id,
                task=route.task,
                prompt=account.prompt,
                input_tokens_estimate=self._counter.count_messages(
                    [m.content for m in account.messages]
                ),
                tier=route.tier,
                route_reason=route.reason,
                role=account.role,
                rules_version=account.rules_version,
            ),
            answer.attempts,
            [self._counter.count(answer.text) if a.ok else 0 for a in answer.attempts],
        )
        self._costs.settle(admission.reservation, rows, answer.attempts, route.task)
        self._costs.audit.ran_ai_task(
            f"user:{account.user_id}",
            route.task,
            account.customer_id,
            account.conversation_id,
            turn=account.turn,
            model=account.model,
        )
        self._costs.metrics.observe_turn(
            total_s=time.perf_counter() - account.started,
            first_token_s=account.first_token_s,
            provider_s=sum(a.latency_ms for a in answer.attempts) / 1000,
        )
        return rows
