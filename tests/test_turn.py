"""The whole turn on real components: SQLite, Chroma, Presidio, MiniLM, tiktoken, the OpenAI SDK."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlmodel import select

from app.assistant import Assistant
from app.errors import CustomerNotFound
from app.storage.tables import ChatMessage
from app.turn_types import AnswerDelta, ContextReady, TurnResult
from context.crm_tables import Customer
from guardrails import InputRejected
from tests.fakes.openai_server import Fail, Reply, Truncate
from tests.provider_setup import assistant_with, ledger_rows, openai_entry

pytestmark = pytest.mark.slow
CUSTOMER = "CUS-10001"


async def run_turn(
    assistant: Assistant, conversation: int, text: str
) -> tuple[list[Any], TurnResult]:
    """All events of one turn, and its result."""
    events = [e async for e in assistant.respond(conversation, text)]
    result = events[-1]
    assert isinstance(result, TurnResult)
    return events, result


def customer(runtime: Any) -> Customer:
    with runtime.session_factory() as session:
        found = session.get(Customer, CUSTOMER)
        assert found is not None
        return found


def with_openai(runtime: Any, base_url: str, monkeypatch: pytest.MonkeyPatch) -> Assistant:
    """The runtime's assistant with an OpenAI entry (against the fake) before the local one."""
    return assistant_with(runtime, [openai_entry(base_url)], monkeypatch)


async def test_local_turn_streams_a_grounded_answer_and_records_everything(runtime: Any) -> None:
    assistant = runtime.assistant
    conversation = await assistant.start_conversation(
        user_id=None, customer_id=CUSTOMER, role="agent"
    )
    events, result = await run_turn(assistant, conversation, "How long does a refund take?")

    assert isinstance(events[0], ContextReady)
    deltas = [e.text for e in events if isinstance(e, AnswerDelta)]
    assert len(deltas) > 3, "the answer streams in pieces"
    assert "".join(deltas) == result.answer
    assert result.sources, "a refund question finds knowledge-base passages"
    assert any("refund" in s.title.lower() for s in result.sources)
    assert result.provider == "local" and not result.degraded
    assert result.prompt == "support_reply@1"
    assert result.cost_usd == 0.0
    names = {s.name for s in result.context.sections}
    assert {"customer", "orders", "tickets", "passages", "memory"} <= names

    rows = ledger_rows(runtime, conversation)
    assert len(rows) == 1 and rows[0].ok and rows[0].prompt == "support_reply@1"
    assert rows[0].input_tokens_estimate > 100 and rows[0].output_tokens_estimate > 5

    with runtime.session_factory() as session:
        messages = session.exec(
            select(ChatMessage).where(ChatMessage.conversation_id == conversation)
        ).all()
    assert [m.author for m in messages] == ["user", "assistant"]
    assert all(m.text_encrypted and "refund" not in m.text_encrypted for m in messages)
    assert runtime.conversations.transcript(conversation)[0] == (
        "user",
        "How long does a refund take?",
    )


async def test_order_question_uses_the_customers_orders(runtime: Any) -> None:
    assistant = runtime.assistant
    conversation = await assistant.start_conversation(
        user_id=None, customer_id=CUSTOMER, role="customer"
    )
    _, result = await run_turn(assistant, conversation, "Where is my order? When will it arrive?")
    with runtime.session_factory() as session:
        from context.customer_history import load_history

        history = load_history(session, CUSTOMER)
    assert history is not None
    assert any(f.order.id in result.answer for f in history.orders)
    first_name = customer(runtime).name.split()[0]
    assert first_name in result.answer, "the greeting placeholder is restored to the real name"
    assert "<PERSON" not in result.answer


