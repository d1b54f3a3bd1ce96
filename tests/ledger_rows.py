"""A migrated SQLite data directory with two conversations, and helpers to fill its call ledger."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.ledger import CallContext, Ledger
from app.runtime import Database, open_database
from app.settings import Settings, load_settings
from app.storage.tables import CallRecord, Conversation
from context.crm_tables import Customer
from providers.base import Usage
from providers.pricing import PriceTable
from providers.trace import Attempt

PRICES = PriceTable.load()


@dataclass(frozen=True, slots=True)
class LedgerDb:
    """Settings, the database, the real ledger and two conversation ids."""

    settings: Settings
    database: Database
    ledger: Ledger
    conversations: tuple[int, int]


def ledger_db(tmp_path: Path) -> LedgerDb:
    """A fresh data directory under ``tmp_path`` with a customer and two conversations."""
    # Embedded mode whatever the environment says: SQLite here, budgets and limits in process.
    settings = load_settings(data_dir=tmp_path / "data", redis_url=None, database_url=None)
    database = open_database(settings)
    with database.sessions() as session:
        session.add(
            Customer(
                id="CUS-1",
                name="Test Customer",
                email="t@example.com",
                created_at=datetime.now(UTC),
            )
        )
        session.flush()
        first = Conversation(customer_id="CUS-1", role="agent")
        second = Conversation(customer_id="CUS-1", role="customer")
        session.add_all([first, second])
        session.commit()
        assert first.id is not None and second.id is not None
        ids = (first.id, second.id)
    return LedgerDb(settings, database, Ledger(database.sessions, PRICES), ids)


def attempt(**fields: Any) -> Attempt:
    """An attempt of gpt-4o-mini that answered with 1000 input and 200 output tokens."""
    base: dict[str, Any] = {
        "provider": "openai",
        "model": "gpt-4o-mini",
        "ok": True,
        "error": None,
        "usage": Usage(1000, 200),
        "latency_ms": 800.0,
        "fallback_depth": 0,
        "first_token_ms": 150.0,
        "entry": "openai-standard",
    }
    base.update(fields)
    return Attempt(**base)


def call(
    conversation_id: int, turn: int, user_id: int | None = 1, task: str = "agent_reply"
) -> CallContext:
    """The ledger context of one turn."""
    return CallContext(
        conversation_id=conversation_id,
        turn=turn,
        user_id=user_id,
        task=task,
        prompt="support_reply@1",
        input_tokens_estimate=990,
    )


def record(db: LedgerDb, context: CallContext, attempts: list[Attempt]) -> list[CallRecord]:
    """Write the attempts through the real ledger (output estimates 190 each)."""
    return db.ledger.record(context, attempts, [190] * len(attempts))
