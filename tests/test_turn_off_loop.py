"""A turn keeps the event loop free: its blocking work runs in worker threads, and CRM notes are
analysed once per text (when the conversation opens), not in every turn."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlmodel import select

from app.assistant import Assistant
from app.crm_redaction import CrmTextRedactor
from app.turn_finish import in_thread_to_completion
from app.turn_types import TurnResult
from context.crm_free_text import crm_free_texts
from context.crm_tables import Interaction
from guardrails import Pseudonymiser, PseudonymVault, Redaction

pytestmark = pytest.mark.slow
NOTE = "Spoke with Maria Gonzalez from the courier about the late parcel; she will call back."


class CountingPseudonymiser:
    """The real pseudonymiser, counting the texts it is asked to analyse."""

    def __init__(self, inner: Pseudonymiser, delay_s: float = 0.0) -> None:
        self.inner, self.delay_s, self.calls = inner, delay_s, 0
        self._lock = threading.Lock()

    def anonymise(self, text: str, vault: PseudonymVault, **kwargs: Any) -> Redaction:
        with self._lock:
            self.calls += 1
        time.sleep(self.delay_s)  # widens the window in which other threads ask for the text
        return self.inner.anonymise(text, vault, **kwargs)


def counted(runtime: Any, delay_s: float = 0.0) -> tuple[CrmTextRedactor, CountingPseudonymiser]:
    counter = CountingPseudonymiser(runtime.assistant.pseudonymiser, delay_s)
    return CrmTextRedactor(counter), counter  # type: ignore[arg-type]


def test_notes_are_analysed_once_and_masked_by_each_conversations_vault(runtime: Any) -> None:
    redactor, counter = counted(runtime)
    first, second = PseudonymVault(), PseudonymVault()
    second.placeholder_for("PERSON", "Someone Else")  # this conversation already has PERSON_1

    in_first = redactor(NOTE, first.placeholder_for)
    again = redactor(NOTE, first.placeholder_for)
    in_second = redactor(NOTE, second.placeholder_for)

    assert counter.calls == 1, "the same note is analysed once, whatever the conversation"
    assert "Maria Gonzalez" not in in_first and "<PERSON_1>" in in_first
    assert again == in_first
    assert "<PERSON_2>" in in_second, "placeholders come from the current vault, not the cache"
    assert second.restore(in_second) == NOTE


def test_threads_asking_for_the_same_note_share_one_analysis(runtime: Any) -> None:
    redactor, counter = counted(runtime, delay_s=0.2)
    results: list[str] = []
    start = threading.Barrier(4)

    def ask() -> None:
        start.wait()
        results.append(redactor(NOTE, PseudonymVault().placeholder_for))

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert counter.calls == 1
    assert len(set(results)) == 1 and "Maria Gonzalez" not in results[0]


def test_the_cache_is_bounded(runtime: Any) -> None:
    redactor = CrmTextRedactor(runtime.assistant.pseudonymiser, max_texts=2)
    counter = CountingPseudonymiser(runtime.assistant.pseudonymiser)
    redactor._pseudonymiser = counter  # type: ignore[assignment]
    for text in ("note one", "note two", "note three", "note one"):
        redactor(text, PseudonymVault().placeholder_for)
    assert counter.calls == 4, "the least recently used text was evicted and analysed again"


async def test_a_cancelled_caller_waits_for_the_writes_to_finish() -> None:
    done = threading.Event()

    def writes() -> None:
        time.sleep(0.3)
        done.set()

    task = asyncio.ensure_future(in_thread_to_completion(writes))
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert done.is_set(), "clean-up after the cancellation must not race the writes"


def record_threads(
    monkeypatch: pytest.MonkeyPatch, target: object, names: list[str], seen: dict[str, int]
) -> None:
    for name in names:
        original: Callable[..., Any] = getattr(target, name)

        def wrapper(
            *args: Any, _name: str = name, _f: Callable[..., Any] = original, **kw: Any
        ) -> Any:
            seen[_name] = threading.get_ident()
            return _f(*args, **kw)

        monkeypatch.setattr(target, name, wrapper)


async def test_a_turns_sql_and_writes_run_off_the_event_loop(
    runtime: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    assistant: Assistant = runtime.assistant
    seen: dict[str, int] = {}
    conversations = assistant._conversations
    record_threads(
        monkeypatch, conversations, ["get", "vault", "next_turn", "save_turn", "create"], seen
    )
    record_threads(monkeypatch, assistant._ledger, ["record"], seen)
    record_threads(monkeypatch, assistant._memory, ["record"], seen)

    conversation = await assistant.start_conversation(
        user_id=None, customer_id="CUS-10001", role="agent"
    )
    events = [e async for e in assistant.respond(conversation, "Where is my last order?")]
    assert isinstance(events[-1], TurnResult) and events[-1].message_id

    loop_thread = threading.get_ident()
    expected = {"get", "vault", "next_turn", "save_turn", "create", "record"}
    assert expected <= set(seen)
    assert all(ident != loop_thread for ident in seen.values()), seen


async def test_opening_a_conversation_analyses_the_customers_notes(runtime: Any) -> None:
    assistant: Assistant = runtime.assistant
    redactor = assistant._context_builder._redact
    assert isinstance(redactor, CrmTextRedactor)
    with runtime.session_factory() as session:
        row = session.exec(select(Interaction)).first()
        assert row is not None
        customer_id = row.customer_id
    texts = crm_free_texts(assistant.customer_record(customer_id).history)
    assert texts

    await assistant.start_conversation(user_id=None, customer_id=customer_id, role="agent")
    counter = CountingPseudonymiser(assistant.pseudonymiser)
    original = redactor._pseudonymiser
    redactor._pseudonymiser = counter  # type: ignore[assignment]
    try:
        for text in texts:
            redactor(text, PseudonymVault().placeholder_for)
    finally:
        redactor._pseudonymiser = original
    assert counter.calls == 0, "the first turn finds every note already analysed"
