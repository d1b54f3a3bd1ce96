"""Resilience end to end: each scripted provider failure, through the real turn and real SDKs.

Every scenario runs ``Assistant.respond`` over the provider stack that ``providers.factory``
builds from a configuration, with the real ``openai`` and ``anthropic`` SDKs talking to local fake
servers. Each checks what the user sees (the streamed text, the degraded flag and notice), what
the call ledger holds, and how long the turn took. ``pytest -s`` prints one line per scenario.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from app.assistant import Assistant
from app.storage.tables import CallRecord
from app.turn_types import TurnResult
from tests.fakes.anthropic_server import FakeAnthropic, run_fake_anthropic
from tests.fakes.anthropic_server import Reply as AnthropicReply
from tests.fakes.openai_server import Fail, FakeOpenAI, Malformed, Reply, Truncate, run_fake_openai
from tests.provider_setup import (
    FAST_TIMEOUTS,
    anthropic_entry,
    assistant_with,
    ledger_rows,
    openai_entry,
    run_turn,
    shown_text,
    stored_answers,
)

pytestmark = pytest.mark.slow

CUSTOMER = "CUS-10001"
OTHER_CUSTOMER = "CUS-10002"
ROOT = Path(__file__).resolve().parent.parent
QUESTION = "How long does a refund take?"
ANSWER = "Refunds reach the original payment method within 5 business days."
# Per-million prices of the models used here (providers/prices.yaml, providers.yaml for Claude).
PRICES = {
    "gpt-4o-mini": (Decimal("0.15"), Decimal("0.60")),
    "gpt-4.1-mini": (Decimal("0.40"), Decimal("1.60")),
    "claude-haiku-4-5": (Decimal("1.00"), Decimal("5.00")),
}
FALLBACK_NOTICE = "Answered by the fallback model gpt-4.1-mini: gpt-4o-mini is unavailable."


@pytest.fixture()
def fake_anthropic() -> Iterator[FakeAnthropic]:
    """A fake Anthropic Messages server on loopback, recording every request body."""
    with run_fake_anthropic() as fake:
        yield fake


def cost(model: str, input_tokens: int, output_tokens: int) -> Decimal:
    """What the price table should charge for reported usage."""
    price_in, price_out = PRICES[model]
    return (input_tokens * price_in + output_tokens * price_out) / Decimal(1_000_000)


def shape(rows: list[CallRecord]) -> list[tuple[str | None, int, bool, str | None, int]]:
    """Each ledger row as (entry, retry, ok, error, fallback_depth)."""
    return [(r.entry, r.retry, r.ok, r.error, r.fallback_depth) for r in rows]


def summary(scenario: str, events: list[Any], result: TurnResult, rows: list[CallRecord]) -> str:
    """One line for the table ``pytest -s`` prints: what the user saw, the rows, the seconds."""
    seen = shown_text(events).replace("\n", " ")
    seen = seen if len(seen) <= 38 else seen[:35] + "..."
    state = f"degraded ({result.fallback or 'partial'})" if result.degraded else "normal"
    ledger = ", ".join(
        f"{r.entry or r.provider}#{r.retry}:{'ok' if r.ok else r.error}"
        + (f"[{r.cache_hit}]" if r.cache_hit else "")
        for r in rows
    )
    return f"{scenario:<26} | {state:<28} | {seen!r:<42} | {ledger}"


def report(
    scenario: str, events: list[Any], result: TurnResult, rows: list[CallRecord], seconds: float
) -> None:
    """Print the scenario's line with its duration."""
    print(f"\n{summary(scenario, events, result, rows)} | {seconds:.2f}s")


def assert_shown_once(events: list[Any], result: TurnResult, text: str) -> None:
    """The streamed text is the final answer, and ``text`` appears in it exactly once."""
    shown = shown_text(events)
    assert shown == result.answer, "what streamed is exactly what the turn answered"
    assert shown.count(text) == 1, "no text shown twice"


