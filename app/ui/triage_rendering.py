"""Pure functions turning tickets and triage answers into the markdown agents read."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.ui.rendering import md_escape

KIND_TITLES = {
    "classification": "Classification",
    "summary": "Summary",
    "next_action": "Next action",
}
METHOD_NOTES = {
    "model": "",
    "local": " · offline rules",
    "rules": " · rules fallback (the model's answer was not valid)",
}


def ticket_heading(ticket_id: str, subject: str, status: str, created: str) -> str:
    """One line naming a ticket."""
    return f"**{md_escape(ticket_id)}** — {md_escape(subject)} · {md_escape(status)} · {created}"


def answer_markdown(kind: str, payload: Mapping[str, Any]) -> str:
    """The body of one triage answer."""
    if kind == "classification":
        return (
            f"**{md_escape(str(payload.get('urgency', '?')))}** · "
            f"{md_escape(str(payload.get('category', '?')))} — "
            f"{md_escape(str(payload.get('reason', '')))}"
        )
    if kind == "summary":
        points = [f"- {md_escape(str(p))}" for p in payload.get("key_points", [])]
        return "\n".join([md_escape(str(payload.get("summary", ""))), *points])
    return (
        f"{md_escape(str(payload.get('action', '')))}\n"
        f"Team: **{md_escape(str(payload.get('team', '')))}** — "
        f"{md_escape(str(payload.get('reason', '')))}"
    )


def triage_markdown(
    ticket_id: str,
    kind: str,
    payload: Mapping[str, Any],
    *,
    model: str,
    prompt_ref: str,
    method: str,
) -> str:
    """A stored triage answer with what made it (model and prompt version)."""
    title = KIND_TITLES.get(kind, kind)
    footer = f"_{md_escape(model)} · {md_escape(prompt_ref)}{METHOD_NOTES.get(method, '')}_"
    return f"{title} of **{md_escape(ticket_id)}**\n\n{answer_markdown(kind, payload)}\n\n{footer}"


def no_open_tickets(customer_id: str) -> str:
    """What the agent reads when there is nothing to triage."""
    return f"{md_escape(customer_id)} has no open tickets."
