"""Audit log: events are appended and read back; the database refuses to change or remove them."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DatabaseError, OperationalError

from app.audit import RAN_AI_TASK, READ_CONVERSATION, AuditLog
from app.storage.database import make_engine, migrate, session_factory

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@pytest.fixture
def audit(tmp_path: Path) -> AuditLog:
    engine = make_engine(f"sqlite:///{tmp_path / 'audit.db'}")
    migrate(engine)
    return AuditLog(session_factory(engine))


def test_ai_tasks_and_reads_are_recorded_with_who_and_for_whom(audit: AuditLog) -> None:
    before = datetime.now(UTC) - timedelta(seconds=1)
    audit.ran_ai_task("agent.ann", "agent_reply", "CUS-10001", 12, model="gpt-4o-mini")
    audit.read_conversation("supervisor.sue", "CUS-10001", 12)
    audit.record("system", "batch.started")
    entries = audit.entries(since=before)
    assert [(e.actor, e.action) for e in entries] == [
        ("agent.ann", RAN_AI_TASK),
        ("supervisor.sue", READ_CONVERSATION),
        ("system", "batch.started"),
    ]
    ran = entries[0]
    assert (ran.customer_id, ran.conversation_id) == ("CUS-10001", 12)
    assert ran.detail == {"task": "agent_reply", "model": "gpt-4o-mini"}
    assert entries[2].customer_id is None and entries[2].conversation_id is None
    assert [e.actor for e in audit.entries(action=READ_CONVERSATION)] == ["supervisor.sue"]
    assert audit.entries(actor="nobody") == []
    assert audit.entries(since=datetime.now(UTC) + timedelta(minutes=1)) == []


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE app_audit_events SET actor = 'someone else'",
        "DELETE FROM app_audit_events",
    ],
)
def test_the_database_refuses_to_rewrite_history(tmp_path: Path, statement: str) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'audit.db'}")
    migrate(engine)
    AuditLog(session_factory(engine)).read_conversation("supervisor.sue", "CUS-10001", 12)
    with pytest.raises(DatabaseError, match="append-only"), engine.begin() as connection:
        connection.execute(text(statement))
    entries = AuditLog(session_factory(engine)).entries()
    assert [e.actor for e in entries] == ["supervisor.sue"]


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A throwaway database on the local PostgreSQL (skipped without one, except in CI)."""
    server = os.environ.get("DESKPILOT_TEST_POSTGRES_URL", POSTGRES_URL)
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    name = f"deskpilot_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError:
        admin.dispose()
        # CI machines run PostgreSQL (127.0.0.1:5432, trust auth): there its absence is a failure.
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL not reachable at {server} (required in CI)")
        pytest.skip(f"PostgreSQL not reachable at {server}")
    yield admin.url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


def test_postgres_refuses_to_rewrite_history_too(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    try:
        migrate(engine)
        AuditLog(session_factory(engine)).read_conversation("supervisor.sue", "CUS-10001", 12)
        for statement in (
            "UPDATE app_audit_events SET actor = 'x'",
            "DELETE FROM app_audit_events",
        ):
            with pytest.raises(DatabaseError, match="append-only"), engine.begin() as connection:
                connection.execute(text(statement))
        assert [e.actor for e in AuditLog(session_factory(engine)).entries()] == ["supervisor.sue"]
    finally:
        engine.dispose()
