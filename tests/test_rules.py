"""Business rules: a validated file, conditions as a decision table, answers checked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from app.demo import RULES_FILE
from context.rules import (
    CustomerFacts,
    OrderFactsRow,
    RulesError,
    check_answer,
    evaluate,
    load_rules,
)
from context.rules.schema import parse_rules

RULES = load_rules(RULES_FILE)


def facts(
    tier: str = "standard", orders: dict[str, dict[str, Any]] | None = None, **customer: Any
) -> CustomerFacts:
    values: dict[str, str | int | float] = {
        "tier": tier,
        "open_ticket_count": 0,
        "past_refunds": 0,
        "customer_age_days": 400,
        "order_count": len(orders or {}),
    }
    values.update(customer)
    rows = [
        OrderFactsRow(
            order_id,
            {
                "order_status": "delivered",
                "order_age_days": 20,
                "days_since_delivery": 15,
                "amount": 120.0,
                **order,
            },
        )
        for order_id, order in (orders or {}).items()
    ]
    return CustomerFacts("CUS-1", values, rows)


@pytest.mark.parametrize(
    ("tier", "order", "eligible", "rule"),
    [
        ("standard", {"days_since_delivery": 30}, True, "refund-window-standard"),
        ("standard", {"days_since_delivery": 31}, False, "refund-window-passed"),
        ("plus", {"days_since_delivery": 45}, True, "refund-window-plus"),
        ("plus", {"days_since_delivery": 46}, False, "refund-window-passed"),
        ("premier", {"days_since_delivery": 60}, True, "refund-window-premier"),
        ("premier", {"days_since_delivery": 61}, False, "refund-window-passed"),
        ("premier", {"order_status": "refunded"}, False, "refund-closed-order"),
        ("standard", {"order_status": "cancelled"}, False, "refund-closed-order"),
        (
            "standard",
            {"order_status": "processing", "days_since_delivery": -1},
            True,
            "refund-processing-order",
        ),
        (
            "plus",
            {"order_status": "shipped", "days_since_delivery": -1},
            False,
            "refund-in-transit",
        ),
    ],
)
def test_refund_eligibility_follows_the_decision_table(
    tier: str, order: dict[str, Any], eligible: bool, rule: str
) -> None:
    outcome = evaluate(RULES, facts(tier, {"ORD-1": order})).order("ORD-1")
    assert outcome is not None
    assert (outcome.refund_eligible, outcome.rule) == (eligible, rule)
    assert outcome.reason


@pytest.mark.parametrize(
    ("customer", "orders", "sla", "escalate"),
    [
        ({"tier": "standard"}, {}, 24, False),
        ({"tier": "plus"}, {}, 8, False),
        ({"tier": "premier"}, {}, 2, False),
        ({"tier": "standard", "open_ticket_count": 2}, {}, 24, False),
        ({"tier": "standard", "open_ticket_count": 3}, {}, 24, True),
        ({"tier": "plus"}, {"ORD-9": {"amount": 1000.0}}, 8, False),
        ({"tier": "plus"}, {"ORD-9": {"amount": 1000.01}}, 8, True),
    ],
)
def test_sla_and_escalation_by_customer_and_order_facts(
    customer: dict[str, Any], orders: dict[str, dict[str, Any]], sla: int, escalate: bool
) -> None:
    outcomes = evaluate(RULES, facts(orders=orders, **customer))
    assert outcomes.sla_hours == sla
    assert outcomes.escalation_required is escalate
    assert outcomes.version == "2026.11.1"


def test_tone_and_promises_accumulate() -> None:
    premier = evaluate(RULES, facts("premier"))
    assert premier.tone is not None and "Premier" in premier.tone
    assert evaluate(RULES, facts("standard")).tone == "friendly, plain and concise"
    frequent = evaluate(RULES, facts("standard", past_refunds=3))
    assert any("senior agent" in p for p in frequent.must_not_promise)
    assert not any("senior agent" in p for p in premier.must_not_promise)
    assert any("restocking fee" in p for p in premier.must_not_promise)


def test_rules_use_the_same_figures_as_the_policy_the_articles_quote() -> None:
    data = yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))
    for tier, days in data["refund_window_days"].items():
        inside = evaluate(RULES, facts(tier, {"O": {"days_since_delivery": days}})).order("O")
        outside = evaluate(RULES, facts(tier, {"O": {"days_since_delivery": days + 1}})).order("O")
        assert inside is not None and outside is not None
        assert (inside.refund_eligible, outside.refund_eligible) == (True, False), tier
        assert evaluate(RULES, facts(tier)).sla_hours == data["sla_first_response_hours"][tier]
    over = data["escalation_triggers"]["order_total_over_usd"]
    assert evaluate(RULES, facts(orders={"O": {"amount": over + 1}})).escalation_required
    assert len(RULES.forbidden_promises) == len(data["never_promise"])


@pytest.mark.parametrize(
    ("answer", "checks"),
    [
        ("Good news: your refund for ORD-2 will be issued today.", ["refund_ineligible"]),
        ("Your refund for ORD-1 will arrive in 5-10 business days.", []),
        ("I can't promise a refund for ORD-2, it is past the window.", []),
        ("Once we receive ORD-2 we will refund it.", []),
        ("We will get back to you within 4 hours.", ["sla_shorter"]),
        ("We will get back to you within 24 hours.", []),
        ("I have waived the restocking fee for you.", ["forbidden_promise"]),
        ("We guarantee it will be delivered by Friday.", ["forbidden_promise"]),
        ("Your refund has been approved.", ["forbidden_promise"]),
        ("Hello! How can I help?", []),
    ],
)
def test_answers_that_contradict_outcomes_are_flagged(answer: str, checks: list[str]) -> None:
    outcomes = evaluate(
        RULES,
        facts(
            "standard", {"ORD-1": {"days_since_delivery": 3}, "ORD-2": {"days_since_delivery": 90}}
        ),
    )
    found = check_answer(answer, outcomes, RULES)
    assert [f.check for f in found] == checks
    for flag in found:
        assert flag.sentence in answer and flag.detail


def test_a_refund_promise_without_an_order_is_flagged_when_none_is_eligible() -> None:
    none_eligible = evaluate(RULES, facts(orders={"ORD-5": {"days_since_delivery": 200}}))
    some_eligible = evaluate(RULES, facts(orders={"ORD-5": {"days_since_delivery": 2}}))
    text = "You will get a full refund."
    assert [f.check for f in check_answer(text, none_eligible, RULES)] == ["refund_ineligible"]
    assert check_answer(text, some_eligible, RULES) == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"rules": []}, "version: Field required"),
        (
            {
                "version": 1,
                "rules": [
                    {
                        "id": "x",
                        "applies_to": "order",
                        "then": {},
                        "when": {"fact": "shoe_size", "op": "==", "value": 1},
                    }
                ],
            },
            "rules[0] (x).when",
        ),
        (
            {
                "version": 1,
                "rules": [
                    {
                        "id": "x",
                        "applies_to": "order",
                        "then": {},
                        "when": {"fact": "tier", "op": ">", "value": 1},
                    }
                ],
            },
            "compares numbers",
        ),
        (
            {
                "version": 1,
                "rules": [
                    {
                        "id": "y",
                        "applies_to": "customer",
                        "then": {},
                        "when": {"fact": "amount", "op": ">", "value": 1},
                    }
                ],
            },
            "cannot use order facts: amount",
        ),
        (
            {
                "version": 1,
                "rules": [{"id": "z", "applies_to": "customer", "then": {"refund_eligible": True}}],
            },
            "refund_eligible is an order outcome",
        ),
        (
            {"version": 1, "rules": [{"id": "a", "applies_to": "order", "then": {"sla_hours": 0}}]},
            "rules[0] (a).then.sla_hours",
        ),
        (
            {
                "version": 1,
                "rules": [
                    {"id": "a", "applies_to": "order", "then": {}},
                    {"id": "a", "applies_to": "order", "then": {}},
                ],
            },
            "repeated: a",
        ),
        (
            {
                "version": 1,
                "rules": [{"id": "a", "applies_to": "order", "then": {}}],
                "forbidden_promises": [{"id": "p", "text": "t", "patterns": ["(unclosed"]}],
            },
            "not a valid regex",
        ),
    ],
)
def test_invalid_rules_fail_with_the_rule_and_field_named(data: Any, message: str) -> None:
    with pytest.raises(RulesError) as error:
        parse_rules(data, "my-rules.yaml")
    assert str(error.value).startswith("my-rules.yaml: ")
    assert message in str(error.value)


def test_a_broken_rules_file_is_reported_with_its_path(tmp_path: Path) -> None:
    broken = tmp_path / "rules.yaml"
    broken.write_text("version: 1\nrules: [\n", encoding="utf-8")
    with pytest.raises(RulesError, match="not valid YAML"):
        load_rules(broken)
    with pytest.raises(RulesError, match="cannot read"):
        load_rules(tmp_path / "missing.yaml")
