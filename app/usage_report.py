"""Usage from the call ledger, grouped in SQL by model, user, conversation, task or day.

Costs add up exactly: each row's cost is taken in whole units of 1e-8 USD (the ledger column's
scale) before summing, so SQLite's floating-point storage cannot drift a total by a cent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import BigInteger, case, cast, func
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col, select

from app.storage.database import SessionFactory
from app.storage.tables import CallRecord

GroupBy = Literal["model", "user", "conversation", "task", "day"]
GROUPS: tuple[GroupBy, ...] = ("model", "user", "conversation", "task", "day")
_SCALE = 10**8  # CallRecord.cost_usd is Numeric(14, 8)
_STEP = Decimal(1) / _SCALE


@dataclass(frozen=True, slots=True)
class UsageRow:
    """Totals of one group (or of everything, as the report's total)."""

    key: str
    calls: int
    errors: int
    cache_hits: int
    input_tokens: int  # as providers reported them
    output_tokens: int
    input_tokens_estimate: int  # tiktoken
    output_tokens_estimate: int
    cost_usd: Decimal
    unpriced_calls: int  # answered calls without a price: their cost is unknown, not zero

    def as_json(self) -> dict[str, Any]:
        """Exact JSON: the cost as a decimal string."""
        return {
            "key": self.key,
            "calls": self.calls,
            "errors": self.errors,
            "cache_hits": self.cache_hits,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "input_tokens_estimate": self.input_tokens_estimate,
            "output_tokens_estimate": self.output_tokens_estimate,
            "cost_usd": str(self.cost_usd),
            "unpriced_calls": self.unpriced_calls,
        }


@dataclass(frozen=True, slots=True)
class UsageReport:
    """Rows per group and their total."""

    by: GroupBy
    since: date | None
    rows: list[UsageRow]
    total: UsageRow
    generated_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def as_json(self) -> dict[str, Any]:
        """The whole report as JSON-ready data."""
        return {
            "by": self.by,
            "since": self.since.isoformat() if self.since else None,
            "rows": [row.as_json() for row in self.rows],
            "total": self.total.as_json(),
        }


def _group_column(by: GroupBy) -> Any:
    # ORM attributes and SQL functions share no useful static type; both label and group.
    columns: dict[GroupBy, Any] = {
        "model": col(CallRecord.model),
        "user": col(CallRecord.user_id),
        "conversation": col(CallRecord.conversation_id),
        "task": col(CallRecord.task),
        "day": func.date(col(CallRecord.created_at)),
    }
    return columns[by]


def _totals() -> list[ColumnElement[Any]]:
    def total(column: Any) -> ColumnElement[Any]:
        return func.coalesce(func.sum(column), 0)

    def count_if(condition: ColumnElement[bool]) -> ColumnElement[Any]:
        return total(case((condition, 1), else_=0))

    unpriced = (
        col(CallRecord.cost_usd).is_(None)
        & col(CallRecord.ok)
        & col(CallRecord.cache_hit).is_(None)
    )
    return [
        func.count(),
        count_if(~col(CallRecord.ok)),
        count_if(col(CallRecord.cache_hit).is_not(None)),
        total(col(CallRecord.input_tokens)),
        total(col(CallRecord.output_tokens)),
        total(col(CallRecord.input_tokens_estimate)),
        total(col(CallRecord.output_tokens_estimate)),
        total(cast(func.round(col(CallRecord.cost_usd) * _SCALE), BigInteger)),
        count_if(unpriced),
    ]


def _row(key: object, values: tuple[Any, ...]) -> UsageRow:
    ints = [int(value or 0) for value in values]
    return UsageRow(
        key="(none)" if key is None else str(key),
        calls=ints[0],
        errors=ints[1],
        cache_hits=ints[2],
        input_tokens=ints[3],
        output_tokens=ints[4],
        input_tokens_estimate=ints[5],
        output_tokens_estimate=ints[6],
        cost_usd=(Decimal(ints[7]) / _SCALE).quantize(_STEP),
        unpriced_calls=ints[8],
    )


def usage_report(sessions: SessionFactory, by: GroupBy, since: date | None = None) -> UsageReport:
    """Aggregate the ledger by ``by`` from the start (UTC) of ``since``, or from the beginning."""
    if by not in GROUPS:
        raise ValueError(f"cannot group usage by {by!r}")
    key = _group_column(by).label("key")
    grouped = select(key, *_totals()).group_by(key).order_by(key)
    overall = select(*_totals())
    if since is not None:
        start = datetime.combine(since, time.min, UTC)
        grouped = grouped.where(col(CallRecord.created_at) >= start)
        overall = overall.where(col(CallRecord.created_at) >= start)
    with sessions() as session:
        rows = [_row(row[0], tuple(row[1:])) for row in session.exec(grouped).all()]
        total = _row("total", tuple(session.exec(overall).one()))
    return UsageReport(by, since, rows, total)
