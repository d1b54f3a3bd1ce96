"""The supervisors' alert feed: threshold alerts and budget refusals, newest first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.audit import ALERT, AuditEntry, AuditLog
from app.cost_controls import BUDGET_REFUSED

DEFAULT_DAYS = 30
MAX_EVENTS = 500


def recent_events(
    audit: AuditLog, days: int = DEFAULT_DAYS, now: datetime | None = None
) -> list[AuditEntry]:
    """Alerts and budget refusals of the last ``days``, newest first (at most MAX_EVENTS)."""
    since = (now or datetime.now(UTC)) - timedelta(days=days)
    found = audit.entries(since=since, action=ALERT, limit=10 * MAX_EVENTS)
    found += audit.entries(since=since, action=BUDGET_REFUSED, limit=10 * MAX_EVENTS)
    return sorted(found, key=lambda e: e.id, reverse=True)[:MAX_EVENTS]
