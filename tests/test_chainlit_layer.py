"""The Chainlit data layer over our SQL store, on SQLite and on PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from chainlit.context import ChainlitContext, context_var
from chainlit.element import Text
from chainlit.session import WebsocketSession
from chainlit.types import Feedback, Pagination, ThreadFilter
from chainlit.user import PersistedUser
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from app.audit import READ_CONVERSATION
from app.feedback import FeedbackError
from app.request_principal import acting_as
from app.storage.tables import AuditEvent, User
from app.storage.tables import Feedback as FeedbackRow
from app.storage.write_retry import HISTORY_UNSAVED
from tests.chainlit_layer_setup import Store, store_fixture  # noqa: F401  (the fixture)


def _step(thread_id: str, output: str, *, kind: str = "assistant_message", **extra: Any) -> Any:
    return {
        "id": str(uuid.uuid4()),
        "threadId": thread_id,
        "name": "Deskpilot",
        "type": kind,
        "output": output,
        "createdAt": "2026-11-25T10:00:00.000000Z",
        "metadata": {},
        **extra,
    }


async def _thread(store: Store, user: User, name: str = "A chat") -> str:
    thread_id = str(uuid.uuid4())
    with acting_as(user.username):
        await store.layer().update_thread(thread_id, name=name, user_id=str(user.id))
    return thread_id


async def test_a_thread_comes_back_whole_with_steps_and_elements_decrypted(store: Store) -> None:
    layer, alice = store.layer(), store.user()
    thread_id = await _thread(store, alice, "Refund for Jane Roe")
    question = _step(thread_id, "My card ending 4242 was charged twice", kind="user_message")
    answer = _step(thread_id, "I have refunded the second charge.", input="refund?")
    answer["createdAt"] = "2026-11-25T10:00:01.000000Z"
    with acting_as(alice.username):
        await layer.create_step(question)
        await layer.create_step(answer)
        await layer.update_step({**answer, "output": "I refunded the second charge."})
        note = Text(name="note", content="Card 4242 holder: Jane Roe", thread_id=thread_id)
        note.for_id = answer["id"]
        await layer.create_element(note)
        thread = await layer.get_thread(thread_id)

    assert thread is not None
    assert thread["name"] == "Refund for Jane Roe"
    assert thread["userIdentifier"] == alice.username and thread["userId"] == str(alice.id)
    assert [s["output"] for s in thread["steps"]] == [
        "My card ending 4242 was charged twice",
        "I refunded the second charge.",
    ]
    assert thread["steps"][1]["input"] == "refund?"
    elements: list[Any] = thread["elements"] or []
    assert [(e["id"], e["forId"], e.get("content")) for e in elements] == [
        (note.id, answer["id"], "Card 4242 holder: Jane Roe")
    ]
    assert elements[0]["url"] is None
    assert await layer.get_thread_author(thread_id) == alice.username
    assert await layer.get_thread_author("no-such-thread") == ""


async def test_a_late_create_does_not_undo_an_earlier_update(store: Store) -> None:
    layer, alice = store.layer(), store.user()
    thread_id = await _thread(store, alice)
    step = _step(thread_id, "")
    with acting_as(alice.username):
        await layer.update_step({**step, "output": "final answer"})
        await layer.create_step(step)
        thread = await layer.get_thread(thread_id)
    assert thread is not None and thread["steps"][0]["output"] == "final answer"


async def test_names_transcripts_and_notes_are_not_stored_in_clear(store: Store) -> None:
    layer, alice = store.layer(), store.user()
    marker = f"Zebulon-{uuid.uuid4().hex[:6]}"
    thread_id = await _thread(store, alice, f"Chat about {marker}")
    step = _step(thread_id, f"{marker} lives at 1 Main St", input=f"who is {marker}")
    with acting_as(alice.username):
        await layer.create_step(step)
        await layer.create_element(Text(name="n", content=f"note {marker}", thread_id=thread_id))
    with store.database.engine.connect() as connection:
        for table in ("app_chat_threads", "app_chat_steps", "app_chat_elements"):
            rows = connection.execute(text(f"SELECT * FROM {table}")).all()
            assert rows and marker not in repr(rows), table
    if store.path is not None:
        for path in (store.path, store.path.with_name(store.path.name + "-wal")):
            if path.exists():
                assert marker.encode() not in path.read_bytes()


async def test_list_threads_pages_through_the_callers_own_threads_only(store: Store) -> None:
    layer, alice, bob = store.layer(), store.user(), store.user()
    mine = [await _thread(store, alice, f"Chat {n}") for n in range(3)]
    await _thread(store, bob, "Chat of bob")
    with acting_as(alice.username):
        first = await layer.list_threads(Pagination(first=2), ThreadFilter(userId=str(alice.id)))
        assert first.pageInfo.hasNextPage and len(first.data) == 2
        rest = await layer.list_threads(
            Pagination(first=2, cursor=first.pageInfo.endCursor), ThreadFilter(userId=str(alice.id))
        )
        found = await layer.list_threads(
            Pagination(first=10), ThreadFilter(userId=str(alice.id), search="chat 1")
        )
        with pytest.raises(PermissionError):
            await layer.list_threads(Pagination(first=10), ThreadFilter(userId=str(bob.id)))
    assert not rest.pageInfo.hasNextPage
    listed = [t["id"] for t in first.data + rest.data]
    assert sorted(listed) == sorted(mine)  # each once, bob's not among them
    assert listed[0] == mine[-1]  # the newest first
    assert [t["name"] for t in found.data] == ["Chat 1"]


async def test_metadata_merges_and_links_the_conversation(store: Store) -> None:
    layer, alice = store.layer(), store.user()
    conversation_id, _ = store.answer(alice, None)
    thread_id = await _thread(store, alice)
    with acting_as(alice.username):
        await layer.update_thread(thread_id, metadata={"a": 1, "b": 2})
        await layer.update_thread(thread_id, metadata={"b": 3, "c": 4})
        await layer.update_thread(
            thread_id, metadata={"c": None, "conversation_id": conversation_id}
        )
        thread = await layer.get_thread(thread_id)
    assert thread is not None
    assert thread["metadata"] == {"a": 1, "b": 3, "conversation_id": conversation_id}
    assert thread["name"] == "A chat"  # a metadata update keeps the name


async def test_a_thread_cannot_be_linked_to_someone_elses_conversation(store: Store) -> None:
    layer, alice, bob = store.layer(), store.user(), store.user()
    bobs_conversation, _ = store.answer(bob, None)
    thread_id = await _thread(store, alice)
    with acting_as(alice.username), pytest.raises(PermissionError):
        await layer.update_thread(thread_id, metadata={"conversation_id": bobs_conversation})


async def test_an_element_is_only_served_with_its_own_thread(store: Store) -> None:
    layer, alice, bob = store.layer(), store.user(), store.user()
    first, second = await _thread(store, alice), await _thread(store, alice)
    note = Text(name="n", content="private", thread_id=first)
    with acting_as(alice.username):
        await layer.create_element(note)
        assert await layer.get_element(second, note.id) is None
        own = await layer.get_element(first, note.id)
        await layer.delete_element(note.id, second)  # not in that thread: nothing happens
        assert await layer.get_element(first, note.id) is not None
    assert own is not None and own.get("content") == "private"
    with acting_as(bob.username):
        assert await layer.get_element(first, note.id) is None
        with pytest.raises(PermissionError):
            await layer.delete_element(note.id, first)


async def test_strangers_cannot_change_or_read_a_thread(store: Store) -> None:
    layer, alice, bob = store.layer(), store.user(), store.user()
    thread_id = await _thread(store, alice, "Alice's chat")
    with acting_as(bob.username):
        with pytest.raises(PermissionError):
            await layer.update_thread(thread_id, name="Bob's now")
        with pytest.raises(PermissionError):
            await layer.update_thread(thread_id, user_id=str(bob.id))
        with pytest.raises(PermissionError):
            await layer.create_step(_step(thread_id, "injected"))
        with pytest.raises(PermissionError):
            await layer.delete_thread(thread_id)
        assert await layer.get_thread(thread_id) is None
    with acting_as(None):
        assert await layer.get_thread(thread_id) is None
        with pytest.raises(PermissionError):
            await layer.create_step(_step(str(uuid.uuid4()), "nobody's"))
    with acting_as(alice.username):
        thread = await layer.get_thread(thread_id)
        assert thread is not None and thread["name"] == "Alice's chat" and thread["steps"] == []
        await layer.delete_thread(thread_id)
        assert await layer.get_thread(thread_id) is None


async def test_feedback_lands_in_our_feedback_table_and_shows_on_resume(store: Store) -> None:
    layer, alice = store.layer(), store.user()
    thread_id = await _thread(store, alice)
    answer = _step(thread_id, "Refunds take 5 days.")
    _, message_id = store.answer(alice, answer["id"])
    with acting_as(alice.username):
        await layer.create_step(answer)
        first = await layer.upsert_feedback(
            Feedback(forId=answer["id"], value=0, comment="It took 10 days", threadId=thread_id)
        )
        second = await layer.upsert_feedback(Feedback(forId=answer["id"], value=1, id=first))
        thread = await layer.get_thread(thread_id)
        liked = await layer.list_threads(
            Pagination(first=10), ThreadFilter(userId=str(alice.id), feedback=1)
        )
        disliked = await layer.list_threads(
            Pagination(first=10), ThreadFilter(userId=str(alice.id), feedback=0)
        )
    with store.database.sessions() as session:
        rows = session.exec(select(FeedbackRow).where(FeedbackRow.message_id == message_id)).all()
    assert [(str(r.id), r.value, r.user_id) for r in rows] == [(second, 1, alice.id)]
    assert thread is not None
    assert thread["steps"][0].get("feedback") == {
        "forId": answer["id"],
        "id": second,
        "value": 1,
        "comment": None,
    }
    assert [t["id"] for t in liked.data] == [thread_id] and disliked.data == []


async def test_thumbs_on_the_run_step_reach_the_answer_it_holds(store: Store) -> None:
    layer, alice = store.layer(), store.user()
    thread_id = await _thread(store, alice)
    run = _step(thread_id, "", kind="run")
    answer = _step(thread_id, "Refunds take 5 days.", parentId=run["id"])
    _, message_id = store.answer(alice, answer["id"])
    with acting_as(alice.username):
        await layer.create_step(run)
        await layer.create_step(answer)
        await layer.upsert_feedback(Feedback(forId=run["id"], value=1, comment="spot on"))
        thread = await layer.get_thread(thread_id)
    with store.database.sessions() as session:
        row = session.exec(select(FeedbackRow).where(FeedbackRow.message_id == message_id)).one()
    assert (row.value, row.comment) == (1, "spot on")
    assert thread is not None
    shown = {s["id"]: s.get("feedback") for s in thread["steps"]}
    assert shown[run["id"]] is not None and shown[run["id"]]["forId"] == run["id"]


async def test_a_thumbs_down_keeps_its_comment(store: Store) -> None:
    layer, alice = store.layer(), store.user()
    thread_id = await _thread(store, alice)
    answer = _step(thread_id, "Wrong answer")
    _, message_id = store.answer(alice, answer["id"])
    with acting_as(alice.username):
        await layer.create_step(answer)
        await layer.upsert_feedback(Feedback(forId=answer["id"], value=0, comment="wrong"))
    with store.database.sessions() as session:
        row = session.exec(select(FeedbackRow).where(FeedbackRow.message_id == message_id)).one()
    assert (row.value, row.comment) == (-1, "wrong")


async def test_feedback_by_someone_else_is_refused(store: Store) -> None:
    layer, alice, bob = store.layer(), store.user(), store.user()
    thread_id = await _thread(store, alice)
    answer = _step(thread_id, "An answer")
    _, message_id = store.answer(alice, answer["id"])
    with acting_as(alice.username):
        await layer.create_step(answer)
        own = await layer.upsert_feedback(Feedback(forId=answer["id"], value=1))
    with acting_as(bob.username):
        with pytest.raises(PermissionError):
            await layer.upsert_feedback(Feedback(forId=answer["id"], value=0, comment="spam"))
        with pytest.raises(PermissionError) as refused:
            await layer.delete_feedback(own)
        assert getattr(refused.value, "status_code", None) == 403  # DELETE /feedback answers 403
    with acting_as(alice.username):
        with pytest.raises(FeedbackError):  # a question is not an answer
            await layer.upsert_feedback(Feedback(forId=f"q-{answer['id']}", value=1))
        assert await layer.delete_feedback(own)
    with store.database.sessions() as session:
        assert (
            session.exec(select(FeedbackRow).where(FeedbackRow.message_id == message_id)).all()
            == []
        )


async def test_a_supervisor_may_read_any_thread_and_the_read_is_audited(store: Store) -> None:
    layer, alice, carol = store.layer(), store.user(), store.user("supervisor")
    conversation_id, _ = store.answer(alice, None)
    thread_id = await _thread(store, alice)
    with acting_as(alice.username):
        await layer.update_thread(thread_id, metadata={"conversation_id": conversation_id})
        assert await layer.get_thread(thread_id) is not None  # the author: not audited

    def reads() -> list[AuditEvent]:
        with store.database.sessions() as session:
            return list(
                session.exec(
                    select(AuditEvent).where(
                        AuditEvent.action == READ_CONVERSATION,
                        AuditEvent.target.contains(f"conversation:{conversation_id}"),  # type: ignore[attr-defined]
                    )
                ).all()
            )

    assert reads() == []
    with acting_as(carol.username):
        thread = await layer.get_thread(thread_id)
        with pytest.raises(PermissionError):  # reading is not changing
            await layer.update_thread(thread_id, name="reviewed")
    assert thread is not None and thread["userIdentifier"] == alice.username
    assert [event.actor for event in reads()] == [carol.username]


async def test_get_user_returns_our_accounts_and_creates_none(store: Store) -> None:
    layer, alice, gone = store.layer(), store.user(), store.user(disabled=True)
    user = await layer.get_user(alice.username)
    assert isinstance(user, PersistedUser) and user.id == str(alice.id)
    assert user.metadata == {"role": "agent", "user_id": alice.id, "customer_id": None}
    assert await layer.get_user(gone.username) is None
    assert (
        await layer.create_user(PersistedUser(id="1", createdAt="", identifier="mallory")) is None
    )
    assert await layer.get_user("mallory") is None


def _flaky(store: Store, failures: int) -> Any:
    calls = {"n": 0}

    def sessions() -> Session:
        calls["n"] += 1
        if calls["n"] <= failures:
            raise OperationalError("SELECT 1", {}, Exception("database is down"))
        return store.database.sessions()

    return sessions


async def test_a_write_that_fails_twice_then_works_is_saved(store: Store) -> None:
    alice, failed = store.user(), []
    layer = store.layer(_flaky(store, 2), on_write_failure=failed.append)
    thread_id = str(uuid.uuid4())
    with acting_as(alice.username):
        await layer.update_thread(thread_id, name="Saved anyway")
        thread = await store.layer().get_thread(thread_id)
    assert thread is not None and thread["name"] == "Saved anyway" and failed == []


@contextmanager
def _websocket_session(user: User) -> Iterator[list[tuple[str, Any]]]:
    """A real Chainlit websocket session whose socket is a list of emitted events."""
    emitted: list[tuple[str, Any]] = []

    async def emit(event: str, data: Any) -> None:
        emitted.append((event, data))

    session = WebsocketSession(
        id=str(uuid.uuid4()),
        socket_id=str(uuid.uuid4()),
        emit=emit,  # type: ignore[arg-type]
        emit_call=lambda *_: None,
        user_env={},
        client_type="webapp",
        user=PersistedUser(id=str(user.id), identifier=user.username, createdAt=""),
    )
    session.has_first_interaction = True
    token = context_var.set(ChainlitContext(session))
    try:
        yield emitted
    finally:
        context_var.reset(token)
        session.to_clear = True


async def test_a_write_that_keeps_failing_is_surfaced_once_and_raised(store: Store) -> None:
    alice, failed = store.user(), []
    layer = store.layer(_flaky(store, 1000), on_write_failure=failed.append)
    thread_id = str(uuid.uuid4())
    with _websocket_session(alice) as emitted:
        for output in ("first", "second"):
            with pytest.raises(OperationalError):
                await layer.create_step(_step(thread_id, output))
    assert failed == ["create_step", "create_step"]
    shown = [data for event, data in emitted if event == "new_message"]
    assert [(m["output"], m["isError"]) for m in shown] == [(HISTORY_UNSAVED, True)]
    assert await store.layer().get_thread_author(thread_id) == ""


async def test_the_websocket_session_user_is_the_caller(store: Store) -> None:
    layer, alice = store.layer(), store.user()
    thread_id = await _thread(store, alice)
    with _websocket_session(alice):
        await layer.create_step(_step(thread_id, "via the socket"))
        thread = await layer.get_thread(thread_id)
    assert thread is not None and [s["output"] for s in thread["steps"]] == ["via the socket"]
