"""The filtered conversation list as CSV, one row per conversation."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from app.supervisor.queries import ConversationRow

HEADER = (
    "conversation_id",
    "started_utc",
    "updated_utc",
    "role",
    "agent",
    "customer_id",
    "customer_name",
    "turns",
    "calls",
    "tokens_in",
    "tokens_out",
    "cost_usd",
    "latency_mean_ms",
    "latency_p95_ms",
    "degraded_answers",
    "flagged_answers",
    "feedback_up",
    "feedback_down",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    # A spreadsheet would run a cell starting like a formula: a name must stay a name.
    return "'" + text if text.startswith(_FORMULA_START) else text


def _ms(value: float | None) -> str:
    return "" if value is None else f"{value:.0f}"


def conversations_csv(rows: Sequence[ConversationRow]) -> str:
    """The header and one line per conversation; costs as exact decimals."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for row in rows:
        writer.writerow(
            [
                row.id,
                row.started.isoformat(),
                row.updated.isoformat(),
                row.role,
                _cell(row.agent),
                _cell(row.customer_id),
                _cell(row.customer_name),
                row.turns,
                row.calls,
                row.tokens_in,
                row.tokens_out,
                f"{row.cost_usd:f}",  # never exponent notation (0E-8)
                _ms(row.latency_mean_ms),
                _ms(row.latency_p95_ms),
                row.degraded,
                row.flagged,
                row.feedback_up,
                row.feedback_down,
            ]
        )
    return out.getvalue()
