"""A data directory of its own for the supervisor views: users, three conversations, a ledger.

The runtime under test is the session's real runtime with its database and conversation store
swapped for this directory's, so the totals the pages show can be checked against known sums.
"""

from __future__ import annotations

import dataclasses
import json
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import chainlit as cl
import pytest
from chainlit.auth.jwt import create_jwt
from sqlmodel import select

from app.conversations import ConversationStore, StoredTurn
from app.runtime import Runtime, conversation_store, open_database
from app.settings import load_settings
from app.storage.database import SessionFactory
from app.storage.tables import CallRecord, ChatMessage, Conversation, Feedback, User
from app.ui.session import user_metadata
from app.users import add_user
from context.crm_tables import Customer

PASSWORD = "supervisor-test-password"
DAY1 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
DAY2 = datetime(2026, 3, 2, 11, 0, tzinfo=UTC)
DAY4 = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
QUESTION_1 = "Hi, Ada Example here: was my order ORD-1 refunded?"
ANSWER_1 = "Yes Ada, the refund of ORD-1 takes 5 business days."
PROVENANCE = {
    "rules_version": "rules@3",
    "budget": 3000,
    "sections": [
        {"name": "customer", "tokens": 120, "budget": 400, "included": ["CUS-1"], "dropped": []},
        {
            "name": "passages",
            "tokens": 900,
            "budget": 1000,
            "included": ["refunds.md#timing"],
            "dropped": ["shipping.md#zones"],
        },
    ],
}
FLAGS = [{"check": "refund_ineligible", "detail": "order older than 30 days", "sentence": "x"}]


@dataclass(frozen=True, slots=True)
class Seeded:
    """The swapped runtime, its sessions, user ids by name and the three conversation ids."""

    runtime: Runtime
    sessions: SessionFactory
    users: dict[str, int]
    c1: int  # agent1, CUS-1, day 1: two turns, the second degraded; thumbs up
    c2: int  # agent2, CUS-2, day 2: one flagged turn costing 0.5; thumbs down
    c3: int  # agent1, CUS-2, day 4: one cheap turn, no feedback

    def token(self, username: str) -> str:
        """A Chainlit login token for ``username`` as the login callback would mint it."""
        with self.sessions() as session:
            user = session.exec(select(User).where(User.username == username)).one()
        assert user.id is not None
        return create_jwt(
            cl.User(
                identifier=username,
                metadata=user_metadata(user.role, user.id, user.customer_id),
            )
        )


def _call(conversation: int, turn: int, at: datetime, **fields: Any) -> CallRecord:
    base: dict[str, Any] = {
        "conversation_id": conversation,
        "turn": turn,
        "task": "agent_reply",
        "provider": "openai",
        "model": "gpt-4o-mini",
        "prompt": "support_reply@1",
        "input_tokens": 1000,
        "output_tokens": 200,
        "input_tokens_estimate": 990,
        "output_tokens_estimate": 190,
        "latency_ms": 800.0,
        "first_token_ms": 150.0,
        "created_at": at,
    }
    base.update(fields)
    return CallRecord(**base)


def _turn(question: str, answer: str, **fields: Any) -> StoredTurn:
    base: dict[str, Any] = {
        "question_raw": question,
        "question_pseudonymised": question,
        "answer_raw": answer,
        "answer_pseudonymised": answer,
        "complete": True,
        "provider": "openai",
        "model": "gpt-4o-mini",
        "prompt": "support_reply@1",
        "degraded": False,
        "provenance_json": json.dumps(PROVENANCE),
    }
    base.update(fields)
    return StoredTurn(**base)


def _save(store: ConversationStore, conversation: int, turn: int, stored: StoredTurn) -> int:
    return store.save_turn(conversation, turn, stored, store.vault(store.get(conversation)))


def _users(sessions: SessionFactory) -> dict[str, int]:
    roles = {
        "sup": "supervisor",
        "adm": "admin",
        "agent1": "agent",
        "agent2": "agent",
        "cust": "customer",
        "gone": "supervisor",
    }
    ids = {}
    for name, role in roles.items():
        customer = "CUS-1" if role == "customer" else None
        record = add_user(
            sessions, username=name, password=PASSWORD, role=role, customer_id=customer
        )
        ids[name] = record.id
    with sessions() as session:
        gone = session.exec(select(User).where(User.username == "gone")).one()
        gone.disabled = True
        session.add(gone)
        session.commit()
    return ids


