"""Cost controls as a turn uses them: route a tier down, refuse with an event, settle, count."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from app.audit import AuditLog
from app.budgets import BudgetRefused
from app.cost_controls import BUDGET_REFUSED, build_cost_controls, estimate_cost
from app.http_routes import render_metrics
from app.rate_limits import RateLimitExceeded
from app.settings import load_settings
from providers.base import Usage
from providers.config import ProviderConfig
from providers.routing import Router
from tests.ledger_rows import PRICES, attempt, call, ledger_db, record

KEY_ENV = "DESKPILOT_TEST_COST_KEY"
CONFIG = ProviderConfig.model_validate(
    {
        "version": 1,
        "models": [
            {"name": "std", "provider": "openai", "model": "gpt-4o", "tier": "standard",
             "api_key_env": KEY_ENV, "max_tokens": 600},
            {"name": "eco", "provider": "openai", "model": "gpt-4o-mini", "tier": "economy",
             "api_key_env": KEY_ENV, "max_tokens": 400},
            {"name": "local", "provider": "local", "model": "local-responder", "tier": "economy"},
        ],
        "tasks": {"agent_reply": "standard", "customer_reply": "standard", "triage": "economy",
                  "summary": "economy"},
    }
)  # fmt: skip


def test_estimates_are_the_worst_case_of_an_entry() -> None:
    standard = CONFIG.models[0]
    # 1000 tokens in at $2.50/M, 600 out (its max_tokens) at $10/M.
    assert estimate_cost(PRICES, standard, 1000) == Decimal("0.0085")
    assert estimate_cost(PRICES, standard.model_copy(update={"model": "unpriced"}), 1000) == 0


def test_a_turn_goes_a_tier_down_then_is_refused_with_an_event_and_settles_exactly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEY_ENV, "test-key")
    budgets = tmp_path / "budgets.yaml"
    budgets.write_text("limits_usd:\n  conversation: '0.02'\nlow_share: 0.2\n")
    db = ledger_db(tmp_path)
    settings = load_settings(
        data_dir=db.settings.data_dir, redis_url=None, database_url=None, budgets_file=budgets
    )
    controls = build_cost_controls(settings, db.database.sessions, CONFIG, PRICES)
    router, conversation = Router(CONFIG), db.conversations[0]

    def admit() -> tuple[str, str]:
        try:
            admission = controls.reserve(
                router,
                "agent_reply",
                message="Where is my parcel?",
                customer_tier=None,
                input_tokens=1000,
                user_id=1,
                role="agent",
                conversation_id=conversation,
            )
        except BudgetRefused as refused:
            assert "start a new conversation" in str(refused)
            return "refused", refused.scope
        return admission.reservation.outcome, admission.route.tier

    # $0.0085 fits twice in $0.02, the second leaving under 20%; then $0.00039 (economy) fits
    # seven more times; then nothing fits.
    outcomes = [admit() for _ in range(10)]
    assert outcomes[0] == ("granted", "standard")
    assert outcomes[1:9] == [("low", "economy")] * 8
    assert outcomes[9] == ("refused", "conversation")
    [event] = AuditLog(db.database.sessions).entries(action=BUDGET_REFUSED)
    assert event.detail["scope"] == "conversation"
    assert f"budget:conversation:{conversation}" == event.detail["key"]
    assert b'deskpilot_budget_refusals_total{scope="conversation"} 1.0' in render_metrics(
        controls.metrics.registry
    )

    # A fresh conversation: the call costs less than reserved; settle leaves the actual cost.
    other = db.conversations[1]
    admission = controls.reserve(
        router,
        "agent_reply",
        message="Hello",
        customer_tier=None,
        input_tokens=1000,
        user_id=1,
        role="agent",
        conversation_id=other,
    )
    attempts = [attempt(model="gpt-4o", entry="std", usage=Usage(800, 120))]
    rows = record(db, call(other, 1), attempts)
    cost = controls.settle(admission.reservation, rows, attempts, "agent_reply")
    controls.release(admission.reservation)  # the finally of a turn: no-op once settled
    assert cost == PRICES.cost("gpt-4o", Usage(800, 120)) == Decimal("0.0032")
    spent = controls.budgets.spent(user_id=1, role="agent", conversation_id=other)
    assert spent["conversation"] == Decimal("0.0032")
    body = render_metrics(controls.metrics.registry)
    assert (
        b'deskpilot_tokens_total{direction="input",model="gpt-4o",task="agent_reply"} 800.0' in body
    )


def test_a_failed_turn_gives_its_reservation_back(tmp_path: Path) -> None:
    db = ledger_db(tmp_path)
    controls = build_cost_controls(db.settings, db.database.sessions, CONFIG, PRICES)
    admission = controls.reserve(
        Router(CONFIG),
        "agent_reply",
        message="Hello",
        customer_tier=None,
        input_tokens=1000,
        user_id=1,
        role="agent",
        conversation_id=db.conversations[0],
    )
    controls.release(admission.reservation)
    spent = controls.budgets.spent(user_id=1, role="agent", conversation_id=db.conversations[0])
    assert set(spent.values()) == {Decimal(0)}


def test_requests_past_the_rate_limit_are_refused(tmp_path: Path) -> None:
    db = ledger_db(tmp_path)
    settings = load_settings(
        data_dir=db.settings.data_dir, redis_url=None, database_url=None, rate_limit_per_minute=2
    )
    controls = build_cost_controls(settings, db.database.sessions, CONFIG, PRICES)
    controls.admit_request(7)
    controls.admit_request(7)
    with pytest.raises(RateLimitExceeded, match="Please wait") as refused:
        controls.admit_request(7)
    assert 1 <= refused.value.retry_after_s <= 60
    controls.admit_request(8)  # another user is not held up
