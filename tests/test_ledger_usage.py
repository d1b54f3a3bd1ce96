"""The ledger, the usage report and the metrics agree exactly with what the provider reported.

Streamed calls through the real OpenAI SDK against the fake server, with a retry and a fallback:
every attempt is a row, and token and cost totals equal the fake's reported usage, priced.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from app.http_routes import render_metrics
from app.metrics import build_metrics
from app.usage_report import usage_report
from providers import (
    Fallback,
    Instrumented,
    Message,
    OpenAIProvider,
    Retrying,
    RetryPolicy,
    Usage,
    tracing,
)
from providers.config import load_config
from tests.fakes.clock import FakeClock
from tests.fakes.openai_server import Fail, FakeOpenAI, Reply, run_fake_openai
from tests.ledger_rows import PRICES, call, ledger_db

MESSAGES = [Message("user", "Where is my parcel?")]


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with run_fake_openai() as server:
        yield server


async def test_streamed_retried_and_fallen_back_calls_are_accounted_exactly(
    fake: FakeOpenAI, tmp_path: Path
) -> None:
    db = ledger_db(tmp_path)
    conversation = db.conversations[0]
    # Turn 1: a 503, then the retry answers. Turn 2: a 400 (not retryable), the fallback answers.
    fake.script(
        Fail(503),
        Reply("Your parcel ships today.", prompt_tokens=1200, completion_tokens=300),
        Fail(400),
        Reply("It left the depot.", prompt_tokens=900, completion_tokens=150),
    )
    openai = OpenAIProvider(api_key="sk-test", base_url=fake.base_url)
    metrics = build_metrics(load_config())
    try:
        primary = Retrying(
            Instrumented(openai, entry="openai-standard"), RetryPolicy(max_attempts=2), FakeClock()
        )
        economy = Instrumented(openai, entry="openai-economy")
        for turn in (1, 2):
            chain = Fallback((primary, "gpt-4o-mini"), (economy, "gpt-4.1-nano"))
            with tracing() as trace:
                async for _chunk in chain.stream(MESSAGES, max_tokens=300, temperature=0.2):
                    pass
            db.ledger.record(call(conversation, turn), trace.attempts, [0] * len(trace.attempts))
            metrics.observe_attempts(
                trace.attempts, "agent_reply", price=lambda a: db.ledger.price(a)
            )
    finally:
        await openai.aclose()

    report = usage_report(db.database.sessions, "model")
    by_model = {row.key: row for row in report.rows}
    mini, economy_row = by_model["gpt-4o-mini"], by_model["gpt-4.1-nano"]
    # gpt-4o-mini: the 503, the retry that answered, then turn 2's 400; gpt-4.1-nano answered.
    assert (mini.calls, mini.errors, economy_row.calls, economy_row.errors) == (3, 2, 1, 0)
    assert (mini.input_tokens, mini.output_tokens) == (1200, 300)
    assert (economy_row.input_tokens, economy_row.output_tokens) == (900, 150)
    expected = {
        "gpt-4o-mini": PRICES.cost("gpt-4o-mini", Usage(1200, 300)),
        "gpt-4.1-nano": PRICES.cost("gpt-4.1-nano", Usage(900, 150)),
    }
    assert mini.cost_usd == expected["gpt-4o-mini"] == Decimal("0.00036")
    assert economy_row.cost_usd == expected["gpt-4.1-nano"] == Decimal("0.00015")
    assert report.total.cost_usd == Decimal("0.00051")

    scraped = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(render_metrics(metrics.registry).decode())
        for s in family.samples
    }
    tokens = "deskpilot_tokens_total"
    mini_in = (("direction", "input"), ("model", "gpt-4o-mini"), ("task", "agent_reply"))
    assert scraped[(tokens, mini_in)] == 1200
    cost = scraped[
        ("deskpilot_cost_usd_total", (("model", "gpt-4.1-nano"), ("task", "agent_reply")))
    ]
    assert cost == pytest.approx(0.00015)
    errors = {"ProviderUnavailable": 1, "RequestRejected": 1}
    for error_class, count in errors.items():
        assert (
            scraped[("deskpilot_provider_errors_total", (("error_class", error_class),))] == count
        )