async def new_conversation(assistant: Assistant, customer: str = CUSTOMER) -> int:
    """A fresh agent conversation about ``customer``."""
    return await assistant.start_conversation(user_id=None, customer_id=customer, role="agent")


# -- normal streams ---------------------------------------------------------------------------


async def test_normal_openai_stream_reports_usage_and_cost(
    runtime: Any, fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_openai.script(Reply(text=ANSWER, prompt_tokens=321, completion_tokens=17))
    assistant = assistant_with(runtime, [openai_entry(fake_openai.base_url)], monkeypatch)
    conversation = await new_conversation(assistant)
    events, result, elapsed = await run_turn(assistant, conversation, QUESTION)
    rows = ledger_rows(runtime, conversation)
    report("normal stream (openai)", events, result, rows, elapsed)

    assert_shown_once(events, result, ANSWER)
    assert result.answer == ANSWER
    assert not result.degraded and result.notice is None and result.fallback is None
    assert (result.provider, result.model) == ("openai", "gpt-4o-mini")
    assert (result.input_tokens, result.output_tokens) == (321, 17)
    assert result.cost_usd == pytest.approx(float(cost("gpt-4o-mini", 321, 17)))
    assert fake_openai.requests[0]["stream_options"] == {"include_usage": True}

    assert shape(rows) == [("openai-standard", 0, True, None, 0)]
    (row,) = rows
    assert (row.input_tokens, row.output_tokens, row.cache_hit) == (321, 17, None)
    assert row.cost_usd == cost("gpt-4o-mini", 321, 17)
    assert row.first_token_ms is not None and row.first_token_ms <= row.latency_ms
    assert row.breaker_state == "closed"
    assert stored_answers(runtime, conversation)[0].complete is True
    assert elapsed < 5


async def test_normal_anthropic_stream_reports_usage_and_cost(
    runtime: Any, fake_anthropic: FakeAnthropic, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_anthropic.script(AnthropicReply(text=ANSWER, input_tokens=287, output_tokens=23))
    assistant = assistant_with(runtime, [anthropic_entry(fake_anthropic.base_url)], monkeypatch)
    conversation = await new_conversation(assistant)
    events, result, elapsed = await run_turn(assistant, conversation, QUESTION)
    rows = ledger_rows(runtime, conversation)
    report("normal stream (anthropic)", events, result, rows, elapsed)

    assert_shown_once(events, result, ANSWER)
    assert not result.degraded and result.notice is None
    assert (result.provider, result.model) == ("anthropic", "claude-haiku-4-5")
    assert (result.input_tokens, result.output_tokens) == (287, 23)
    assert result.cost_usd == pytest.approx(float(cost("claude-haiku-4-5", 287, 23)))
    request = fake_anthropic.requests[0]
    assert request["stream"] is True and request["system"], "the context goes as the system text"

    assert shape(rows) == [("anthropic-standard", 0, True, None, 0)]
    assert (rows[0].input_tokens, rows[0].output_tokens) == (287, 23)
    assert rows[0].cost_usd == cost("claude-haiku-4-5", 287, 23)
    assert elapsed < 5


# -- failures before any text: retry, then fall back -------------------------------------------


async def test_rate_limit_with_retry_after_is_waited_out_then_answered(
    runtime: Any, fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_openai.script(
        Fail(429, headers={"retry-after": "1"}),
        Reply(text=ANSWER, prompt_tokens=300, completion_tokens=12),
    )
    assistant = assistant_with(runtime, [openai_entry(fake_openai.base_url)], monkeypatch)
    conversation = await new_conversation(assistant)
    events, result, elapsed = await run_turn(assistant, conversation, QUESTION)
    rows = ledger_rows(runtime, conversation)
    report("429 Retry-After: 1", events, result, rows, elapsed)

    assert_shown_once(events, result, ANSWER)
    assert not result.degraded and result.provider == "openai"
    assert (result.input_tokens, result.output_tokens) == (300, 12)
    assert shape(rows) == [
        ("openai-standard", 0, False, "RateLimited", 0),
        ("openai-standard", 1, True, None, 0),
    ]
    assert rows[0].input_tokens is None and rows[0].cost_usd is None, "a 429 reports no usage"
    assert (rows[1].input_tokens, rows[1].output_tokens) == (300, 12)
    assert len(fake_openai.requests) == 2
    assert 1.0 <= elapsed < 5, "the server's Retry-After is honoured"


async def test_server_error_burst_longer_than_the_retries_falls_back_to_the_next_model(
    runtime: Any, fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_openai.script(
        Fail(500),
        Fail(503),
        Fail(503),
        Reply(text=ANSWER, prompt_tokens=150, completion_tokens=9),
    )
    entries = [
        openai_entry(fake_openai.base_url),
        openai_entry(
            fake_openai.base_url, name="openai-economy", model="gpt-4.1-mini", tier="economy"
        ),
    ]
    retry = {"max_attempts": 3, "base_delay_s": 0.01, "max_delay_s": 0.02}
    assistant = assistant_with(runtime, entries, monkeypatch, retry=retry)
    conversation = await new_conversation(assistant)
    events, result, elapsed = await run_turn(assistant, conversation, QUESTION)
    rows = ledger_rows(runtime, conversation)
    report("500/503 burst", events, result, rows, elapsed)

    assert_shown_once(events, result, ANSWER)
    assert result.degraded and result.fallback == "openai-economy"
    assert result.notice == FALLBACK_NOTICE
    assert (result.model, result.input_tokens, result.output_tokens) == ("gpt-4.1-mini", 150, 9)
    assert result.cost_usd == pytest.approx(float(cost("gpt-4.1-mini", 150, 9)))
    assert shape(rows) == [
        ("openai-standard", 0, False, "ProviderUnavailable", 0),
        ("openai-standard", 1, False, "ProviderUnavailable", 0),
        ("openai-standard", 2, False, "ProviderUnavailable", 0),
        ("openai-economy", 0, True, None, 1),
    ]
    assert (rows[-1].input_tokens, rows[-1].output_tokens) == (150, 9)
    assert [r["model"] for r in fake_openai.requests] == [
        "gpt-4o-mini",
        "gpt-4o-mini",
        "gpt-4o-mini",
        "gpt-4.1-mini",
    ]
    assert stored_answers(runtime, conversation)[0].degraded is True
    assert elapsed < 5


async def test_slow_first_token_times_out_and_the_next_model_answers(
    runtime: Any, fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_openai.script(
        Reply(text="Too late.", delay_s=1.5),
        Reply(text="Too late.", delay_s=1.5),
        Reply(text=ANSWER, prompt_tokens=140, completion_tokens=11),
    )
    slow = {**FAST_TIMEOUTS, "first_token_s": 0.3}
    entries = [
        openai_entry(fake_openai.base_url, timeouts=slow),
        openai_entry(
            fake_openai.base_url, name="openai-economy", model="gpt-4.1-mini", tier="economy"
        ),
    ]
    assistant = assistant_with(runtime, entries, monkeypatch)
    conversation = await new_conversation(assistant)
    events, result, elapsed = await run_turn(assistant, conversation, QUESTION)
    rows = ledger_rows(runtime, conversation)
    report("slow first token", events, result, rows, elapsed)

    assert_shown_once(events, result, ANSWER)
    assert "Too late" not in shown_text(events)
    assert result.degraded and result.fallback == "openai-economy"
    assert result.notice == FALLBACK_NOTICE
    assert shape(rows) == [
        ("openai-standard", 0, False, "ProviderTimeout", 0),
        ("openai-standard", 1, False, "ProviderTimeout", 0),
        ("openai-economy", 0, True, None, 1),
    ]
    assert all(0.25 <= r.latency_ms / 1000 < 1.0 for r in rows[:2]), "cut at first_token_s"
    assert (rows[-1].input_tokens, rows[-1].output_tokens) == (140, 11)
    assert 0.6 <= elapsed < 3, "two missed first-token deadlines of 0.3 s, then an answer"


# -- failures after text: shown once, stored as partial -----------------------------------------


def assert_partial(runtime: Any, conversation: int, events: list[Any], result: TurnResult) -> None:
    """The shown text stays as it was, flagged as cut short and stored as incomplete."""
    assert shown_text(events) == result.answer, "the shown text is neither repeated nor replaced"
    assert result.degraded and result.notice is not None and "cut short" in result.notice
    (stored,) = stored_answers(runtime, conversation)
    assert stored.complete is False and stored.degraded is True
    assert runtime.conversations.pseudonymised_turns(conversation) == [("user", QUESTION)], (
        "a partial answer is not fed back as memory"
    )


async def test_stall_mid_stream_keeps_the_shown_text_and_stores_a_partial_answer(
    runtime: Any,
    fake_anthropic: FakeAnthropic,
    fake_openai: FakeOpenAI,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake_anthropic.script(
        AnthropicReply(chunks=["Refunds take ", "five business ", "days."], chunk_delay_s=1.5)
    )
    stalls = {**FAST_TIMEOUTS, "stall_s": 0.3}
    entries = [
        anthropic_entry(fake_anthropic.base_url, timeouts=stalls),
        openai_entry(
            fake_openai.base_url, name="openai-economy", model="gpt-4.1-mini", tier="economy"
        ),
    ]
    assistant = assistant_with(runtime, entries, monkeypatch)
    conversation = await new_conversation(assistant)
    events, result, elapsed = await run_turn(assistant, conversation, QUESTION)
    rows = ledger_rows(runtime, conversation)
    report("stall mid-stream", events, result, rows, elapsed)

    assert shown_text(events) == "Refunds take "
    assert_partial(runtime, conversation, events, result)
    assert result.provider == "anthropic" and result.fallback is None
    assert shape(rows) == [("anthropic-standard", 0, False, "StreamInterrupted", 0)]
    assert rows[0].first_token_ms is not None
    assert len(fake_anthropic.requests) == 1, "the answer is not started over"
    assert fake_openai.requests == [], "nor continued by another model"
    assert 0.3 <= elapsed < 1.5, "the stall is detected after stall_s, not at the next chunk"


@pytest.mark.parametrize("abort", [True, False], ids=["connection-dropped", "body-ended"])
async def test_truncated_stream_keeps_the_shown_text_and_stores_a_partial_answer(
    runtime: Any, fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch, abort: bool
) -> None:
    fake_openai.script(Truncate(chunks=["Your refund ", "will be "], abort=abort))
    entries = [
        openai_entry(fake_openai.base_url),
        openai_entry(
            fake_openai.base_url, name="openai-economy", model="gpt-4.1-mini", tier="economy"
        ),
    ]
    assistant = assistant_with(runtime, entries, monkeypatch)
    conversation = await new_conversation(assistant)
    events, result, elapsed = await run_turn(assistant, conversation, QUESTION)
    rows = ledger_rows(runtime, conversation)
    report(f"truncated ({'abort' if abort else 'clean end'})", events, result, rows, elapsed)

    assert shown_text(events) == "Your refund will be "
    assert_partial(runtime, conversation, events, result)
    assert shape(rows) == [("openai-standard", 0, False, "StreamInterrupted", 0)]
    assert len(fake_openai.requests) == 1, "neither retried nor passed to the next model"
    assert elapsed < 5


async def test_malformed_chunk_after_text_ends_as_a_partial_answer(
    runtime: Any, fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_openai.script(Malformed(chunks=["Your refund ", "will be "]))
    assistant = assistant_with(runtime, [openai_entry(fake_openai.base_url)], monkeypatch)
    conversation = await new_conversation(assistant)
    events, result, elapsed = await run_turn(assistant, conversation, QUESTION)
    rows = ledger_rows(runtime, conversation)
    report("malformed chunk (mid)", events, result, rows, elapsed)

    assert shown_text(events) == "Your refund will be "
    assert_partial(runtime, conversation, events, result)
    assert shape(rows) == [("openai-standard", 0, False, "StreamInterrupted", 0)]
    assert len(fake_openai.requests) == 1
    assert elapsed < 5


async def test_malformed_first_chunk_is_retried_and_answered_cleanly(
    runtime: Any, fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_openai.script(
        Malformed(chunks=[]), Reply(text=ANSWER, prompt_tokens=200, completion_tokens=14)
    )
    assistant = assistant_with(runtime, [openai_entry(fake_openai.base_url)], monkeypatch)
    conversation = await new_conversation(assistant)
    events, result, elapsed = await run_turn(assistant, conversation, QUESTION)
    rows = ledger_rows(runtime, conversation)
    report("malformed chunk (first)", events, result, rows, elapsed)

    assert_shown_once(events, result, ANSWER)
    assert not result.degraded and result.notice is None
    assert shape(rows) == [
        ("openai-standard", 0, False, "ProviderUnavailable", 0),
        ("openai-standard", 1, True, None, 0),
    ]
    assert (rows[1].input_tokens, rows[1].output_tokens) == (200, 14)
    assert stored_answers(runtime, conversation)[0].complete is True
    assert elapsed < 5


# -- outages: the breaker, the local responder, the cache ---------------------------------------


async def test_total_outage_opens_the_breaker_and_recovery_closes_it(
    runtime: Any, fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_openai.default = Fail(503)
    open_s = 0.5
    assistant = assistant_with(
        runtime,
        [openai_entry(fake_openai.base_url)],
        monkeypatch,
        breaker={"failure_threshold": 2, "window_s": 30, "open_s": open_s},
    )
    breaker = assistant.providers.breakers["openai-standard"]
    conversation = await new_conversation(assistant)
    questions = [
        "How do I reset my password?",
        "Can I pay in instalments?",
        "How do I change my email address?",
        "What does the extended warranty cover?",
    ]

    # Two failed turns (two tries each) reach the threshold: the circuit opens.
    for number, question in enumerate(questions[:2], start=1):
        before = len(ledger_rows(runtime, conversation))
        events, result, elapsed = await run_turn(assistant, conversation, question)
        turn_rows = ledger_rows(runtime, conversation)[before:]
        report(f"outage turn {number}", events, result, turn_rows, elapsed)
        assert result.degraded and result.provider == "local" and result.fallback == "local"
        assert result.notice is not None and "offline responder" in result.notice
        assert shown_text(events) == result.answer and result.answer.strip()
        assert elapsed < 5
    assert len(fake_openai.requests) == 4
    assert breaker.state() == "open"
    failed_turns = ledger_rows(runtime, conversation)
    assert shape(failed_turns) == 2 * [
        ("openai-standard", 0, False, "ProviderUnavailable", 0),
        ("openai-standard", 1, False, "ProviderUnavailable", 0),
        ("local", 0, True, None, 2),
    ]

    # While open: the provider is skipped without a request, the local responder answers.
    events, result, elapsed = await run_turn(assistant, conversation, questions[2])
    open_rows = ledger_rows(runtime, conversation)[len(failed_turns) :]
    report("outage, circuit open", events, result, open_rows, elapsed)
    assert len(fake_openai.requests) == 4, "no request reaches the provider while open"
    assert result.degraded and result.provider == "local" and result.fallback == "local"
    assert [
        (r.provider, r.entry, r.ok, r.error, r.breaker_state, r.fallback_depth) for r in open_rows
    ] == [
        ("openai", "openai-standard", False, "CircuitOpen", "open", 0),
        ("local", "local", True, None, None, 2),
    ], "the skipped entry is named, with the reason"
    assert open_rows[0].latency_ms < 50, "refused at once"
    assert elapsed < 2

    # The provider recovers; after open_s the half-open probe goes through and closes the circuit.
    fake_openai.default = Reply(text=ANSWER, prompt_tokens=260, completion_tokens=13)
    await asyncio.sleep(open_s + 0.1)
    assert breaker.state() == "half_open"
    before = len(ledger_rows(runtime, conversation))
    events, result, elapsed = await run_turn(assistant, conversation, questions[3])
    probe_rows = ledger_rows(runtime, conversation)[before:]
    report("recovered (probe)", events, result, probe_rows, elapsed)
    assert_shown_once(events, result, ANSWER)
    assert not result.degraded and result.notice is None and result.provider == "openai"
    assert (result.input_tokens, result.output_tokens) == (260, 13)
    assert shape(probe_rows) == [("openai-standard", 0, True, None, 0)]
    assert probe_rows[0].breaker_state == "half_open"
    assert breaker.state() == "closed"
    assert len(fake_openai.requests) == 5
    assert elapsed < 5


async def test_exact_cache_answers_the_same_question_during_an_outage(
    runtime: Any, fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    cached = "Hello <PERSON_1>, " + ANSWER
    fake_openai.script(Reply(text=cached, prompt_tokens=330, completion_tokens=19))
    assistant = assistant_with(runtime, [openai_entry(fake_openai.base_url)], monkeypatch)
    first_conversation = await new_conversation(assistant)
    _, first, _ = await run_turn(assistant, first_conversation, QUESTION)
    assert not first.degraded and first.provider == "openai"

    fake_openai.default = Fail(503)
    # The same question about the same customer, in a new conversation: the same cache scope.
    conversation = await new_conversation(assistant)
    events, result, elapsed = await run_turn(assistant, conversation, QUESTION)
    rows = ledger_rows(runtime, conversation)
    report("outage, exact cache", events, result, rows, elapsed)

    assert_shown_once(events, result, ANSWER)
    assert result.answer == first.answer, "the earlier answer, placeholders restored again"
    assert "<PERSON_1>" not in result.answer
    assert result.degraded and result.fallback == "cache" and result.provider == "cache"
    assert result.notice is not None and "earlier answers" in result.notice
    assert (result.input_tokens, result.output_tokens) == (0, 0)
    assert shape(rows) == [
        ("openai-standard", 0, False, "ProviderUnavailable", 0),
        ("openai-standard", 1, False, "ProviderUnavailable", 0),
        ("cache", 0, True, None, 1),
    ]
    assert rows[-1].cache_hit == "exact" and rows[-1].input_tokens == 0
    assert elapsed < 5

    # Another customer asking the same words gets no answer built on the first one's facts.
    other = await new_conversation(assistant, OTHER_CUSTOMER)
    _, elsewhere, _ = await run_turn(assistant, other, QUESTION)
    assert elsewhere.provider == "local" and elsewhere.fallback == "local"
    assert all(r.cache_hit is None for r in ledger_rows(runtime, other))


# -- the command line ------------------------------------------------------------------------


def test_chat_command_answers_through_a_provider_that_fails_every_request(
    cli_env: dict[str, str],
) -> None:
    with run_fake_openai(Fail(500)) as fake:
        env = {k: v for k, v in cli_env.items() if not k.startswith(("ANTHROPIC_", "REDIS_"))}
        env |= {"OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": fake.base_url}
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "app.cli", "chat", "--customer", CUSTOMER, "--json", QUESTION],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        elapsed = time.perf_counter() - started
        requests = list(fake.requests)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    turn = json.loads(done.stdout)
    print(
        f"\n{'deskpilot chat, 500s':<26} | degraded ({turn['fallback']})"
        f"{'':<13} | {len(requests)} requests to the fake | {elapsed:.2f}s"
    )
    assert turn["degraded"] is True
    assert turn["fallback"] == "local" and turn["provider"] == "local"
    assert turn["notice"] and "offline responder" in turn["notice"]
    assert turn["answer"].strip()
    # The shipped providers.yaml: three OpenAI entries, three tries each, all asked before local.
    assert sorted({r["model"] for r in requests}) == ["gpt-4.1", "gpt-4.1-nano", "gpt-4o-mini"]
    assert len(requests) == 9
