"""Shared test helpers: the runtime's assistant over a provider configuration built by the test.

The assistant keeps every loaded component of the session runtime (SQLite, Chroma, Presidio,
MiniLM, the ledger) and gets a fresh provider set: real SDK adapters for the entries given (keys
set through ``monkeypatch``), the runtime's local responder last, and a fresh in-process store, so
no breaker or cache state leaks from one test to the next.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlmodel import col, select

from app.assistant import Assistant
from app.storage.tables import CallRecord, ChatMessage
from app.turn_types import AnswerDelta, TurnResult
from providers import LocalResponder
from providers.clock import Clock
from providers.config import ProviderConfig
from providers.factory import build_provider_set
from providers.routing import Router
from providers.state import InProcessStore

TEST_KEY = "sk-test"
LOCAL_ENTRY: dict[str, Any] = {
    "name": "local",
    "provider": "local",
    "model": "local-responder",
    "tier": "economy",
}
TASKS = {
    "agent_reply": "standard",
    "customer_reply": "standard",
    "triage": "economy",
    "summary": "economy",
}
# Two tries per entry and millisecond backoffs: a failing entry costs milliseconds, not seconds.
FAST_RETRY = {"max_attempts": 2, "base_delay_s": 0.01, "max_delay_s": 0.02, "retry_after_cap_s": 2}
FAST_TIMEOUTS = {"first_token_s": 2, "stall_s": 2, "total_s": 5}


def openai_entry(
    base_url: str,
    *,
    name: str = "openai-standard",
    model: str = "gpt-4o-mini",
    tier: str = "standard",
    timeouts: dict[str, float] | None = None,
) -> dict[str, Any]:
    """A model entry for an OpenAI-compatible server at ``base_url``."""
    return {
        "name": name,
        "provider": "openai",
        "model": model,
        "tier": tier,
        "api_key_env": "DESKPILOT_TEST_OPENAI_KEY",
        "base_url": base_url,
        "timeouts": timeouts or FAST_TIMEOUTS,
    }


def anthropic_entry(
    base_url: str,
    *,
    name: str = "anthropic-standard",
    model: str = "claude-haiku-4-5",
    tier: str = "standard",
    timeouts: dict[str, float] | None = None,
) -> dict[str, Any]:
    """A model entry for an Anthropic-compatible server at ``base_url``."""
    return {
        "name": name,
        "provider": "anthropic",
        "model": model,
        "tier": tier,
        "api_key_env": "DESKPILOT_TEST_ANTHROPIC_KEY",
        "base_url": base_url,
        "timeouts": timeouts or FAST_TIMEOUTS,
    }


def local_responder(runtime: Any) -> LocalResponder:
    """The runtime's local responder (its embedded models are already loaded)."""
    adapters = runtime.assistant.providers.adapters
    return next(a for a in adapters if isinstance(a, LocalResponder))


def assistant_with(
    runtime: Any,
    entries: list[dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
    *,
    clock: Clock | None = None,
    **sections: Any,
) -> Assistant:
    """The runtime's assistant over ``entries`` plus the local entry; ``sections`` override
    configuration sections (``retry``, ``breaker``, ``bulkhead``, ``cache``, ``routing``,
    ``tasks``); ``retry`` defaults to ``FAST_RETRY``."""
    for entry in entries:
        if entry.get("api_key_env"):
            monkeypatch.setenv(entry["api_key_env"], TEST_KEY)
    config = ProviderConfig.model_validate(
        {
            "version": 1,
            "models": [*entries, LOCAL_ENTRY],
            "tasks": sections.pop("tasks", TASKS),
            "retry": sections.pop("retry", FAST_RETRY),
            **sections,
        }
    )
    providers = build_provider_set(
        config,
        store=InProcessStore(clock),
        local=local_responder(runtime),
        clock=clock,
    )
    assistant: Assistant = runtime.assistant.with_providers(providers, Router(config))
    return assistant


def ledger_rows(runtime: Any, conversation_id: int) -> list[CallRecord]:
    """The call ledger rows of one conversation, oldest first."""
    with runtime.session_factory() as session:
        return list(
            session.exec(
                select(CallRecord)
                .where(CallRecord.conversation_id == conversation_id)
                .order_by(col(CallRecord.id))
            ).all()
        )


def stored_answers(runtime: Any, conversation_id: int) -> list[ChatMessage]:
    """The assistant messages stored for one conversation, oldest first."""
    with runtime.session_factory() as session:
        return list(
            session.exec(
                select(ChatMessage)
                .where(
                    ChatMessage.conversation_id == conversation_id,
                    ChatMessage.author == "assistant",
                )
                .order_by(col(ChatMessage.id))
            ).all()
        )


async def run_turn(
    assistant: Assistant, conversation: int, text: str
) -> tuple[list[Any], TurnResult, float]:
    """All events of one turn, its result, and how long it took in seconds."""
    started = time.perf_counter()
    events = [e async for e in assistant.respond(conversation, text)]
    elapsed = time.perf_counter() - started
    result = events[-1]
    assert isinstance(result, TurnResult)
    return events, result, elapsed


def shown_text(events: list[Any]) -> str:
    """What the user saw stream in: the answer deltas, concatenated."""
    return "".join(e.text for e in events if isinstance(e, AnswerDelta))