async def test_personal_data_never_reaches_the_provider(
    runtime: Any, fake_openai: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    crm = customer(runtime)
    fake_openai.script(Reply(text="Thanks <PERSON_1>, your refund is on its way."))
    assistant = with_openai(runtime, fake_openai.base_url, monkeypatch)
    conversation = await assistant.start_conversation(
        user_id=None, customer_id=CUSTOMER, role="agent"
    )
    text = (
        f"Hi, this is {crm.name.lower()}, email {crm.email}, phone {crm.phone}. "
        "My card 4111 1111 1111 1111 was charged twice."
    )
    _, result = await run_turn(assistant, conversation, text)
    await run_turn(assistant, conversation, f"{crm.name.upper()} again: any news?")

    assert len(fake_openai.requests) == 2
    outbound = json.dumps(fake_openai.requests).casefold()
    for value in (crm.name, crm.email, crm.phone, "4111 1111 1111 1111", *crm.name.split()):
        assert value and value.casefold() not in outbound, f"{value!r} left the process"
    assert "<person_1>" in outbound
    assert result.answer.startswith(f"Thanks {crm.name},"), "placeholders come back restored"
    assert result.provider == "openai"
    assert (result.input_tokens, result.output_tokens) == (12, 5)
    assert result.cost_usd is not None and result.cost_usd > 0

    rows = ledger_rows(runtime, conversation)
    ledger_text = json.dumps([r.model_dump(mode="json") for r in rows]).casefold()
    assert crm.email.casefold() not in ledger_text and crm.name.casefold() not in ledger_text
    assert [r.input_tokens for r in rows] == [12, 12]


async def test_provider_failure_degrades_to_the_local_responder(
    runtime: Any, fake_openai: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_openai.default = Fail(503)
    assistant = with_openai(runtime, fake_openai.base_url, monkeypatch)
    conversation = await assistant.start_conversation(
        user_id=None, customer_id=CUSTOMER, role="agent"
    )
    _, result = await run_turn(assistant, conversation, "How do I reset my password?")

    assert result.degraded and result.provider == "local" and result.fallback == "local"
    assert result.notice and "offline responder" in result.notice
    assert result.answer.strip()
    rows = ledger_rows(runtime, conversation)
    assert [(r.entry, r.retry, r.ok, r.error, r.fallback_depth) for r in rows] == [
        ("openai-standard", 0, False, "ProviderUnavailable", 0),
        ("openai-standard", 1, False, "ProviderUnavailable", 0),
        ("local", 0, True, None, 2),
    ], "each retry is a row; the empty cache lookup between them is not a provider call"
    assert all(r.tier == "standard" and "agent_reply" in (r.route_reason or "") for r in rows)


async def test_a_stream_cut_short_is_never_stored_as_complete(
    runtime: Any, fake_openai: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_openai.script(Truncate(chunks=["Your refund ", "will be "]))
    assistant = with_openai(runtime, fake_openai.base_url, monkeypatch)
    conversation = await assistant.start_conversation(
        user_id=None, customer_id=CUSTOMER, role="agent"
    )
    events, result = await run_turn(assistant, conversation, "Where is my refund?")

    shown = "".join(e.text for e in events if isinstance(e, AnswerDelta))
    assert shown == "Your refund will be ", "what was shown is not repeated or replaced"
    assert result.degraded and result.notice and "cut short" in result.notice
    with runtime.session_factory() as session:
        answer = session.exec(
            select(ChatMessage).where(
                ChatMessage.conversation_id == conversation, ChatMessage.author == "assistant"
            )
        ).one()
    assert answer.complete is False
    assert runtime.conversations.pseudonymised_turns(conversation) == [
        ("user", "Where is my refund?")
    ], "a partial answer is not fed back as memory"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("   \n ", "empty"),
        ("x" * 5000, "too_long"),
        ("hi\x00there", "control_chars"),
    ],
)
async def test_bad_input_is_refused_before_anything_runs(
    runtime: Any, text: str, reason: str
) -> None:
    assistant = runtime.assistant
    conversation = await assistant.start_conversation(
        user_id=None, customer_id=CUSTOMER, role="agent"
    )
    with pytest.raises(InputRejected) as caught:
        await run_turn(assistant, conversation, text)
    assert caught.value.reason == reason
    assert ledger_rows(runtime, conversation) == []


async def test_unknown_customer_is_a_clear_error(runtime: Any) -> None:
    with pytest.raises(CustomerNotFound, match="CUS-99999"):
        await runtime.assistant.start_conversation(
            user_id=None, customer_id="CUS-99999", role="agent"
        )


def test_customer_search_by_id_email_and_name(runtime: Any) -> None:
    crm = customer(runtime)
    assistant = runtime.assistant
    assert [c.id for c in assistant.find_customers(CUSTOMER.lower())] == [CUSTOMER]
    assert [c.id for c in assistant.find_customers(crm.email.upper())] == [CUSTOMER]
    assert CUSTOMER in [c.id for c in assistant.find_customers(crm.name.split()[-1][:4])]


async def test_an_answer_contradicting_the_rules_is_flagged_and_stored(
    runtime: Any, fake_openai: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    crm = customer(runtime)
    reply = (
        "Thanks <PERSON_1>. We will get back to you within 1 hour. "
        "I have waived the restocking fee for you."
    )
    fake_openai.script(Reply(text=reply))
    assistant = with_openai(runtime, fake_openai.base_url, monkeypatch)
    conversation = await assistant.start_conversation(
        user_id=None, customer_id=CUSTOMER, role="agent"
    )
    _, result = await run_turn(assistant, conversation, "Can you waive the restocking fee?")

    assert [f.check for f in result.rule_flags] == ["sla_shorter", "forbidden_promise"]
    assert "within 1 hour" in result.rule_flags[0].sentence
    assert result.context.rules_version == "2026.11.1"
    system = fake_openai.requests[-1]["messages"][0]["content"]
    assert '<rules version="2026.11.1">' in system and "first_response_sla_hours:" in system
    with runtime.session_factory() as session:
        stored = session.exec(
            select(ChatMessage).where(
                ChatMessage.conversation_id == conversation, ChatMessage.author == "assistant"
            )
        ).one()
    assert stored.rules_version == "2026.11.1"
    flags = json.loads(stored.rule_flags_json)
    assert [f["check"] for f in flags] == ["sla_shorter", "forbidden_promise"]
    assert crm.name not in stored.rule_flags_json, "stored flags hold placeholders, not names"
    assert set(json.loads(stored.provenance_json)) == {"rules_version", "budget", "sections"}


async def test_plain_local_answers_raise_no_rule_flags(runtime: Any) -> None:
    assistant = runtime.assistant
    conversation = await assistant.start_conversation(
        user_id=None, customer_id=CUSTOMER, role="customer"
    )
    for question in ("How long does a refund take?", "Where is my order?", "Can I return it?"):
        _, result = await run_turn(assistant, conversation, question)
        assert result.rule_flags == [], (question, result.answer)
