"""Degraded state and the notice a user sees, for each way a call can end."""

from __future__ import annotations

import pytest

from app.provider_call import StreamedAnswer
from app.turn_outcome import FAILED_TEXT, PARTIAL_NOTICE, judge
from providers import Usage
from providers.config import ModelEntry
from providers.routing import Route
from providers.trace import Attempt

PRIMARY = ModelEntry(
    name="openai-standard",
    provider="openai",
    model="gpt-4o-mini",
    tier="standard",
    api_key_env="OPENAI_API_KEY",
)
ECONOMY = ModelEntry(
    name="openai-economy",
    provider="openai",
    model="gpt-4.1-mini",
    tier="economy",
    api_key_env="OPENAI_API_KEY",
)
LOCAL = ModelEntry(name="local", provider="local", model="local-responder", tier="economy")
ROUTE = Route("agent_reply", "standard", (PRIMARY, ECONOMY, LOCAL), "task agent_reply -> standard")


def attempt(
    entry: ModelEntry | None,
    *,
    ok: bool = True,
    depth: int = 0,
    cache: str | None = None,
    error: str | None = None,
) -> Attempt:
    return Attempt(
        provider="cache" if cache else (entry.provider if entry else "openai"),
        model=entry.model if entry else "gpt-4o-mini",
        ok=ok,
        error=error,
        usage=Usage(10, 5) if ok else None,
        latency_ms=1.0,
        fallback_depth=depth,
        first_token_ms=1.0,
        entry=entry.name if entry else "",
        cache_hit=cache,
    )


def answered(*attempts: Attempt, complete: bool = True, failed: bool = False) -> StreamedAnswer:
    answer = StreamedAnswer(pieces=["text"], complete=complete, failed=failed)
    for a in attempts:
        answer.trace.record(a)
    return answer


@pytest.mark.parametrize(
    ("answer", "degraded", "notice", "fallback"),
    [
        (answered(attempt(PRIMARY)), False, None, None),
        (
            answered(
                attempt(PRIMARY, ok=False, error="ProviderUnavailable"), attempt(ECONOMY, depth=1)
            ),
            True,
            "fallback model gpt-4.1-mini: gpt-4o-mini is unavailable",
            "openai-economy",
        ),
        (
            answered(attempt(PRIMARY, ok=False, error="CircuitOpen"), attempt(LOCAL, depth=2)),
            True,
            "offline responder",
            "local",
        ),
        (answered(attempt(None, cache="exact")), True, "no model was asked", "cache"),
        (
            answered(
                attempt(PRIMARY, ok=False, error="ProviderTimeout"),
                attempt(None, depth=2, cache="semantic"),
            ),
            True,
            "unavailable right now; this answer comes from similar earlier answers",
            "cache",
        ),
        (
            answered(attempt(PRIMARY, ok=False, error="StreamInterrupted"), complete=False),
            True,
            PARTIAL_NOTICE,
            None,
        ),
        (answered(failed=True, complete=False), True, FAILED_TEXT, None),
    ],
)
def test_the_outcome_says_who_answered_and_whether_it_was_degraded(
    answer: StreamedAnswer, degraded: bool, notice: str | None, fallback: str | None
) -> None:
    outcome = judge(answer, ROUTE)
    assert outcome.degraded is degraded
    assert (outcome.notice is None) if notice is None else (notice in (outcome.notice or ""))
    assert outcome.fallback == fallback


def test_the_local_responder_is_not_degraded_when_it_is_the_only_provider() -> None:
    local_only = Route("agent_reply", "standard", (LOCAL,), "task agent_reply -> standard")
    outcome = judge(answered(attempt(LOCAL)), local_only)
    assert not outcome.degraded and outcome.notice is None


def test_a_cache_miss_is_not_counted_as_a_provider_call() -> None:
    answer = answered(
        attempt(PRIMARY, ok=False, error="ProviderUnavailable"),
        attempt(None, ok=False, depth=1, cache=None, error="CacheMiss"),
        attempt(LOCAL, depth=2),
    )
    assert [a.error for a in answer.attempts] == ["ProviderUnavailable", None]
