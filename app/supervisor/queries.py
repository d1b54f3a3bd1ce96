"""The conversation list: one row per conversation with its totals, filtered and paged in SQL.

Costs are summed exactly as ``app.usage_report`` does: each ledger cost in whole units of 1e-8 USD
before summing, so SQLite's floating-point storage cannot drift a total.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import ROUND_CEILING, Decimal
from typing import Any

from sqlalchemy import BigInteger, case, cast, distinct, func
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col, select

from app.alerts import p95
from app.storage.database import SessionFactory
from app.storage.tables import CallRecord, ChatMessage, Conversation, Feedback, User
from app.supervisor.filters import PAGE_SIZE, ConversationFilters
from app.supervisor.latency import latencies
from app.usage_report import _SCALE, _STEP  # the ledger's exact cost scale, one definition
from context.crm_tables import Customer


@dataclass(frozen=True, slots=True)
class ConversationRow:
    """One conversation of the list with its totals."""

    id: int
    started: datetime
    updated: datetime
    role: str  # who read the answers: agent | customer
    agent: str | None  # username of who held it
    customer_id: str
    customer_name: str | None
    turns: int
    calls: int
    tokens_in: int  # reported by the provider, else the tiktoken estimate
    tokens_out: int
    cost_usd: Decimal
    degraded: int  # answers that came from a fallback (or none at all)
    flagged: int  # answers a rule check flagged
    feedback_up: int
    feedback_down: int
    latency_mean_ms: float | None = None
    latency_p95_ms: float | None = None

    @property
    def tokens(self) -> int:
        """Input and output tokens together."""
        return self.tokens_in + self.tokens_out


@dataclass(frozen=True, slots=True)
class ListTotals:
    """The totals of every conversation the filters select (not only the page)."""

    conversations: int
    turns: int
    calls: int
    tokens_in: int
    tokens_out: int
    cost_usd: Decimal
    degraded: int
    flagged: int
    feedback_up: int
    feedback_down: int


@dataclass(frozen=True, slots=True)
class ConversationPage:
    """One page of the filtered list, with the totals of the whole list."""

    rows: list[ConversationRow]
    totals: ListTotals
    page: int
    pages: int


def _total(column: Any) -> ColumnElement[Any]:
    return func.coalesce(func.sum(column), 0)


def _count_if(condition: Any) -> ColumnElement[Any]:
    return _total(case((condition, 1), else_=0))


def cost_units(column: Any) -> ColumnElement[Any]:
    """A cost column in whole 1e-8 USD units (exact to sum)."""
    return cast(func.round(column * _SCALE), BigInteger)


def units_to_usd(units: Any) -> Decimal:
    """Summed 1e-8 units back to USD, at the ledger's scale."""
    return (Decimal(int(units or 0)) / _SCALE).quantize(_STEP)


def _ledger_totals() -> Any:
    ledger_in = func.coalesce(col(CallRecord.input_tokens), col(CallRecord.input_tokens_estimate))
    ledger_out = func.coalesce(
        col(CallRecord.output_tokens), col(CallRecord.output_tokens_estimate)
    )
    columns: list[Any] = [
        col(CallRecord.conversation_id).label("cid"),
        func.count().label("calls"),
        _total(ledger_in).label("tokens_in"),
        _total(ledger_out).label("tokens_out"),
        _total(cost_units(col(CallRecord.cost_usd))).label("cost_units"),
    ]
    return (
        select(*columns)
        .where(col(CallRecord.conversation_id).is_not(None))
        .group_by(col(CallRecord.conversation_id))
        .subquery("ledger")
    )


def _message_totals() -> Any:
    answer = col(ChatMessage.author) == "assistant"
    return (
        select(
            col(ChatMessage.conversation_id).label("cid"),
            func.count(distinct(col(ChatMessage.turn))).label("turns"),
            _count_if(answer & col(ChatMessage.degraded)).label("degraded"),
            _count_if(col(ChatMessage.rule_flags_json) != "").label("flagged"),
        )
        .group_by(col(ChatMessage.conversation_id))
        .subquery("messages")
    )


def _feedback_totals() -> Any:
    return (
        select(
            col(ChatMessage.conversation_id).label("cid"),
            _count_if(col(Feedback.value) > 0).label("up"),
            _count_if(col(Feedback.value) < 0).label("down"),
        )
        .join(ChatMessage, col(Feedback.message_id) == col(ChatMessage.id))
        .group_by(col(ChatMessage.conversation_id))
        .subquery("feedback")
    )


def _start_of(day: Any) -> datetime:
    return datetime.combine(day, time.min, UTC)


