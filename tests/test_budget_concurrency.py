"""Budgets hold when many turns run at once, and /metrics shows what the turns did.

Fifty turns start together for one user whose daily budget pays for ten full-tier calls. The
provider (the real openai SDK against the local fake server) reports usage equal to the estimate,
so a settled call frees nothing: at most ten turns may be answered at the full tier, the rest are
answered a tier down or refused with a message, and the ledger never exceeds the budget by more
than one call's estimate.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlmodel import col, select
from starlette.testclient import TestClient

from app.audit import AuditLog
from app.budgets import BudgetConfig, BudgetRefused
from app.cost_controls import CostControls, estimate_cost
from app.http_routes import mount_metrics, render_metrics
from app.metrics import build_metrics
from app.rate_limits import build_rate_limiter
from app.storage.tables import CallRecord
from app.users import add_user
from providers.config import ModelEntry
from providers.pricing import PriceTable
from tests.fakes.openai_server import Reply
from tests.provider_setup import assistant_with, openai_entry, run_turn

pytestmark = pytest.mark.slow
TURNS, AFFORDABLE = 50, 10
QUESTION = "Where is my order?"


def _costs(runtime: Any, assistant: Any, user_day_usd: Decimal) -> CostControls:
    """Cost controls with a tight per-user daily budget and fresh metrics."""
    config = assistant._router._config  # the entries this assistant routes to
    return CostControls(
        budgets_config=BudgetConfig(
            user_day_usd=user_day_usd,
            team_day_usd=Decimal(1000),
            conversation_usd=Decimal(1000),
        ),
        counters_redis_url=None,
        rate_limiter=build_rate_limiter(10_000, None),
        metrics=build_metrics(config),
        audit=AuditLog(runtime.session_factory),
        prices=PriceTable.load().with_entries(config.models),
    )


async def test_fifty_turns_at_once_never_overspend_a_budget_for_ten(
    runtime: Any, fake_openai: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    economy = openai_entry(
        fake_openai.base_url, name="openai-economy", model="gpt-4.1-nano", tier="economy"
    )
    base = assistant_with(runtime, [openai_entry(fake_openai.base_url), economy], monkeypatch)
    standard = ModelEntry.model_validate(openai_entry(fake_openai.base_url))
    input_tokens = runtime.settings.context_max_tokens + 5
    prices = PriceTable.load()
    full_estimate = estimate_cost(prices, standard, input_tokens)
    assistant = base.with_cost_controls(
        _costs(runtime, base, full_estimate * AFFORDABLE + Decimal("0.0000001"))
    )
    # Usage equal to the estimate: a settled call gives nothing back to the budget.
    fake_openai.default = Reply(
        text="It is on its way.", prompt_tokens=input_tokens, completion_tokens=standard.max_tokens
    )
    agent = add_user(
        runtime.session_factory, username="budget-agent", password="a long passphrase", role="agent"
    )
    conversations = [
        await assistant.start_conversation(user_id=agent.id, customer_id="CUS-10001", role="agent")
        for _ in range(TURNS)
    ]

    async def one(conversation: int) -> str:
        try:
            _, result, _ = await run_turn(assistant, conversation, QUESTION)
        except BudgetRefused as refused:
            assert "budget" in str(refused).casefold()
            return "refused"
        return str(result.model)

    outcomes = await asyncio.gather(*(one(c) for c in conversations))

    full = outcomes.count("gpt-4o-mini")
    assert full <= AFFORDABLE
    assert set(outcomes) <= {"gpt-4o-mini", "gpt-4.1-nano", "refused"}
    assert outcomes.count("refused") >= TURNS - 2 * AFFORDABLE
    with runtime.session_factory() as session:
        rows = session.exec(
            select(CallRecord).where(col(CallRecord.conversation_id).in_(conversations))
        ).all()
    spent = sum((r.cost_usd or Decimal(0) for r in rows), Decimal(0))
    assert spent <= full_estimate * (AFFORDABLE + 1)
    assert len(rows) == TURNS - outcomes.count("refused"), "one ledger row per answered turn"

    # The same turns as a scrape of /metrics on the app's own route.
    from chainlit.server import app as server_app

    mount_metrics(server_app, assistant._costs.metrics.registry)
    body = TestClient(server_app).get("/metrics").text
    assert body == render_metrics(assistant._costs.metrics.registry).decode()
    series = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(body)
        for s in family.samples
    }
    refusals = sum(
        v for (name, _), v in series.items() if name == "deskpilot_budget_refusals_total"
    )
    assert refusals == outcomes.count("refused")
    output = ("deskpilot_tokens_total", (("direction", "output"), ("model", "gpt-4o-mini")))
    output_tokens = sum(v for (name, labels), v in series.items() if (name, labels[:2]) == output)
    assert output_tokens == full * standard.max_tokens
    assert series[("deskpilot_turn_seconds_count", ())] == TURNS - outcomes.count("refused")
