"""Pure functions turning turn events and customers into markdown and element specs.

Nothing here imports Chainlit: the handlers build Chainlit objects from these values, and the
unit tests check what a user reads without a browser.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from app.turn_types import ContextReady, ContextSection, SourceRef, TurnResult

# Items listed per section before the rest collapse into "+N more".
MAX_LISTED_ITEMS = 8
# Characters that would break Chainlit's `[name](…)` element links or markdown emphasis.
_NAME_UNSAFE = re.compile(r"[\[\]()*_`|<>#\\]")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|])")
_SOURCES_LINE = re.compile(r"^\W*sources?\W*:", re.IGNORECASE | re.MULTILINE)


class CustomerLike(Protocol):
    """What the UI shows of a customer (matches the assistant's CustomerSummary)."""

    @property
    def id(self) -> str:
        """CRM id, e.g. CUS-10001."""
        ...

    @property
    def name(self) -> str:
        """Full name."""
        ...

    @property
    def email(self) -> str:
        """Email address."""
        ...

    @property
    def tier(self) -> str:
        """Service tier, e.g. plus."""
        ...


@dataclass(frozen=True, slots=True)
class SourceElement:
    """A side element to attach to the answer: its name appears in the text and links to it."""

    name: str
    content: str


@dataclass(frozen=True, slots=True)
class AnswerView:
    """The final answer message: markdown content and the source elements it references."""

    content: str
    elements: list[SourceElement]


def md_escape(text: str) -> str:
    """Escape markdown control characters so data shows as typed."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def source_name(source: SourceRef) -> str:
    """The name a source goes by in the answer: its title, made safe for element links."""
    raw = source.title.strip() or source.source.strip() or "Source"
    return re.sub(r"\s+", " ", _NAME_UNSAFE.sub(" ", raw)).strip() or "Source"


def source_elements(sources: Sequence[SourceRef]) -> list[SourceElement]:
    """One element per document (best first), holding every passage the answer used from it."""
    grouped: dict[str, list[SourceRef]] = {}
    for source in sources:
        grouped.setdefault(source_name(source), []).append(source)
    elements = []
    for name, refs in grouped.items():
        parts = [f"_{md_escape(refs[0].source)}_"]
        for ref in refs:
            heading = f"### {md_escape(ref.section)}\n\n" if ref.section.strip() else ""
            parts.append(f"{heading}{ref.text.strip()}")
        elements.append(SourceElement(name=name, content="\n\n".join(parts)))
    return elements


def sources_line(answer: str, sources: Sequence[SourceRef]) -> str | None:
    """A line naming the sources the answer does not name yet (None if it names them all).

    "Sources: …" lists every source; when the answer has its own "Sources:" line, only the
    missing ones follow as "Also consulted: …", so there is never a second "Sources:" line.
    """
    names = list(dict.fromkeys(source_name(s) for s in sources))
    missing = [name for name in names if name not in answer]
    if not missing:
        return None
    if _SOURCES_LINE.search(answer):
        return "Also consulted: " + ", ".join(missing)
    return "Sources: " + ", ".join(names)


def notice_line(notice: str | None) -> str | None:
    """The degraded-service notice as one short italic line."""
    if notice is None or not notice.strip():
        return None
    return f"*{md_escape(' '.join(notice.split()))}*"


def answer_view(result: TurnResult, streamed: str = "") -> AnswerView:
    """The finished answer: text, a sources line if needed, the notice, and source elements."""
    answer = result.answer.strip() or streamed.strip()
    if not answer:
        answer = "I have no answer to that. Could you rephrase the question?"
    parts = [answer]
    line = sources_line(answer, result.sources)
    if line:
        parts.append(line)
    notice = notice_line(result.notice)
    if notice:
        parts.append(notice)
    return AnswerView(content="\n\n".join(parts), elements=source_elements(result.sources))


def _items(label: str, items: Sequence[str]) -> str:
    shown = ", ".join(md_escape(i) for i in items[:MAX_LISTED_ITEMS])
    more = len(items) - MAX_LISTED_ITEMS
    return f"{label}: {shown}" + (f" (+{more} more)" if more > 0 else "")


def section_line(section: ContextSection) -> str:
    """One bullet for a context section: tokens against budget, what went in, what was dropped."""
    line = f"- **{md_escape(section.name)}**: {section.tokens} / {section.budget} tokens"
    if section.included:
        line += "; " + _items("included", section.included)
    if section.dropped:
        line += "; " + _items("dropped for budget", section.dropped)
    return line


def source_line(index: int, source: SourceRef) -> str:
    """One numbered source: title, section, file and retrieval score."""
    where = f" › {md_escape(source.section)}" if source.section.strip() else ""
    return (
        f"{index}. {md_escape(source_name(source))}{where} "
        f"(`{source.source}`, score {source.score:.2f})"
    )


def context_markdown(event: ContextReady) -> str:
    """The body of the "Context" step: tokens, sections, rule outcomes, the sources."""
    used = sum(s.tokens for s in event.sections)
    budget = event.budget or sum(s.budget for s in event.sections)
    lines = [f"**{used} / {budget} tokens** of context"]
    lines += [section_line(s) for s in event.sections] or ["- no context sections"]
    lines.append("")
    if event.rule_facts:
        lines.append(f"**Rule outcomes** (rules {md_escape(event.rules_version)})")
        lines += [f"- {md_escape(fact)}" for fact in event.rule_facts]
        lines.append("")
    if event.sources:
        lines.append("**Sources**")
        lines += [source_line(i, s) for i, s in enumerate(event.sources, start=1)]
    else:
        lines.append("No knowledge-base passage matched.")
    return "\n".join(lines)


def rule_flags_markdown(result: TurnResult) -> str | None:
    """A warning for the agent when the answer contradicts a rule outcome (None if it does not)."""
    if not result.rule_flags:
        return None
    lines = [
        f"⚠️ **Check this answer against the rules** ({md_escape(result.context.rules_version)})"
    ]
    for flag in result.rule_flags:
        lines.append(f"- {md_escape(flag.detail)} — “{md_escape(flag.sentence)}”")
    return "\n".join(lines)


def turn_footer(result: TurnResult) -> str:
    """How the answer was produced: provider, model, tokens, cost, latency (for agents)."""
    cost = "cost n/a" if result.cost_usd is None else f"${result.cost_usd:.4f}"
    footer = (
        f"Answered by `{result.provider}` / `{result.model}` · {result.input_tokens} in, "
        f"{result.output_tokens} out tokens · {cost} · {result.latency_ms:.0f} ms"
    )
    return footer + (" · degraded" if result.degraded else "")


def customer_card(customer: CustomerLike) -> str:
    """A compact card of the customer the conversation is about."""
    return (
        f"**Customer:** {md_escape(customer.name)} · `{customer.id}`  \n"
        f"{md_escape(customer.email)} · tier **{md_escape(str(customer.tier))}**"
    )


def agent_welcome(display_name: str) -> str:
    """The first message an agent sees: what Deskpilot does and how to pick a customer."""
    return (
        f"Hello {md_escape(display_name)}. Deskpilot answers from the customer's orders and "
        "tickets and from the knowledge base, shows which sources it used, and keeps personal "
        "data away from the language model.\n\n"
        "**Which customer are you helping?** Type their id (e.g. `CUS-10001`), email or part of "
        "their name."
    )


def customer_welcome(customer: CustomerLike) -> str:
    """The first message a customer sees."""
    return (
        f"Hello {md_escape(customer.name)}, I can help with your orders, deliveries, returns and "
        "refunds. What can I do for you?"
    )
