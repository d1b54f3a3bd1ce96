"""Per-day series of the filtered conversations: spend, tokens and degraded share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func
from sqlmodel import col, select

from app.storage.database import SessionFactory
from app.storage.tables import CallRecord, ChatMessage
from app.supervisor.filters import ConversationFilters
from app.supervisor.queries import cost_units, filtered_select, units_to_usd

MAX_DAYS = 366  # a longer range shows its last year: one bar per day must stay readable


@dataclass(frozen=True, slots=True)
class DayPoint:
    """The figures of one day (zero when nothing happened)."""

    day: date
    cost_usd: Decimal
    tokens: int
    answers: int
    degraded: int

    @property
    def degraded_share(self) -> float:
        """Degraded answers over all answers of the day (0 without answers)."""
        return self.degraded / self.answers if self.answers else 0.0


def _day(value: object) -> date:
    # SQLite's date() gives text, PostgreSQL's a date.
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _ids(filters: ConversationFilters) -> Any:
    filtered = filtered_select(filters).subquery("filtered")
    return select(filtered.c.id)


def _day_range(filters: ConversationFilters, seen: set[date]) -> list[date]:
    first = filters.date_from or (min(seen) if seen else None)
    last = filters.date_to or (max(seen) if seen else None)
    if first is None or last is None or first > last:
        return []
    first = max(first, last - timedelta(days=MAX_DAYS - 1))
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def daily_series(sessions: SessionFactory, filters: ConversationFilters) -> list[DayPoint]:
    """One point per day of the filtered range (from the data when the filters give no dates)."""
    ids = _ids(filters)
    ledger_day = func.date(col(CallRecord.created_at))
    tokens = func.coalesce(
        col(CallRecord.input_tokens), col(CallRecord.input_tokens_estimate)
    ) + func.coalesce(col(CallRecord.output_tokens), col(CallRecord.output_tokens_estimate))
    spend_query = (
        select(
            ledger_day,
            func.coalesce(func.sum(cost_units(col(CallRecord.cost_usd))), 0),
            func.coalesce(func.sum(tokens), 0),
        )
        .where(col(CallRecord.conversation_id).in_(ids))
        .group_by(ledger_day)
    )
    message_day = func.date(col(ChatMessage.created_at))
    answers_query = (
        select(
            message_day,
            func.count(),
            func.coalesce(func.sum(case((col(ChatMessage.degraded), 1), else_=0)), 0),
        )
        .where(col(ChatMessage.conversation_id).in_(ids), col(ChatMessage.author) == "assistant")
        .group_by(message_day)
    )
    with sessions() as session:
        spend = {_day(d): (units, int(t)) for d, units, t in session.exec(spend_query).all()}
        answers = {_day(d): (int(n), int(k)) for d, n, k in session.exec(answers_query).all()}
    points = []
    for day in _day_range(filters, set(spend) | set(answers)):
        units, used = spend.get(day, (0, 0))
        count, degraded = answers.get(day, (0, 0))
        points.append(DayPoint(day, units_to_usd(units), used, count, degraded))
    return points
