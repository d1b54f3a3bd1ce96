"""Usage report: SQL totals equal the priced attempts exactly, per group, in a table and in JSON."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlmodel import col, select

from app.cli_usage import register
from app.errors import DeskpilotError
from app.storage.tables import CallRecord
from app.usage_report import usage_report
from providers.base import Usage
from tests.ledger_rows import PRICES, LedgerDb, attempt, call, ledger_db, record


def fill(db: LedgerDb) -> Decimal:
    """A retried call, a fallback past an open breaker, a cache hit and an unpriced model."""
    first, second = db.conversations
    record(
        db,
        call(first, 1),
        [attempt(ok=False, error="ProviderTimeout", usage=None), attempt(retry=1)],
    )
    record(
        db,
        call(second, 1, user_id=2, task="customer_reply"),
        [
            attempt(ok=False, error="CircuitOpen", usage=None, breaker_state="open"),
            attempt(model="gpt-4.1-mini", entry="openai-economy", usage=Usage(1234, 567)),
        ],
    )
    record(db, call(first, 2), [attempt(cache_hit="exact", usage=None)])
    record(db, call(first, 3, task="summary"), [attempt(model="mystery-model", usage=Usage(10, 5))])
    costs = [
        PRICES.cost("gpt-4o-mini", Usage(1000, 200)),
        PRICES.cost("gpt-4.1-mini", Usage(1234, 567)),
    ]
    return sum((c for c in costs if c is not None), Decimal(0))


def test_totals_per_model_match_the_priced_attempts_exactly(tmp_path: Path) -> None:
    db = ledger_db(tmp_path)
    expected_cost = fill(db)
    report = usage_report(db.database.sessions, "model")
    rows = {row.key: row for row in report.rows}
    assert set(rows) == {"gpt-4o-mini", "gpt-4.1-mini", "mystery-model"}
    mini = rows["gpt-4o-mini"]
    assert (mini.calls, mini.errors, mini.cache_hits) == (4, 2, 1)
    assert (mini.input_tokens, mini.output_tokens) == (1000, 200)
    assert mini.cost_usd == PRICES.cost("gpt-4o-mini", Usage(1000, 200))
    assert rows["gpt-4.1-mini"].cost_usd == PRICES.cost("gpt-4.1-mini", Usage(1234, 567))
    assert rows["mystery-model"].unpriced_calls == 1 and rows["mystery-model"].cost_usd == 0
    total = report.total
    assert total.cost_usd == expected_cost
    assert (total.calls, total.errors, total.cache_hits, total.unpriced_calls) == (6, 2, 1, 1)
    assert total.input_tokens == 1000 + 1234 + 10
    assert (total.input_tokens_estimate, total.output_tokens_estimate) == (6 * 990, 6 * 190)


def test_groups_by_user_conversation_task_and_day_with_since(tmp_path: Path) -> None:
    db = ledger_db(tmp_path)
    fill(db)
    with db.database.sessions() as session:
        old = session.exec(select(CallRecord).where(col(CallRecord.task) == "summary")).one()
        old.created_at = datetime(2026, 1, 2, 23, 59, tzinfo=UTC)
        session.add(old)
        session.commit()
    sessions = db.database.sessions
    assert {r.key: r.calls for r in usage_report(sessions, "user").rows} == {"1": 4, "2": 2}
    first, second = db.conversations
    by_conversation = {r.key: r.calls for r in usage_report(sessions, "conversation").rows}
    assert by_conversation == {str(first): 4, str(second): 2}
    by_task = {r.key: r.calls for r in usage_report(sessions, "task").rows}
    assert by_task == {"agent_reply": 3, "customer_reply": 2, "summary": 1}
    today = datetime.now(UTC).date().isoformat()
    assert {r.key: r.calls for r in usage_report(sessions, "day").rows} == {
        "2026-01-02": 1,
        today: 5,
    }
    recent = usage_report(sessions, "task", since=date(2026, 1, 3))
    assert "summary" not in {r.key for r in recent.rows} and recent.total.calls == 5


def test_many_small_costs_add_up_to_the_cent(tmp_path: Path) -> None:
    db = ledger_db(tmp_path)
    rows = [
        CallRecord(provider="openai", model="m", prompt="p", cost_usd=Decimal("0.10000001"))
        for _ in range(300)
    ]
    with db.database.sessions() as session:
        session.add_all(rows)
        session.commit()
    assert usage_report(db.database.sessions, "model").total.cost_usd == Decimal("30.00000300")


def run_cli(argv: list[str], data_dir: Path, capsys: pytest.CaptureFixture[str]) -> str:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", type=Path)
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["--data-dir", str(data_dir), *argv])
    assert args.func(args) == 0
    return capsys.readouterr().out


def test_the_cli_prints_a_table_and_exact_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = ledger_db(tmp_path)
    expected_cost = fill(db)
    table = run_cli(["usage", "report", "--by", "model"], db.settings.data_dir, capsys)
    assert "Usage by model" in table and "gpt-4.1-mini" in table
    assert f"{expected_cost:.8f}" in table.splitlines()[-2]  # the total line
    payload = json.loads(
        run_cli(["usage", "report", "--by", "task", "--json"], db.settings.data_dir, capsys)
    )
    assert payload["by"] == "task" and payload["total"]["cost_usd"] == f"{expected_cost:.8f}"
    assert [row["key"] for row in payload["rows"]] == ["agent_reply", "customer_reply", "summary"]
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    later = json.loads(
        run_cli(["usage", "report", "--since", tomorrow, "--json"], db.settings.data_dir, capsys)
    )
    assert later["rows"] == [] and later["total"]["calls"] == 0
    with pytest.raises(DeskpilotError, match="--since wants a date"):
        run_cli(["usage", "report", "--since", "yesterday"], db.settings.data_dir, capsys)
