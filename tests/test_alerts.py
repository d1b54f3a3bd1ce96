"""Alerts: each threshold fires on its own figure, small samples stay quiet, breaches recorded."""

from __future__ import annotations

import argparse
import json
import logging
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from app.alerts import AlertConfig, AlertMonitor, evaluate, p95
from app.audit import ALERT, AuditLog
from app.cli_usage import register
from app.storage.tables import CallRecord
from providers.base import Usage
from tests.ledger_rows import attempt, call, ledger_db, record

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
CONFIG = AlertConfig(
    window_minutes=60,
    min_calls=10,
    spend_per_hour_usd=Decimal("1.00"),
    error_rate=0.2,
    p95_latency_ms=5000,
    degraded_share=0.3,
)


def row(minutes_ago: float = 5, **fields: object) -> CallRecord:
    values: dict[str, object] = {
        "provider": "openai",
        "model": "gpt-4o-mini",
        "prompt": "support_reply@1",
        "cost_usd": Decimal("0.001"),
        "latency_ms": 900.0,
        "created_at": NOW - timedelta(minutes=minutes_ago),
    }
    values.update(fields)
    return CallRecord(**values)  # type: ignore[arg-type]


def healthy(n: int = 20) -> list[CallRecord]:
    return [row(conversation_id=i + 1, turn=1) for i in range(n)]


def kinds(rows: list[CallRecord], config: AlertConfig = CONFIG) -> list[str]:
    return [alert.kind for alert in evaluate(rows, NOW, config)]


def test_a_healthy_hour_raises_nothing() -> None:
    assert kinds(healthy()) == []


def test_spend_is_scaled_to_an_hour_and_old_rows_are_ignored() -> None:
    half_hour = AlertConfig(window_minutes=30, spend_per_hour_usd=Decimal("1.00"))
    rows = [row(cost_usd=Decimal("0.30")), row(cost_usd=Decimal("0.25"))]
    assert kinds(rows, half_hour) == ["spend_per_hour"]  # $0.55 in 30 min is $1.10 an hour
    [alert] = evaluate(rows, NOW, half_hour)
    assert alert.value == pytest.approx(1.10) and "over the last 30 min (2 calls)" in alert.message
    assert kinds([row(minutes_ago=31, cost_usd=Decimal("5"))], half_hour) == []


def test_error_rate_latency_and_degradation_each_fire() -> None:
    errors = [*healthy(16), *(row(ok=False, error="ProviderTimeout") for _ in range(5))]
    assert kinds(errors) == ["error_rate"]
    slow = [*healthy(18), row(latency_ms=9000), row(latency_ms=9500)]
    assert kinds(slow) == ["p95_latency"]
    # Seven of twenty turns answered by a fallback (their failed first try is a separate row).
    degraded = healthy(13)
    for i in range(7):
        conversation = 100 + i
        degraded.append(row(conversation_id=conversation, turn=1, ok=False, error="CircuitOpen"))
        degraded.append(row(conversation_id=conversation, turn=1, fallback_depth=1))
    assert kinds(degraded, AlertConfig(min_calls=10, error_rate=0.5)) == ["degraded_share"]


def test_small_samples_do_not_alert_on_rates() -> None:
    assert kinds([row(ok=False, error="ProviderTimeout") for _ in range(9)]) == []


def test_p95_by_nearest_rank() -> None:
    assert p95([]) == 0.0
    assert p95([float(v) for v in range(1, 101)]) == 95.0
    assert p95([3.0]) == 3.0


def test_breaches_are_logged_recorded_once_per_cooldown_and_listed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db = ledger_db(tmp_path)
    first, _ = db.conversations
    for turn in range(12):
        record(db, call(first, turn), [attempt(ok=False, error="ProviderUnavailable", usage=None)])
    monitor = AlertMonitor(db.database.sessions, AlertConfig(min_calls=10))
    with caplog.at_level(logging.WARNING, logger="app.alerts"):
        alerts, recorded = monitor.check()
    assert {a.kind for a in alerts} == {"error_rate", "degraded_share"}
    assert recorded == alerts
    assert any("alert: error_rate 1 above 0.2" in message for message in caplog.messages)
    again, recorded_again = monitor.check()
    assert again == alerts and recorded_again == []
    events = AuditLog(db.database.sessions).entries(action=ALERT)
    assert sorted(e.detail["kind"] for e in events) == ["degraded_share", "error_rate"]
    assert {entry["kind"] for entry in monitor.recent()} == {"degraded_share", "error_rate"}


def test_the_cli_check_prints_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = ledger_db(tmp_path)
    first, _ = db.conversations
    # One big call: $3.60 at gpt-4.1's prices, above the shipped $2.00 an hour.
    record(db, call(first, 1), [attempt(model="gpt-4.1", usage=Usage(1_000_000, 200_000))])
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", type=Path)
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["--data-dir", str(db.settings.data_dir), "alerts", "check", "--json"])
    assert args.func(args) == 0
    payload = json.loads(capsys.readouterr().out)
    assert [a["kind"] for a in payload["alerts"]] == ["spend_per_hour"]
    assert payload["alerts"][0]["recorded"] is True
    args = parser.parse_args(["--data-dir", str(db.settings.data_dir), "alerts", "check"])
    assert args.func(args) == 0
    assert "(already recorded)" in capsys.readouterr().out