def _backdate(sessions: SessionFactory, conversation: int, at: datetime) -> None:
    with sessions() as session:
        row = session.get(Conversation, conversation)
        assert row is not None
        row.created_at, row.updated_at = at, at + timedelta(minutes=5)
        session.add(row)
        for message in session.exec(
            select(ChatMessage).where(ChatMessage.conversation_id == conversation)
        ).all():
            message.created_at = at + timedelta(minutes=message.turn)
            session.add(message)
        session.commit()


def seed(runtime: Runtime, tmp_path: Path, database_url: str | None = None) -> Seeded:
    """Fill a fresh database (SQLite in ``tmp_path`` by default) and return the runtime on it."""
    settings = load_settings(data_dir=tmp_path / "data", redis_url=None, database_url=database_url)
    database = open_database(settings)
    sessions = database.sessions
    store = conversation_store(settings, database)
    with sessions() as session:
        for cid, name, email in (
            ("CUS-1", "Ada Example", "ada@example.com"),
            ("CUS-2", "=Bo Sample", "bo@example.com"),
        ):
            session.add(Customer(id=cid, name=name, email=email, created_at=DAY1))
        session.commit()
    users = _users(sessions)
    c1 = store.create(user_id=users["agent1"], customer_id="CUS-1", role="agent")
    c2 = store.create(user_id=users["agent2"], customer_id="CUS-2", role="agent")
    c3 = store.create(user_id=users["agent1"], customer_id="CUS-2", role="agent")
    answer_1 = _save(store, c1, 1, _turn(QUESTION_1, ANSWER_1))
    _save(
        store,
        c1,
        2,
        _turn("And the invoice?", "Sent.", provider="local", model="local", degraded=True),
    )
    answer_2 = _save(
        store, c2, 1, _turn("Refund please", "Refund approved.", rule_flags_json=json.dumps(FLAGS))
    )
    _save(store, c3, 1, _turn("Hello", "Hello, how can I help?"))
    for conversation, at in ((c1, DAY1), (c2, DAY2), (c3, DAY4)):
        _backdate(sessions, conversation, at)
    with sessions() as session:
        session.add_all(
            [
                _call(c1, 1, DAY1, cost_usd=Decimal("0.00012345")),
                _call(
                    c1,
                    2,
                    DAY1,
                    ok=False,
                    error="timeout",
                    cost_usd=None,
                    input_tokens=None,
                    output_tokens=None,
                    output_tokens_estimate=0,
                    latency_ms=5000.0,
                    first_token_ms=None,
                ),
                _call(
                    c1,
                    2,
                    DAY1,
                    provider="local",
                    model="local",
                    cost_usd=None,
                    input_tokens=None,
                    output_tokens=None,
                    output_tokens_estimate=120,
                    latency_ms=300.0,
                    fallback_depth=1,
                    entry="local",
                ),
                _call(c2, 1, DAY2, cost_usd=Decimal("0.5"), latency_ms=1200.0),
                _call(
                    c2, 1, DAY2, cost_usd=Decimal("0.00000001"), latency_ms=100.0, cache_hit="exact"
                ),
                _call(
                    c3, 1, DAY4, cost_usd=Decimal("0.00000002"), input_tokens=10, output_tokens=5
                ),
                Feedback(message_id=answer_1, user_id=users["agent1"], value=1, comment="spot on"),
                Feedback(message_id=answer_2, user_id=users["agent2"], value=-1),
            ]
        )
        session.commit()
    swapped = dataclasses.replace(runtime, database=database, conversations=store)
    return Seeded(swapped, sessions, users, c1, c2, c3)


POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


@contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one module (dropped afterwards); its URL."""
    psycopg = pytest.importorskip("psycopg")
    name = f"deskpilot_sup_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL} (required in CI)")
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL}")
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


SECRET = "supervisor-tests-secret-at-least-32-bytes-long"


def client(seeded: Seeded, username: str | None = None) -> Any:
    """A TestClient on a bare FastAPI app with the supervisor pages, signed in as ``username``."""
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from app.supervisor.routes import mount_supervisor

    app = FastAPI()
    mount_supervisor(app, lambda: seeded.runtime)
    test_client = TestClient(app, follow_redirects=False)
    if username is not None:
        test_client.cookies.set("access_token", seeded.token(username))
    return test_client


def audit_actions(seeded: Seeded, actor: str) -> list[Any]:
    """The audit entries ``actor`` caused, oldest first."""
    from app.audit import AuditLog

    return AuditLog(seeded.sessions).entries(actor=actor)
