"""Values a turn produces: what the UI and the CLI render, and what they may ask of a turn."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ConversationRole = Literal["agent", "customer"]


@dataclass(frozen=True, slots=True)
class SourceRef:
    """A knowledge-base passage an answer used."""

    source: str
    title: str
    section: str
    score: float
    text: str


@dataclass(frozen=True, slots=True)
class ContextSection:
    """One section of the assembled context: what went in and what was dropped."""

    name: str
    tokens: int
    budget: int
    included: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ContextReport:
    """The prompt plan as ``chat --json`` prints it under ``context`` (exact keys)."""

    rules_version: str
    budget: int
    sections: list[ContextSection]


@dataclass(frozen=True, slots=True)
class RuleFlagView:
    """An answer sentence that contradicts a rule outcome (shown to agents, never customers)."""

    check: str
    detail: str
    sentence: str


@dataclass(frozen=True, slots=True)
class ContextReady:
    """Step 3 is done: the provenance of the context, shown to agents before the answer."""

    sections: list[ContextSection]
    sources: list[SourceRef]
    rules_version: str = ""
    budget: int = 0
    rule_facts: list[str] = field(default_factory=list)  # the rule outcomes, as the prompt has them


@dataclass(frozen=True, slots=True)
class AnswerDelta:
    """A piece of the streamed answer, personal data already restored."""

    text: str


@dataclass(frozen=True, slots=True)
class TurnResult:
    """The whole turn, once the answer is complete (what `deskpilot chat --json` prints)."""

    answer: str
    conversation_id: int
    provider: str
    model: str
    degraded: bool
    notice: str | None
    input_tokens: int
    output_tokens: int
    cost_usd: float | None
    prompt: str
    sources: list[SourceRef]
    context: ContextReport
    latency_ms: float
    message_id: int | None = None  # the stored answer, for feedback
    fallback: str | None = None  # the model entry or "cache" that stood in, when one did
    route: dict[str, str] = field(default_factory=dict)  # tier and the reason it was chosen
    rule_flags: list[RuleFlagView] = field(default_factory=list)  # for agents; [] if none


TurnEvent = ContextReady | AnswerDelta | TurnResult
