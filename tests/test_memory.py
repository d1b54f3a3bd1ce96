"""Memory: extractive summaries, the rolling summary threshold, earlier conversations as history,
and summaries through the economy model with pseudonymised text only."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from prometheus_client import generate_latest

from app.budget_counters import InProcessCounters
from app.budgets import BudgetBook, BudgetConfig
from app.conversations import StoredTurn
from app.cost_controls import build_cost_controls
from app.ledger import Ledger
from app.memory_store import SummaryStore, remap_placeholders
from app.summariser import Summariser
from app.turn_memory import MemoryService, MemorySettings
from context.memory import extractive_summary, split_at, summary_cut
from context.tokens import TokenCounter
from guardrails import PseudonymVault
from providers import PriceTable
from providers.routing import Router
from tests.fakes.openai_server import Fail, Reply
from tests.provider_setup import assistant_with, ledger_rows, openai_entry


class Words:
    """A token counter that counts words: enough to test thresholds without tiktoken."""

    def count(self, text: str) -> int:
        return len(text.split())


def test_extractive_summary_keeps_questions_and_factual_sentences() -> None:
    turns = [
        ("user", "Where is my parcel? It was due Monday. I am annoyed."),
        ("assistant", "Sorry about that. The weather is nice. <ORDER_ID_1> shipped on 2026-11-20."),
    ]
    summary = extractive_summary(turns)
    assert summary.splitlines() == [
        "Customer asked: Where is my parcel? It was due Monday.",
        "Assistant said: Sorry about that. <ORDER_ID_1> shipped on 2026-11-20.",
    ]


def test_summary_cut_waits_for_the_threshold_then_keeps_the_newest_verbatim() -> None:
    turns = [("user", "one two three four five")] * 8  # 5 words + 4 overhead each
    assert summary_cut(turns, 0, threshold=100, keep_recent=2, counter=Words()) is None
    assert summary_cut(turns, 0, threshold=50, keep_recent=2, counter=Words()) == 6
    # Once summarised up to 6, the two newest are far below the threshold again.
    assert summary_cut(turns, 6, threshold=50, keep_recent=2, counter=Words()) is None
    split = split_at(turns, 6)
    assert (len(split.older), len(split.recent), split.start) == (6, 2, 6)


def test_placeholders_of_an_earlier_conversation_are_renumbered_into_this_one() -> None:
    earlier, current = PseudonymVault(), PseudonymVault()
    earlier.placeholder_for("PERSON", "Ada Lovelace")
    earlier.placeholder_for("ORDER_ID", "ORD-1")
    current.placeholder_for("ORDER_ID", "ORD-7")
    text = "<PERSON_1> asked about <ORDER_ID_1>; <EMAIL_ADDRESS_3> unknown."
    remapped = remap_placeholders(text, earlier, current)
    assert remapped == "<PERSON_1> asked about <ORDER_ID_2>; [redacted] unknown."
    assert current.value_for("<ORDER_ID_2>") == "ORD-1"


def _save(runtime: Any, conversation: int, question: str, answer: str) -> None:
    store = runtime.conversations
    turn = store.next_turn(conversation)
    store.save_turn(
        conversation,
        turn,
        StoredTurn(question, question, answer, answer, True, "local", "m", "p@1", False, "{}"),
        store.vault(store.get(conversation)),
    )


def _memory(
    runtime: Any, summariser: Summariser, threshold: int, idle_minutes: int = 0
) -> MemoryService:
    return MemoryService(
        runtime.conversations,
        SummaryStore(runtime.session_factory),
        summariser,
        TokenCounter(),
        MemorySettings(
            summary_threshold_tokens=threshold,
            keep_recent_messages=2,
            earlier_min_idle_minutes=idle_minutes,
        ),
    )


def _summariser(runtime: Any, assistant: Any = None) -> Summariser:
    providers = (assistant or runtime.assistant).providers
    ledger = Ledger(runtime.session_factory, PriceTable.load())
    return Summariser(providers, Router(providers.config), ledger, TokenCounter())


@pytest.mark.slow
async def test_rolling_summary_and_history_of_earlier_conversations(runtime: Any) -> None:
    assistant = runtime.assistant
    memory = _memory(runtime, _summariser(runtime), threshold=60)
    first = await assistant.start_conversation(user_id=None, customer_id="CUS-10003", role="agent")
    for n in range(4):
        _save(runtime, first, f"Question {n}: where is my parcel number {n}?",
              f"Answer {n}. It shipped on 2026-11-{10 + n} with UPS.")  # fmt: skip
    conversation = runtime.conversations.get(first)
    vault = runtime.conversations.vault(conversation)
    prepared = await memory.prepare(conversation, vault, turn=5)
    assert prepared.split.start == 6 and len(prepared.split.recent) == 2
    assert "Customer asked: Question 0" in prepared.summary
    stored = SummaryStore(runtime.session_factory).get(first)
    assert stored is not None and stored.method == "extractive" and stored.covers_messages == 6
    _save(runtime, first, "thanks", "You're welcome.")
    memory.record(conversation)

    second = await assistant.start_conversation(user_id=None, customer_id="CUS-10003", role="agent")
    later = runtime.conversations.get(second)
    prepared = await memory.prepare(later, runtime.conversations.vault(later), turn=1)
    assert prepared.split.recent == [] and prepared.summary == ""
    # Other tests may have talked about this customer too: find this test's conversation.
    (mine,) = [e for e in prepared.earlier if e[0].startswith(f"conversation {first} (")]
    assert "Question 3" in mine[1] and "thanks" in mine[1]
    waiting = _memory(runtime, _summariser(runtime), threshold=60, idle_minutes=30)
    fresh = await waiting.prepare(later, runtime.conversations.vault(later), turn=1)
    assert fresh.earlier == [], "a conversation active minutes ago is not history yet"

    widget = await assistant.start_conversation(
        user_id=None, customer_id="CUS-10003", role="customer"
    )
    seen_by_customer = await memory.prepare(
        runtime.conversations.get(widget), PseudonymVault(), turn=1
    )
    assert seen_by_customer.earlier == [], "agent conversations never reach the widget"


@pytest.mark.slow
async def test_summaries_go_to_the_economy_model_pseudonymised_and_fall_back_to_extractive(
    runtime: Any, fake_openai: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    economy = openai_entry(fake_openai.base_url, name="openai-economy", tier="economy")
    summariser = _summariser(runtime, assistant_with(runtime, [economy], monkeypatch))
    turns = [("user", "I am <PERSON_1>, where is <ORDER_ID_1>?"), ("assistant", "It shipped.")]
    conversation = await runtime.assistant.start_conversation(
        user_id=None, customer_id="CUS-10004", role="agent"
    )
    fake_openai.script(Reply(text="<PERSON_1> asked where <ORDER_ID_1> is; it has shipped."))
    text, method = await summariser.summarise(
        "", turns, conversation_id=conversation, turn=1, scope="CUS-1"
    )
    assert (text, method) == ("<PERSON_1> asked where <ORDER_ID_1> is; it has shipped.", "model")
    sent = json.dumps(fake_openai.requests[-1])
    assert "<PERSON_1>" in sent and "Summarise this support conversation" in sent
    rows = ledger_rows(runtime, conversation)
    assert [(r.task, r.prompt, r.ok) for r in rows] == [("summary", "summarise@1", True)]

    fake_openai.default = Fail(503)
    text, method = await summariser.summarise(
        "Earlier.", turns, conversation_id=conversation, turn=2, scope="CUS-1"
    )
    assert method == "extractive" and text.startswith("Earlier.\nCustomer asked: I am <PERSON_1>")


@pytest.mark.slow
async def test_summaries_are_budgeted_and_metered_like_answers(
    runtime: Any, fake_openai: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    economy = openai_entry(fake_openai.base_url, name="openai-economy", tier="economy")
    assistant = assistant_with(runtime, [economy], monkeypatch)
    providers = assistant.providers
    prices = PriceTable.load().with_entries(providers.config.models)
    costs = build_cost_controls(runtime.settings, runtime.session_factory, providers.config, prices)
    summariser = Summariser(
        providers,
        Router(providers.config),
        Ledger(runtime.session_factory, prices),
        TokenCounter(),
        costs,
    )
    turns = [("user", "Where is <ORDER_ID_1>?"), ("assistant", "It shipped.")]
    conversation = await runtime.assistant.start_conversation(
        user_id=None, customer_id="CUS-10005", role="agent"
    )
    fake_openai.script(Reply(text="Asked where <ORDER_ID_1> is; it shipped."))
    _, method = await summariser.summarise(
        "", turns, conversation_id=conversation, turn=1, scope="CUS-5"
    )
    assert method == "model"
    spent = costs.budgets.spent(user_id=None, role=None, conversation_id=conversation)
    [row] = ledger_rows(runtime, conversation)
    # The budget counters keep whole micro-dollars (rounded up): the call's cost, settled.
    assert row.cost_usd is not None and row.cost_usd > 0
    assert 0 <= spent["conversation"] - row.cost_usd < Decimal("0.000001")
    scraped = generate_latest(costs.metrics.registry).decode()
    assert 'deskpilot_tokens_total{direction="input",model="' in scraped
    assert 'task="summary"' in scraped

    # A conversation whose budget is spent gets the extractive summary, and no call is made.
    costs.budgets = BudgetBook(InProcessCounters(), BudgetConfig(conversation_usd=Decimal("1e-9")))
    sent = len(fake_openai.requests)
    text, method = await summariser.summarise(
        "", turns, conversation_id=conversation, turn=2, scope="CUS-5"
    )
    assert method == "extractive" and text and len(fake_openai.requests) == sent
