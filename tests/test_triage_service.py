"""Triage through the real OpenAI SDK against the fake server: validation, one retry with the
error, the rules fallback, the local responder when the model is down, storage, and redaction."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from prometheus_client import generate_latest
from sqlmodel import select

from app.ledger import Ledger
from app.metrics import LabelBounds, Metrics
from app.runtime import Database
from app.storage.tables import CallRecord
from app.storage.triage_tables import TicketTriage
from app.triage.caller import ChainCaller
from app.triage.service import TicketNotFound, TriageService
from prompts.library import load_library
from providers import LocalResponder, local_triage
from providers.config import ProviderConfig
from providers.factory import build_provider_set
from providers.pricing import PriceTable
from providers.routing import Router
from providers.state import InProcessStore
from tests.fakes.openai_server import Fail, FakeOpenAI, Reply
from tests.provider_setup import FAST_RETRY, LOCAL_ENTRY, TASKS, TEST_KEY, openai_entry
from tests.triage_setup import CUSTOMER_NAME, TICKETS, small_crm

VALID = json.dumps({"urgency": "P1", "category": "technical", "reason": "Swelling battery."})


def chain_caller(
    fake: FakeOpenAI,
    monkeypatch: pytest.MonkeyPatch,
    ledger: Ledger | None = None,
    metrics: Metrics | None = None,
) -> ChainCaller:
    """The configured chain: the fake OpenAI server as the economy model, then local."""
    entry = openai_entry(fake.base_url, name="openai-economy", model="gpt-4.1-mini", tier="economy")
    monkeypatch.setenv(entry["api_key_env"], TEST_KEY)
    config = ProviderConfig.model_validate(
        {"version": 1, "models": [entry, LOCAL_ENTRY], "tasks": TASKS, "retry": FAST_RETRY}
    )
    providers = build_provider_set(config, store=InProcessStore(), local=LocalResponder())
    return ChainCaller(providers, Router(config), ledger=ledger, count_tokens=len, metrics=metrics)


@pytest.fixture()
def crm(tmp_path: Path) -> Database:
    return small_crm(tmp_path, contacts=3)


def service_for(crm: Database, caller: ChainCaller, **kwargs: object) -> TriageService:
    return TriageService(crm.sessions, caller, load_library(), company="Acme", **kwargs)  # type: ignore[arg-type]


def stored(crm: Database) -> list[TicketTriage]:
    with crm.sessions() as session:
        return list(session.exec(select(TicketTriage)).all())


async def test_invalid_json_is_retried_once_with_the_validation_error(
    crm: Database, fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_openai.script(
        Reply(text='{"urgency": "urgent", "category": "technical", "reason": "hot"}'),
        Reply(text=f"```json\n{VALID}\n```"),
    )
    ledger = Ledger(crm.sessions, PriceTable.load())
    metrics = Metrics(LabelBounds.from_config(["gpt-4.1-mini"], ["openai-economy"], ["triage"]))
    service = service_for(crm, chain_caller(fake_openai, monkeypatch, ledger, metrics))
    result = await service.run("TCK-900001", "classification")
    assert (result.method, result.attempts, result.model) == ("model", 2, "gpt-4.1-mini")
    # Triage's tokens and cost are in /metrics too, by model and task.
    scraped = generate_latest(metrics.registry).decode()
    assert (
        'deskpilot_tokens_total{direction="input",model="gpt-4.1-mini",task="triage"} 24.0'
        in scraped
    )
    with crm.sessions() as session:  # both model calls are in the call ledger, priced
        calls = list(session.exec(select(CallRecord)).all())
    assert [(c.task, c.prompt, c.model, c.conversation_id) for c in calls] == [
        ("triage", "triage_classify@1", "gpt-4.1-mini", None)
    ] * 2
    assert all(c.input_tokens == 12 and c.cost_usd is not None for c in calls)
    assert result.payload()["urgency"] == "P1"
    retry_messages = fake_openai.requests[1]["messages"]
    assert retry_messages[-2]["role"] == "assistant"
    assert "not valid" in retry_messages[-1]["content"]
    assert "urgency" in retry_messages[-1]["content"] and "P4" in retry_messages[-1]["content"]
    [row] = stored(crm)
    assert (row.ticket_id, row.kind, row.urgency, row.category) == (
        "TCK-900001",
        "classification",
        "P1",
        "technical",
    )
    assert (row.model, row.provider, row.prompt_ref) == (
        "gpt-4.1-mini",
        "openai",
        "triage_classify@1",
    )


async def test_invalid_twice_falls_back_to_the_rules_and_never_raises(
    crm: Database, fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_openai.script(Reply(text="It is P1, trust me."), Reply(text='{"urgency": "P9"}'))
    service = service_for(crm, chain_caller(fake_openai, monkeypatch))
    result = await service.run("TCK-900002", "classification")
    assert (result.method, result.model, result.attempts) == ("rules", "rules", 2)
    assert len(fake_openai.requests) == 2  # exactly one retry
    subject, body = TICKETS["TCK-900002"]
    expected = local_triage.classify(f"Subject: {subject}\n\n{body}")
    assert result.payload()["urgency"] == expected["urgency"] == "P2"
    assert result.payload()["category"] == expected["category"] == "shipping"
    assert len(result.errors) == 2
    [row] = stored(crm)
    assert row.method == "rules" and row.urgency == "P2"


async def test_a_model_that_is_down_leaves_triage_to_the_local_responder(
    crm: Database, fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_openai.script(*[Fail(503)] * 4)
    service = service_for(crm, chain_caller(fake_openai, monkeypatch))
    result = await service.run("TCK-900002", "summary")
    assert (result.method, result.model) == ("local", "local-responder")
    assert "Latest of 3 contacts" in str(result.payload()["summary"])


async def test_next_action_uses_the_stored_classification(
    crm: Database, fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    action = {"action": "Open a carrier trace.", "team": "logistics", "reason": "Lost parcel."}
    fake_openai.script(
        Reply(text=json.dumps({"urgency": "P2", "category": "shipping", "reason": "lost"})),
        Reply(text=json.dumps(action)),
    )
    service = service_for(crm, chain_caller(fake_openai, monkeypatch))
    await service.run("TCK-900002", "classification")
    result = await service.run("TCK-900002", "next_action")
    assert result.payload() == action and result.prompt_ref == "next_action@1"
    system = fake_openai.requests[1]["messages"][0]["content"]
    assert "urgency: P2\ncategory: shipping" in system
    with pytest.raises(TicketNotFound):
        await service.run("TCK-000000", "classification")


@pytest.mark.slow
async def test_personal_data_is_pseudonymised_before_a_model_and_restored_after(
    crm: Database, fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    from guardrails import Pseudonymiser, build_analyzer

    summary = {"summary": "<PERSON_1> asks for a company invoice.", "key_points": []}
    fake_openai.script(Reply(text=json.dumps(summary)))
    service = service_for(
        crm, chain_caller(fake_openai, monkeypatch), pseudonymiser=Pseudonymiser(build_analyzer())
    )
    result = await service.run("TCK-900003", "summary")
    sent = json.dumps(fake_openai.requests)
    assert CUSTOMER_NAME not in sent and "Quintanilla" not in sent and "<PERSON_1>" in sent
    assert result.payload()["summary"] == f"{CUSTOMER_NAME} asks for a company invoice."


async def test_a_conversation_is_classified_without_being_stored(crm: Database) -> None:
    from app.triage.caller import ProviderCaller

    service = TriageService(
        crm.sessions, ProviderCaller(LocalResponder()), load_library(), company="Acme"
    )
    transcript = "customer: my order never arrived and I need it for a trip tomorrow\nagent: sorry"
    result = await service.classify_conversation(
        transcript, customer_id="CUS-90001", known_values={}
    )
    assert (result.payload()["urgency"], result.payload()["category"]) == ("P2", "shipping")
    assert stored(crm) == []


async def test_the_app_wiring_reuses_the_app_providers_and_skips_redaction_offline(
    crm: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.settings import load_settings
    from app.triage.wiring import build_triage

    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    config = ProviderConfig.model_validate({"version": 1, "models": [LOCAL_ENTRY], "tasks": TASKS})
    providers = build_provider_set(config, store=InProcessStore(), local=LocalResponder())
    setup = build_triage(load_settings(data_dir=tmp_path), crm, providers)
    assert not setup.caller.uses_models() and setup.caller.uses_models("next_action") is False
    result = await setup.service.run("TCK-900001", "classification")
    assert (result.method, result.payload()["urgency"]) == ("local", "P1")
