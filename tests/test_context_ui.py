"""What agents read of the context: rule outcomes in the Context step, rule flags under answers;
and a rules file that does not validate stops start-up with a clear message."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.errors import DeskpilotError
from app.runtime import build_context
from app.settings import load_settings
from app.turn_types import ContextReady, ContextReport, ContextSection, RuleFlagView, TurnResult
from app.ui.rendering import context_markdown, rule_flags_markdown


def result(flags: list[RuleFlagView]) -> TurnResult:
    return TurnResult(
        answer="Your refund for ORD-200001 will be issued today.",
        conversation_id=3,
        provider="local",
        model="local-responder",
        degraded=False,
        notice=None,
        input_tokens=900,
        output_tokens=40,
        cost_usd=0.0,
        prompt="support_reply@1",
        sources=[],
        context=ContextReport("2026.11.1", 5400, [ContextSection("rules", 120, 540)]),
        latency_ms=300.0,
        rule_flags=flags,
    )


def test_context_step_lists_rule_outcomes_with_the_rules_version() -> None:
    event = ContextReady(
        sections=[ContextSection("rules", 120, 540, included=["escalation", "sla"])],
        sources=[],
        rules_version="2026.11.1",
        budget=5400,
        rule_facts=["escalation_required: no", "first_response_sla_hours: 8"],
    )
    lines = context_markdown(event).splitlines()
    assert lines[0] == "**120 / 5400 tokens** of context"
    assert "**Rule outcomes** (rules 2026.11.1)" in lines
    assert "- first\\_response\\_sla\\_hours: 8" in lines


def test_rule_flags_become_one_warning_for_the_agent() -> None:
    assert rule_flags_markdown(result([])) is None
    flag = RuleFlagView(
        "refund_ineligible",
        "refund promised for ORD-200001, which is not eligible: past the return window",
        "Your refund for ORD-200001 will be issued today.",
    )
    warning = rule_flags_markdown(result([flag]))
    assert warning is not None
    assert warning.startswith("⚠️ **Check this answer against the rules** (2026.11.1)")
    assert "past the return window" in warning and "will be issued today" in warning


def test_an_invalid_rules_file_stops_start_up_naming_rule_and_field(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "version: 3\nrules:\n  - id: vip\n    applies_to: customer\n"
        "    when: {fact: tier, op: '>', value: 2}\n    then: {sla_hours: 1}\n",
        encoding="utf-8",
    )
    settings = load_settings(data_dir=tmp_path, rules_file=rules)
    with pytest.raises(DeskpilotError) as error:
        build_context(settings, None, None, None, None, None, None, None)  # type: ignore[arg-type]
    assert str(error.value) == (
        f"business rules: {rules}: rules[0] (vip).when: Value error, op '>' compares numbers; "
        "'tier' is text"
    )
