"""What agents read and click for triage in the agent view."""

from __future__ import annotations

from app.ui.triage_rendering import answer_markdown, ticket_heading, triage_markdown
from app.ui.triage_view import KIND_ACTIONS, TICKETS_ACTION, ticket_actions, tickets_action


def test_each_open_ticket_gets_classify_summarise_and_next_action() -> None:
    actions = ticket_actions("TCK-300001")
    assert [a.label for a in actions] == ["Classify", "Summarise", "Next action"]
    assert {a.name for a in actions} == set(KIND_ACTIONS)
    assert all(a.payload == {"ticket_id": "TCK-300001"} for a in actions)
    button = tickets_action("CUS-10001")
    assert (button.name, button.payload) == (TICKETS_ACTION, {"customer_id": "CUS-10001"})


def test_an_answer_shows_the_model_and_prompt_version_that_made_it() -> None:
    text = triage_markdown(
        "TCK-1",
        "classification",
        {"urgency": "P1", "category": "technical", "reason": "Battery <b>swelling</b>"},
        model="gpt-4.1-mini",
        prompt_ref="triage_classify@1",
        method="model",
    )
    assert text.startswith("Classification of **TCK-1**")
    assert "**P1** · technical" in text and "gpt-4.1-mini · triage\\_classify@1" in text
    assert "<b>" not in text  # ticket text is escaped, never rendered as markup
    fallback = triage_markdown(
        "TCK-1",
        "summary",
        {"summary": "S", "key_points": ["a"]},
        model="rules",
        prompt_ref="ticket_summary@1",
        method="rules",
    )
    assert "rules fallback" in fallback and "\n- a" in fallback


def test_next_action_and_ticket_heading() -> None:
    body = answer_markdown(
        "next_action", {"action": "Trace it.", "team": "logistics", "reason": "Lost."}
    )
    assert body == "Trace it.\nTeam: **logistics** — Lost."
    assert ticket_heading("TCK-2", "Where *is* it", "open", "2026-11-20") == (
        "**TCK-2** — Where \\*is\\* it · open · 2026-11-20"
    )
