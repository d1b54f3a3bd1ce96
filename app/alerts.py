"""Alerts: spend per hour, error rate, p95 latency and degraded share over a recent window.

``evaluate`` is a pure function of ledger rows and a time; ``AlertMonitor`` loads the window from
the call ledger, logs each breach at WARNING and records it in the audit log, where supervisors
see it. An alert names a kind, a figure and a threshold: never a user, customer or message.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from sqlmodel import col, select

from app.audit import ALERT, AuditLog
from app.storage.database import SessionFactory
from app.storage.tables import CallRecord

log = logging.getLogger(__name__)

SYSTEM_ACTOR = "deskpilot.alerts"


@dataclass(frozen=True, slots=True)
class AlertConfig:
    """The window, the smallest sample judged, and the thresholds."""

    window_minutes: int = 60
    min_calls: int = 20
    cooldown_minutes: int = 30
    spend_per_hour_usd: Decimal = Decimal("2.00")
    error_rate: float = 0.2
    p95_latency_ms: float = 8000.0
    degraded_share: float = 0.3

    @classmethod
    def load(cls, path: Path | None = None) -> AlertConfig:
        """Read ``alerts.yaml`` (by default the one shipped in ``app``)."""
        if path is None:
            text = resources.files("app").joinpath("alerts.yaml").read_text("utf-8")
        else:
            text = path.read_text("utf-8")
        return cls.from_mapping(yaml.safe_load(text) or {})

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> AlertConfig:
        """Build from parsed YAML; a bad value raises ValueError naming the file's problem."""
        limits = data.get("thresholds") or {}
        default = cls()
        try:
            config = cls(
                window_minutes=int(data.get("window_minutes", default.window_minutes)),
                min_calls=int(data.get("min_calls", default.min_calls)),
                cooldown_minutes=int(data.get("cooldown_minutes", default.cooldown_minutes)),
                spend_per_hour_usd=Decimal(
                    str(limits.get("spend_per_hour_usd", default.spend_per_hour_usd))
                ),
                error_rate=float(limits.get("error_rate", default.error_rate)),
                p95_latency_ms=float(limits.get("p95_latency_ms", default.p95_latency_ms)),
                degraded_share=float(limits.get("degraded_share", default.degraded_share)),
            )
        except (ArithmeticError, TypeError, ValueError) as exc:
            raise ValueError(f"alerts: bad value: {exc}") from None
        if config.window_minutes < 1 or config.min_calls < 1:
            raise ValueError("alerts: window_minutes and min_calls must be at least 1")
        return config


@dataclass(frozen=True, slots=True)
class Alert:
    """One breached threshold."""

    kind: str  # spend_per_hour | error_rate | p95_latency | degraded_share
    value: float
    threshold: float
    window_minutes: int
    calls: int

    @property
    def message(self) -> str:
        """One line for logs and supervisors."""
        return (
            f"{self.kind} {self.value:.4g} above {self.threshold:.4g} "
            f"over the last {self.window_minutes} min ({self.calls} calls)"
        )


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def p95(values: Sequence[float]) -> float:
    """The 95th percentile by nearest rank (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def degraded_turns(rows: Sequence[CallRecord]) -> tuple[int, int]:
    """(degraded, all) turns: degraded when a fallback answered, or nothing did."""
    turns: dict[tuple[object, ...], list[CallRecord]] = {}
    for row in rows:
        key = (row.conversation_id, row.turn, row.task) if row.conversation_id else (row.id,)
        turns.setdefault(key, []).append(row)
    degraded = 0
    for attempts in turns.values():
        answered = [row for row in attempts if row.ok]
        if not answered or answered[-1].fallback_depth > 0:
            degraded += 1
    return degraded, len(turns)


def evaluate(rows: Sequence[CallRecord], now: datetime, config: AlertConfig) -> list[Alert]:
    """The thresholds the window ending at ``now`` breaches (rows outside it are ignored)."""
    since = _aware(now) - timedelta(minutes=config.window_minutes)
    window = [row for row in rows if since <= _aware(row.created_at) <= _aware(now)]
    calls, minutes = len(window), config.window_minutes
    alerts: list[Alert] = []
    spent = sum((row.cost_usd or Decimal(0) for row in window), Decimal(0))
    per_hour = spent * 60 / minutes
    if per_hour > config.spend_per_hour_usd:
        alerts.append(
            Alert(
                "spend_per_hour", float(per_hour), float(config.spend_per_hour_usd), minutes, calls
            )
        )
    if calls < config.min_calls:
        return alerts
    error_rate = sum(not row.ok for row in window) / calls
    if error_rate > config.error_rate:
        alerts.append(Alert("error_rate", error_rate, config.error_rate, minutes, calls))
    latency = p95([row.latency_ms for row in window if row.ok and row.cache_hit is None])
    if latency > config.p95_latency_ms:
        alerts.append(Alert("p95_latency", latency, config.p95_latency_ms, minutes, calls))
    degraded, turns = degraded_turns(window)
    if turns and degraded / turns > config.degraded_share:
        share = degraded / turns
        alerts.append(Alert("degraded_share", share, config.degraded_share, minutes, calls))
    return alerts


def load_window(sessions: SessionFactory, now: datetime, minutes: int) -> list[CallRecord]:
    """The ledger rows of the ``minutes`` before ``now``, oldest first."""
    since = _aware(now) - timedelta(minutes=minutes)
    query = (
        select(CallRecord)
        .where(col(CallRecord.created_at) >= since, col(CallRecord.created_at) <= _aware(now))
        .order_by(col(CallRecord.id))
    )
    with sessions() as session:
        return list(session.exec(query).all())


class AlertMonitor:
    """Checks the thresholds against the ledger and records each new breach."""

    def __init__(self, sessions: SessionFactory, config: AlertConfig) -> None:
        self._sessions = sessions
        self._config = config
        self._audit = AuditLog(sessions)

    def check(self, now: datetime | None = None) -> tuple[list[Alert], list[Alert]]:
        """(every breach now, the breaches recorded by this check: not seen within cooldown)."""
        now = _aware(now or datetime.now(UTC))
        alerts = evaluate(
            load_window(self._sessions, now, self._config.window_minutes), now, self._config
        )
        cooldown = now - timedelta(minutes=self._config.cooldown_minutes)
        recent = {
            entry.detail.get("kind") for entry in self._audit.entries(since=cooldown, action=ALERT)
        }
        recorded = []
        for alert in alerts:
            if alert.kind in recent:
                continue
            log.warning("alert: %s", alert.message)
            self._audit.record(
                SYSTEM_ACTOR,
                ALERT,
                detail={
                    "kind": alert.kind,
                    "value": alert.value,
                    "threshold": alert.threshold,
                    "window_minutes": alert.window_minutes,
                    "calls": alert.calls,
                },
            )
            recorded.append(alert)
        return alerts, recorded

    def recent(self, hours: int = 24) -> list[dict[str, Any]]:
        """Alerts recorded in the last ``hours``, newest last, for the supervisors' view."""
        since = datetime.now(UTC) - timedelta(hours=hours)
        return [
            {"at": entry.created_at.isoformat(), **entry.detail}
            for entry in self._audit.entries(since=since, action=ALERT)
        ]
