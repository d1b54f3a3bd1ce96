"""Nothing personal leaves: not in a provider request, a log line, a metric, the ledger or a cache.

A scripted conversation goes through retries, a fallback to another model, a rate limit and a
cache hit during an outage, with the customer's real name, email and phone and a card number in
the messages. Every path is then searched for those values.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from app.http_routes import render_metrics
from context.crm_tables import Customer
from guardrails import PseudonymisationError, Pseudonymiser
from providers.state import InProcessStore
from tests.fakes.openai_server import Fail, Reply
from tests.provider_setup import assistant_with, ledger_rows, openai_entry, run_turn

pytestmark = pytest.mark.slow
CARD = "4111 1111 1111 1111"


def personal_values(customer: Customer) -> list[str]:
    """The seeded values that must never leave, in the forms a search should try."""
    assert customer.phone is not None
    values = [customer.name, customer.email, customer.phone, CARD, *customer.name.split()]
    return [v.casefold() for v in values if len(v) >= 3]


async def test_no_personal_value_leaves_through_any_path(
    runtime: Any,
    fake_openai: Any,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    with runtime.session_factory() as session:
        customer = session.get(Customer, "CUS-10001")
    assert customer is not None
    assistant = assistant_with(
        runtime,
        [
            openai_entry(fake_openai.base_url),
            openai_entry(
                fake_openai.base_url, name="openai-economy", model="gpt-4.1-mini", tier="economy"
            ),
        ],
        monkeypatch,
    )
    question = (
        f"Hello, it's {customer.name.upper()} ({customer.email}, {customer.phone}). "
        f"My card {CARD} was charged twice for my last order, can you check?"
    )
    # Turn 1: the standard model fails twice (retried), the economy model answers.
    fake_openai.script(
        Fail(503), Fail(503), Reply(text="Sorry <PERSON_1>, I will check the charge.")
    )
    first_conversation = await assistant.start_conversation(
        user_id=None, customer_id="CUS-10001", role="agent"
    )
    _, first, _ = await run_turn(assistant, first_conversation, question)
    assert first.fallback == "openai-economy" and customer.name in first.answer

    # Turn 2: rate limited, then answered; the customer repeats their contact details.
    fake_openai.script(Fail(429, headers={"retry-after": "0"}), Reply(text="Noted, <PERSON_1>."))
    _, second, _ = await run_turn(
        assistant, first_conversation, f"Reach me at {customer.phone} or {customer.email.upper()}."
    )
    assert not second.degraded

    # Turn 3: a full outage; the same question in a new conversation is answered from the cache.
    fake_openai.default = Fail(503)
    other_conversation = await assistant.start_conversation(
        user_id=None, customer_id="CUS-10001", role="agent"
    )
    _, third, _ = await run_turn(assistant, other_conversation, question)
    assert third.fallback == "cache" and customer.name in third.answer

    assert len(fake_openai.requests) >= 9
    store = assistant.providers.exact.store
    assert isinstance(store, InProcessStore) and store.snapshot()
    places = {
        "provider requests": json.dumps(fake_openai.requests),
        "request headers": json.dumps(fake_openai.request_headers),
        "log lines": caplog.text,
        "call ledger": json.dumps(
            [
                r.model_dump(mode="json")
                for c in (first_conversation, other_conversation)
                for r in ledger_rows(runtime, c)
            ]
        ),
        "caches": b"".join(k.encode() + v for k, v in store.snapshot().items()).decode(
            "utf-8", "replace"
        ),
        "metrics": render_metrics(runtime.costs.metrics.registry).decode(),
        "audit log": json.dumps([repr(e) for e in runtime.costs.audit.entries()]),
    }
    for place, content in places.items():
        lowered = content.casefold()
        for value in personal_values(customer):
            assert value not in lowered, f"{value!r} found in {place}"
    assert "<person_1>" in places["provider requests"].casefold(), "placeholders were sent instead"


class _BrokenAnalyzer:
    def analyze(self, text: str, **kwargs: Any) -> list[Any]:
        raise ValueError(f"could not process {text!r}")


async def test_when_analysis_fails_the_turn_fails_closed_and_nothing_is_sent(
    runtime: Any, fake_openai: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    assistant = assistant_with(runtime, [openai_entry(fake_openai.base_url)], monkeypatch)
    monkeypatch.setattr(assistant, "_pseudonymiser", Pseudonymiser(_BrokenAnalyzer()))  # type: ignore[arg-type]
    conversation = await assistant.start_conversation(
        user_id=None, customer_id="CUS-10001", role="agent"
    )
    with pytest.raises(PseudonymisationError) as caught:
        await run_turn(assistant, conversation, "Ring Priya Raman on 0207 946 0958 please")
    assert "Priya" not in str(caught.value)
    assert fake_openai.requests == [], "nothing reached the provider"
    assert ledger_rows(runtime, conversation) == []
    assert runtime.conversations.transcript(conversation) == [], "nothing stored as a turn"


async def test_a_third_party_named_in_crm_notes_never_reaches_the_provider(
    runtime: Any, fake_openai: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import UTC, datetime

    from context.crm_tables import Interaction, Ticket

    customer_id, neighbour, number = "CUS-10011", "Bartholomew Quigley", "+44 20 7946 0321"
    now = datetime.now(UTC)
    with runtime.session_factory() as session:
        session.add(
            Interaction(
                customer_id=customer_id,
                channel="phone",
                occurred_at=now,
                summary=f"Parcel left with neighbour {neighbour}, who asked us to call {number}.",
            )
        )
        session.add(
            Ticket(
                id="TCK-399901",
                customer_id=customer_id,
                subject=f"Parcel handed to {neighbour} by mistake",
                created_at=now,
                updated_at=now,
            )
        )
        session.commit()
    assistant = assistant_with(runtime, [openai_entry(fake_openai.base_url)], monkeypatch)
    fake_openai.script(Reply(text="I see the note about <PERSON_2>."))
    conversation = await assistant.start_conversation(
        user_id=None, customer_id=customer_id, role="agent"
    )
    _, result, _ = await run_turn(assistant, conversation, "Where did my parcel go?")

    sent = json.dumps(fake_openai.requests).casefold()
    assert "quigley" not in sent and "bartholomew" not in sent and "7946 0321" not in sent
    assert "parcel left with neighbour <person_" in sent, "the note itself still reaches the model"
    assert "TCK-399901" not in sent.upper()
    assert result.answer  # the turn was answered
