"""The validated shapes of triage answers (the prompts' output schemas say the same)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Urgency = Literal["P1", "P2", "P3", "P4"]
Category = Literal[
    "shipping",
    "damage",
    "returns",
    "refund",
    "technical",
    "warranty",
    "billing",
    "order_change",
    "account",
    "general",
]
Team = Literal["support", "logistics", "billing", "accounts", "product_safety"]
TriageKind = Literal["classification", "summary", "next_action"]
KINDS: tuple[TriageKind, ...] = ("classification", "summary", "next_action")
# How an answer was made: a language model, the local responder's rules, or the rules after a
# model's answer failed validation twice.
Method = Literal["model", "local", "rules"]


class _Answer(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Classification(_Answer):
    """Urgency and category of a ticket, and why."""

    urgency: Urgency
    category: Category
    reason: str = Field(min_length=1, max_length=300)


class Summary(_Answer):
    """A short summary of a ticket thread and its key points."""

    summary: str = Field(min_length=1, max_length=1200)
    key_points: list[str] = Field(default_factory=list, max_length=6)


class NextAction(_Answer):
    """The agent's next step and the team that owns it."""

    action: str = Field(min_length=1, max_length=600)
    team: Team
    reason: str = Field(min_length=1, max_length=300)


ANSWER_TYPES: dict[TriageKind, type[_Answer]] = {
    "classification": Classification,
    "summary": Summary,
    "next_action": NextAction,
}
PROMPTS: dict[TriageKind, str] = {
    "classification": "triage_classify",
    "summary": "ticket_summary",
    "next_action": "next_action",
}
