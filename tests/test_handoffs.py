"""The hand-off queue on real SQLite and PostgreSQL: one request per conversation, one winner."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from app.audit import AuditLog
from app.conversations import ConversationStore, StoredTurn
from app.handoffs import (
    CLAIMED,
    REQUESTED,
    HandoffAlreadyClaimed,
    HandoffNotFound,
    HandoffQueue,
    latest_question_pseudonymised,
)
from app.storage.database import SessionFactory, make_engine, migrate, session_factory
from app.storage.secrets import Encryptor
from app.users import add_user
from context.crm_tables import Customer
from guardrails import PseudonymVault

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
CUSTOMER = "CUS-77001"


def _postgres_url() -> Iterator[str]:
    server = os.environ.get("DESKPILOT_TEST_POSTGRES_URL", POSTGRES_URL)
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    name = f"deskpilot_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError:
        admin.dispose()
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL not reachable at {server} (required in CI)")
        pytest.skip(f"PostgreSQL not reachable at {server}")
    yield admin.url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def sessions(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SessionFactory]:
    """A migrated database holding one CRM customer."""
    if request.param == "sqlite":
        urls: Iterator[str] = iter([f"sqlite:///{tmp_path / 'handoffs.db'}"])
    else:
        urls = _postgres_url()
    url = next(urls)
    engine = make_engine(url)
    try:
        migrate(engine)
        factory = session_factory(engine)
        with factory() as session:
            session.add(
                Customer(
                    id=CUSTOMER,
                    name="Ada Lovelace",
                    email="ada@example.com",
                    created_at=datetime.now(UTC),
                )
            )
            session.commit()
        yield factory
    finally:
        engine.dispose()
        next(urls, None)  # drops the PostgreSQL database


@pytest.fixture
def conversations(sessions: SessionFactory) -> ConversationStore:
    """Conversations over the same database."""
    from cryptography.fernet import Fernet

    return ConversationStore(sessions, Encryptor(Fernet.generate_key()))


def _customer_conversation(store: ConversationStore, raw: str, pseudonymised: str) -> int:
    conversation_id = store.create(user_id=None, customer_id=CUSTOMER, role="customer")
    turn = StoredTurn(
        question_raw=raw,
        question_pseudonymised=pseudonymised,
        answer_raw="Let me check.",
        answer_pseudonymised="Let me check.",
        complete=True,
        provider="local",
        model="local",
        prompt="support_reply@1",
        degraded=False,
        provenance_json="",
    )
    store.save_turn(conversation_id, 1, turn, PseudonymVault())
    return conversation_id


def _agent(sessions: SessionFactory, name: str) -> int:
    return add_user(sessions, username=name, password="agent-password-1", role="agent").id


def test_a_second_request_returns_the_open_one_and_the_queue_lists_it_once(
    sessions: SessionFactory, conversations: ConversationStore
) -> None:
    conversation_id = _customer_conversation(
        conversations,
        "My name is Ada Lovelace, where is my parcel?",
        "My name is <PERSON_1>, where is my parcel?",
    )
    queue = HandoffQueue(sessions)
    reason = latest_question_pseudonymised(sessions, conversation_id)
    first = queue.request(conversation_id, CUSTOMER, None, reason)
    second = queue.request(conversation_id, CUSTOMER, None, reason)
    assert second.id == first.id and first.reference == f"H-{first.id}"
    items = queue.open_items(10)
    assert [i.id for i in items] == [first.id]
    assert items[0].customer_name == "Ada Lovelace" and items[0].waiting_s >= 0
    # Agents see the reason as it was pseudonymised: no raw personal data in the queue.
    assert items[0].reason_pseudonymised == "My name is <PERSON_1>, where is my parcel?"
    assert "Ada" not in items[0].reason_pseudonymised
    assert queue.open_count() == 1


def test_a_conversation_without_questions_has_an_empty_reason(
    sessions: SessionFactory, conversations: ConversationStore
) -> None:
    conversation_id = conversations.create(user_id=None, customer_id=CUSTOMER, role="customer")
    assert latest_question_pseudonymised(sessions, conversation_id) == ""


def test_two_agents_picking_up_at_once_one_wins_the_other_is_told_who(
    sessions: SessionFactory, conversations: ConversationStore
) -> None:
    conversation_id = _customer_conversation(conversations, "Help", "Help")
    queue = HandoffQueue(sessions)
    handoff = queue.request(conversation_id, CUSTOMER, None, "Help")
    agents = {
        _agent(sessions, "agent-ann"): "agent-ann",
        _agent(sessions, "agent-bob"): "agent-bob",
    }
    barrier = threading.Barrier(len(agents))
    wins: list[int] = []
    losses: list[HandoffAlreadyClaimed] = []

    def click(agent_id: int) -> None:
        barrier.wait()
        try:
            wins.append(queue.claim(handoff.id, agent_id).claimed_by or 0)
        except HandoffAlreadyClaimed as exc:
            losses.append(exc)

    threads = [threading.Thread(target=click, args=(agent_id,)) for agent_id in agents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(wins) == 1 and len(losses) == 1
    winner = agents[wins[0]]
    assert f"already picked up by {winner}" in str(losses[0])
    assert queue.get(handoff.id).status == "claimed"
    assert queue.open_items(10) == []


def test_concurrent_requests_for_one_conversation_queue_one_hand_off(
    sessions: SessionFactory, conversations: ConversationStore
) -> None:
    conversation_id = _customer_conversation(conversations, "Help", "Help")
    queue = HandoffQueue(sessions)
    barrier = threading.Barrier(4)
    ids: list[int] = []

    def request() -> None:
        barrier.wait()
        ids.append(queue.request(conversation_id, CUSTOMER, None, "Help").id)

    threads = [threading.Thread(target=request) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(ids) == 4 and len(set(ids)) == 1
    assert len(queue.open_items(10)) == 1


def test_requests_and_pick_ups_are_audited_with_ids_only(
    sessions: SessionFactory, conversations: ConversationStore
) -> None:
    conversation_id = _customer_conversation(conversations, "I am Ada Lovelace", "I am <PERSON_1>")
    queue = HandoffQueue(sessions)
    handoff = queue.request(conversation_id, CUSTOMER, None, "I am <PERSON_1>")
    queue.request(conversation_id, CUSTOMER, None, "I am <PERSON_1>")  # the same: no new event
    agent_id = _agent(sessions, "agent-cy")
    queue.claim(handoff.id, agent_id)
    audit = AuditLog(sessions)
    requested = audit.entries(action=REQUESTED)
    claimed = audit.entries(action=CLAIMED)
    assert [(e.customer_id, e.conversation_id, e.detail) for e in requested] == [
        (CUSTOMER, conversation_id, {"handoff_id": handoff.id})
    ]
    assert [(e.actor, e.detail) for e in claimed] == [
        (f"user:{agent_id}", {"handoff_id": handoff.id})
    ]
    everything = str([(e.actor, e.detail) for e in audit.entries()])
    assert "Ada" not in everything and "PERSON" not in everything


def test_a_claimed_request_is_returned_again_and_a_closed_one_makes_room_for_a_new_one(
    sessions: SessionFactory, conversations: ConversationStore
) -> None:
    conversation_id = _customer_conversation(conversations, "Help", "Help")
    queue = HandoffQueue(sessions)
    first = queue.request(conversation_id, CUSTOMER, None, "Help")
    queue.claim(first.id, _agent(sessions, "agent-dee"))
    again = queue.request(conversation_id, CUSTOMER, None, "Help")
    assert (again.id, again.status) == (first.id, "claimed")
    closed = queue.close(first.id)
    assert closed.status == "closed" and closed.closed_at is not None
    with pytest.raises(HandoffAlreadyClaimed):
        queue.claim(first.id, _agent(sessions, "agent-eve"))
    fresh = queue.request(conversation_id, CUSTOMER, None, "Help")
    assert fresh.id != first.id and fresh.status == "open"
    with pytest.raises(HandoffNotFound):
        queue.claim(999_999, 1)
