"""Fixtures for the Chainlit data layer tests: one database per run, SQLite and PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from app.audit import AuditLog
from app.feedback import FeedbackService
from app.runtime import Database, open_database
from app.settings import load_settings
from app.storage.chainlit_layer import SqlDataLayer
from app.storage.database import SessionFactory
from app.storage.secrets import Encryptor
from app.storage.tables import ChatMessage, Conversation, User
from context.crm_tables import Customer

POSTGRES_ADMIN_URL = os.environ.get(
    "DESKPILOT_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test"
)


@dataclass
class Store:
    """A migrated database, its key, and a way to build data layers over it."""

    database: Database
    encryptor: Encryptor
    kind: str
    path: Path | None  # the SQLite file, to look for clear text in it

    def layer(
        self,
        sessions: SessionFactory | None = None,
        on_write_failure: Callable[[str], None] | None = None,
    ) -> SqlDataLayer:
        """A data layer over this database (or over ``sessions``), with fast retries."""
        sessions = sessions or self.database.sessions
        return SqlDataLayer(
            sessions,
            self.encryptor,
            FeedbackService(self.database.sessions, None, "knowledge"),
            AuditLog(self.database.sessions),
            on_write_failure=on_write_failure,
            retry_delays=(0.01, 0.01, 0.01),
        )

    def user(self, role: str = "agent", *, disabled: bool = False) -> User:
        """A fresh user of that role."""
        with self.database.sessions() as session:
            user = User(
                username=f"{role}-{uuid.uuid4().hex[:8]}",
                password_hash="!",
                role=role,
                disabled=disabled,
            )
            session.add(user)
            session.commit()
            session.refresh(user)
            return user

    def answer(self, user: User, step_id: str | None) -> tuple[int, int]:
        """A conversation of ``user`` with one answered turn; (conversation id, answer id)."""
        with self.database.sessions() as session:
            customer_id = f"CUS-{uuid.uuid4().hex[:8]}"
            session.add(
                Customer(
                    id=customer_id,
                    name="Test Customer",
                    email=f"{customer_id}@example.test",
                    created_at=datetime.now(UTC),
                )
            )
            session.flush()
            conversation = Conversation(user_id=user.id, customer_id=customer_id, role="agent")
            session.add(conversation)
            session.flush()
            assert conversation.id is not None
            for author in ("user", "assistant"):
                message = ChatMessage(
                    conversation_id=conversation.id,
                    turn=1,
                    author=author,
                    text_pseudonymised="x",
                    text_encrypted="x",
                    step_id=step_id if author == "assistant" else f"q-{step_id}",
                )
                session.add(message)
            session.commit()
            session.refresh(message)
            assert message.id is not None
            return conversation.id, message.id


def _postgres(tmp_path: Path) -> Iterator[Store]:
    psycopg = pytest.importorskip("psycopg")
    name = f"deskpilot_cl_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL} (required in CI)")
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL}")
    admin.execute(f'CREATE DATABASE "{name}"')
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    settings = load_settings(data_dir=tmp_path, database_url=f"{base}/{name}")
    database = open_database(settings)
    try:
        yield Store(database, Encryptor(Fernet.generate_key()), "postgresql", None)
    finally:
        database.engine.dispose()
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"], name="store")
def store_fixture(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Store]:
    """A migrated database for this module's tests: SQLite, then a fresh PostgreSQL database."""
    tmp_path = tmp_path_factory.mktemp("chainlit-layer")
    if request.param == "postgresql":
        yield from _postgres(tmp_path)
        return
    settings = load_settings(data_dir=tmp_path, database_url=None)
    database = open_database(settings)
    yield Store(database, Encryptor(Fernet.generate_key()), "sqlite", tmp_path / "deskpilot.db")
    database.engine.dispose()
