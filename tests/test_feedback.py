"""Feedback on answers, and validated answers served by meaning during an outage."""

from __future__ import annotations

from typing import Any

import pytest

from app.assistant import Assistant
from app.feedback import FeedbackError, FeedbackService
from app.turn_types import TurnResult
from providers import LocalResponder
from providers.config import ProviderConfig
from providers.factory import ProviderSet, build_provider_set
from providers.routing import Router
from providers.state import InProcessStore
from tests.fakes.openai_server import Fail, Reply

pytestmark = pytest.mark.slow


def setup(
    runtime: Any, base_url: str, monkeypatch: pytest.MonkeyPatch, **cache: object
) -> tuple[Assistant, ProviderSet]:
    """An assistant over one OpenAI entry (the fake) and the local responder, with both caches."""
    monkeypatch.setenv("DESKPILOT_TEST_OPENAI_KEY", "sk-test")
    config = ProviderConfig.model_validate(
        {
            "version": 1,
            "models": [
                {
                    "name": "openai-standard",
                    "provider": "openai",
                    "model": "gpt-4o-mini",
                    "tier": "standard",
                    "api_key_env": "DESKPILOT_TEST_OPENAI_KEY",
                    "base_url": base_url,
                },
                {
                    "name": "local",
                    "provider": "local",
                    "model": "local-responder",
                    "tier": "economy",
                },
            ],
            "tasks": {
                t: "standard" for t in ("agent_reply", "customer_reply", "triage", "summary")
            },
            "retry": {"max_attempts": 1},
            "cache": cache,
        }
    )
    local = next(a for a in runtime.assistant.providers.adapters if isinstance(a, LocalResponder))
    providers = build_provider_set(
        config, store=InProcessStore(), local=local, embed=runtime.embed_query
    )
    return runtime.assistant.with_providers(providers, Router(config)), providers


async def ask(assistant: Assistant, customer: str, text: str) -> TurnResult:
    conversation = await assistant.start_conversation(
        user_id=None, customer_id=customer, role="agent"
    )
    events = [e async for e in assistant.respond(conversation, text)]
    assert isinstance(events[-1], TurnResult)
    return events[-1]


async def test_a_thumbs_up_answer_is_served_by_meaning_when_the_model_is_down(
    runtime: Any, fake_openai: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    assistant, providers = setup(runtime, fake_openai.base_url, monkeypatch)
    feedback = FeedbackService(runtime.session_factory, providers.semantic, "knowledge")
    fake_openai.script(Reply(text="Card refunds arrive 5-10 business days after we issue them."))
    first = await ask(assistant, "CUS-10001", "How long does a refund take?")
    assert first.provider == "openai" and first.message_id is not None
    assert feedback.record(message_id=first.message_id, user_id=None, value=1).validated

    fake_openai.default = Fail(503)
    outage = await ask(assistant, "CUS-10002", "How long do refunds take?")
    assert outage.answer == "Card refunds arrive 5-10 business days after we issue them."
    assert outage.degraded and outage.fallback == "cache"
    assert outage.notice and "similar earlier answers" in outage.notice

    unrelated = await ask(assistant, "CUS-10002", "How do I reset my password?")
    assert unrelated.provider == "local", "an unrelated question is not answered from the cache"


async def test_private_answers_stay_with_their_customer_and_thumbs_down_validates_nothing(
    runtime: Any, fake_openai: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    assistant, providers = setup(runtime, fake_openai.base_url, monkeypatch)
    feedback = FeedbackService(runtime.session_factory, providers.semantic, "knowledge")
    fake_openai.script(
        Reply(text="Order ORD-201109 ships with UPS."), Reply(text="Warranty is two years.")
    )
    private = await ask(assistant, "CUS-10001", "Which carrier ships my parcel?")
    assert private.message_id is not None
    assert feedback.record(message_id=private.message_id, user_id=None, value=1).validated
    disliked = await ask(assistant, "CUS-10001", "How long is the warranty on headphones?")
    assert disliked.message_id is not None
    assert not feedback.record(message_id=disliked.message_id, user_id=None, value=-1).validated

    fake_openai.default = Fail(503)
    other = await ask(assistant, "CUS-10002", "Which carrier ships my parcel?")
    assert "ORD-201109" not in other.answer and other.provider == "local"
    same = await ask(assistant, "CUS-10001", "Which carrier is shipping my parcel?")
    assert same.fallback == "cache" and "ORD-201109" in same.answer
    warranty = await ask(assistant, "CUS-10003", "How long is the warranty on headphones?")
    assert warranty.provider == "local", "a thumbs-down answer is never served"


async def test_where_configured_validated_answers_are_served_before_calling_the_model(
    runtime: Any, fake_openai: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    assistant, providers = setup(
        runtime,
        fake_openai.base_url,
        monkeypatch,
        serve_before_call=True,
        semantic_before_call=True,
    )
    feedback = FeedbackService(runtime.session_factory, providers.semantic, "knowledge")
    fake_openai.script(Reply(text="Gift cards never expire."))
    first = await ask(assistant, "CUS-10001", "Do gift cards expire?")
    assert first.message_id is not None
    feedback.record(message_id=first.message_id, user_id=None, value=1)

    again = await ask(assistant, "CUS-10004", "do gift cards expire")
    assert again.answer == "Gift cards never expire." and again.fallback == "cache"
    assert again.notice and "no model was asked" in again.notice
    assert len(fake_openai.requests) == 1, "the model was not called for the validated question"


def test_feedback_refuses_bad_values_and_unknown_answers(runtime: Any) -> None:
    feedback = FeedbackService(runtime.session_factory, None, "knowledge")
    with pytest.raises(FeedbackError, match=r"\+1"):
        feedback.record(message_id=1, user_id=None, value=5)
    with pytest.raises(FeedbackError, match="No answer 999999"):
        feedback.record(message_id=999_999, user_id=None, value=1)