def filtered_select(filters: ConversationFilters) -> Any:
    """Every conversation the filters select, with its totals as labelled columns."""
    ledger, messages, feedback = _ledger_totals(), _message_totals(), _feedback_totals()
    cost = func.coalesce(ledger.c.cost_units, 0)
    degraded = func.coalesce(messages.c.degraded, 0)
    flagged = func.coalesce(messages.c.flagged, 0)
    up, down = func.coalesce(feedback.c.up, 0), func.coalesce(feedback.c.down, 0)
    columns: list[Any] = [
        col(Conversation.id).label("id"),
        col(Conversation.created_at).label("started"),
        col(Conversation.updated_at).label("updated"),
        col(Conversation.role).label("role"),
        col(User.username).label("agent"),
        col(Conversation.customer_id).label("customer_id"),
        col(Customer.name).label("customer_name"),
        func.coalesce(messages.c.turns, 0).label("turns"),
        func.coalesce(ledger.c.calls, 0).label("calls"),
        func.coalesce(ledger.c.tokens_in, 0).label("tokens_in"),
        func.coalesce(ledger.c.tokens_out, 0).label("tokens_out"),
        cost.label("cost_units"),
        degraded.label("degraded"),
        flagged.label("flagged"),
        up.label("feedback_up"),
        down.label("feedback_down"),
    ]
    query = (
        select(*columns)
        .select_from(Conversation)
        .outerjoin(ledger, ledger.c.cid == col(Conversation.id))
        .outerjoin(messages, messages.c.cid == col(Conversation.id))
        .outerjoin(feedback, feedback.c.cid == col(Conversation.id))
        .outerjoin(User, col(User.id) == col(Conversation.user_id))
        .outerjoin(Customer, col(Customer.id) == col(Conversation.customer_id))
    )
    started = col(Conversation.created_at)
    if filters.date_from is not None:
        query = query.where(started >= _start_of(filters.date_from))
    if filters.date_to is not None:
        query = query.where(started < _start_of(filters.date_to + timedelta(days=1)))
    if filters.agent is not None:
        query = query.where(col(User.username) == filters.agent)
    if filters.customer_id is not None:
        query = query.where(col(Conversation.customer_id) == filters.customer_id)
    if filters.degraded is not None:
        query = query.where(degraded > 0 if filters.degraded else degraded == 0)
    if filters.flagged is not None:
        query = query.where(flagged > 0 if filters.flagged else flagged == 0)
    if filters.feedback == "up":
        query = query.where(up > 0)
    elif filters.feedback == "down":
        query = query.where(down > 0)
    elif filters.feedback == "any":
        query = query.where(up + down > 0)
    elif filters.feedback == "none":
        query = query.where(up + down == 0)
    if filters.min_cost is not None:
        least = (filters.min_cost * _SCALE).to_integral_value(rounding=ROUND_CEILING)
        query = query.where(cost >= int(least))
    return query


def _row(values: Any, latency: dict[int, list[float]]) -> ConversationRow:
    samples = latency.get(values.id, [])
    return ConversationRow(
        id=values.id,
        started=values.started,
        updated=values.updated,
        role=values.role,
        agent=values.agent,
        customer_id=values.customer_id,
        customer_name=values.customer_name,
        turns=int(values.turns),
        calls=int(values.calls),
        tokens_in=int(values.tokens_in),
        tokens_out=int(values.tokens_out),
        cost_usd=units_to_usd(values.cost_units),
        degraded=int(values.degraded),
        flagged=int(values.flagged),
        feedback_up=int(values.feedback_up),
        feedback_down=int(values.feedback_down),
        latency_mean_ms=sum(samples) / len(samples) if samples else None,
        latency_p95_ms=p95(samples) if samples else None,
    )


def _totals(session: Any, filtered: Any) -> ListTotals:
    rows = filtered.subquery("filtered")
    names = ("turns", "calls", "tokens_in", "tokens_out", "cost_units")
    flags = ("degraded", "flagged", "feedback_up", "feedback_down")
    query = select(func.count(), *[_total(rows.c[name]) for name in names + flags])
    values = [int(value or 0) for value in session.exec(query).one()]
    return ListTotals(
        conversations=values[0],
        turns=values[1],
        calls=values[2],
        tokens_in=values[3],
        tokens_out=values[4],
        cost_usd=units_to_usd(values[5]),
        degraded=values[6],
        flagged=values[7],
        feedback_up=values[8],
        feedback_down=values[9],
    )


def _newest_first(query: Any) -> Any:
    return query.order_by(col(Conversation.created_at).desc(), col(Conversation.id).desc())


def list_conversations(
    sessions: SessionFactory, filters: ConversationFilters, page_size: int = PAGE_SIZE
) -> ConversationPage:
    """The page ``filters.page`` of the filtered list, newest first, and the list's totals."""
    filtered = filtered_select(filters)
    with sessions() as session:
        totals = _totals(session, filtered)
        pages = max(1, math.ceil(totals.conversations / page_size))
        offset = (min(filters.page, pages) - 1) * page_size
        found = session.exec(_newest_first(filtered).limit(page_size).offset(offset)).all()
        latency = latencies(session, [values.id for values in found])
        rows = [_row(values, latency) for values in found]
    return ConversationPage(rows, totals, min(filters.page, pages), pages)


def all_conversations(
    sessions: SessionFactory, filters: ConversationFilters
) -> list[ConversationRow]:
    """Every conversation of the filtered list, newest first (the CSV export)."""
    with sessions() as session:
        found = session.exec(_newest_first(filtered_select(filters))).all()
        latency = latencies(session, [values.id for values in found])
        return [_row(values, latency) for values in found]
