"""Assembly of the turn's context into tagged blocks, within one token budget.

The blocks follow the prompt format the templates and the local responder share: ``<rules>``,
``<customer>``, ``<orders>``, ``<tickets>``, ``<history>``, ``<summary>`` and ``<passage …>``.
Personal fields go in as placeholders through the ``mask`` callback, so no raw personal value
ever enters a prompt. ``budget.plan_budget`` decides what fits; the plan says what was dropped.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from html import escape

from context.budget import Item, SectionResult, SectionSpec, plan_budget
from context.crm_free_text import interaction_note, ticket_subject
from context.crm_tables import Ticket
from context.customer_history import CustomerHistory, OrderFacts
from context.memory import MemorySplit, Turn, history_items, memory_items
from context.rules.engine import OrderOutcome, RuleOutcomes
from context.tokens import TokenCounter
from retrieval import Hit

Mask = Callable[[str, str], str]
# CRM free text (a note, a subject) -> the same text with the personal data in it masked.
Redact = Callable[[str, Mask], str]  # (entity type, real value) -> placeholder

# Share of the budget each section may take before the ones after it; leftovers flow on.
SHARES = {
    "rules": 0.10,
    "customer": 0.08,
    "orders": 0.15,
    "tickets": 0.07,
    "passages": 0.33,
    "memory": 0.20,
    "history": 0.07,
}
# A lower-case tag in remembered text could pose as a context block; placeholders are upper case.
_TAG_LIKE = re.compile(r"<(?=/?[a-z])")


@dataclass(frozen=True, slots=True)
class PlanSection:
    """One section of the plan report (the exact keys of ``chat --json`` ``context``)."""

    name: str
    tokens: int
    budget: int
    included: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class PromptPlan:
    """The assembled context: blocks, memory to replay, passages used, and the plan report."""

    blocks: dict[str, str]
    sections: list[PlanSection]
    passages: list[Hit]
    memory: list[Turn]
    budget: int
    rules_version: str
    outcomes: RuleOutcomes

    def render(self) -> str:
        """All non-empty blocks, in prompt order (passages last, as quoted material)."""
        order = ("rules", "customer", "orders", "tickets", "history", "summary", "passages")
        return "\n".join(self.blocks[name] for name in order if self.blocks.get(name))

    @property
    def tokens(self) -> int:
        """Tokens the plan uses, all sections together."""
        return sum(s.tokens for s in self.sections)


def no_redaction(text: str, mask: Mask) -> str:
    """No detector configured: free text goes in with only known values and ids masked."""
    return text


def _customer_text(history: CustomerHistory, mask: Mask, redact: Redact = no_redaction) -> str:
    c = history.customer
    lines = [
        f"id: {mask('CUSTOMER_ID', c.id)}",
        f"name: {mask('PERSON', c.name)}",
        f"email: {mask('EMAIL_ADDRESS', c.email)}",
    ]
    if c.phone:
        lines.append(f"phone: {mask('PHONE_NUMBER', c.phone)}")
    if c.city or c.country:
        lines.append(f"location: {', '.join(p for p in (c.city, c.country) if p)}")
    lines += [
        f"tier: {c.tier}",
        f"customer_since: {c.created_at.date().isoformat()}",
        f"orders_total: {history.order_count}",
    ]
    for interaction in history.interactions:
        note = redact(interaction_note(interaction), mask)
        summary = _mask_known(note, history, mask)
        when = interaction.occurred_at.date().isoformat()
        lines.append(f"interaction: {when} {interaction.channel}: {summary}")
    return "<customer>\n" + "\n".join(lines) + "\n</customer>"


def order_line(facts: OrderFacts, mask: Mask, refund: OrderOutcome | None = None) -> str:
    """One order as a line of ``key=value`` facts (its id as a placeholder).

    The rules' refund decision rides on the order's own line, so it is kept or dropped with it.
    """
    o = facts.order
    items = ", ".join(f"{i.quantity} x {i.product_name}" for i in facts.items)
    fields = [
        ("status", o.status),
        ("placed", o.placed_at.date().isoformat()),
        ("total", f"{o.total:.2f} {o.currency}"),
        ("carrier", o.carrier or ""),
        ("tracking", o.tracking_number or ""),
        ("shipped", o.shipped_at.date().isoformat() if o.shipped_at else ""),
        ("expected", o.expected_delivery.isoformat() if o.expected_delivery else ""),
        ("delivered", o.delivered_at.date().isoformat() if o.delivered_at else ""),
        ("items", items),
    ]
    if refund is not None:
        verdict = {True: "yes", False: "no", None: "unknown"}[refund.refund_eligible]
        fields.append(("refund_eligible", f"{verdict} ({refund.reason.replace(';', ',')})"))
    return f"- {mask('ORDER_ID', o.id)}: " + "; ".join(f"{k}={v}" for k, v in fields)


def ticket_line(ticket: Ticket, mask: Mask, redact: Redact = no_redaction) -> str:
    """One ticket as a line of ``key=value`` facts (ids as placeholders)."""
    fields = [
        ("status", ticket.status),
        ("priority", ticket.priority),
        ("category", ticket.category),
        ("created", ticket.created_at.date().isoformat()),
        ("order", mask("ORDER_ID", ticket.order_id) if ticket.order_id else ""),
        ("subject", redact(ticket_subject(ticket), mask)),
    ]
    return f"- {mask('TICKET_ID', ticket.id)}: " + "; ".join(f"{k}={v}" for k, v in fields)


_TAG_START = re.compile(r"<(?=[/A-Za-z])")


def quoted_text(text: str) -> str:
    """Knowledge-base text that cannot open or close a prompt block: "</passage>" in an article
    would otherwise end the quote and let the rest read as instructions."""
    return _TAG_START.sub("&lt;", text)


def passage_item(hit: Hit) -> Item:
    """A retrieved passage as a budget item, tagged as quoted data (trimmed inside its tags)."""
    attrs = (
        f'source="{escape(hit.source)}" title="{escape(hit.title)}" '
        f'section="{escape(hit.section)}" score="{hit.score:.2f}"'
    )
    return Item(
        f"{hit.source}#{hit.section}",
        quoted_text(hit.text.strip()),
        splittable=True,
        prefix=f"<passage {attrs}>\n",
        suffix="\n</passage>",
    )


def rule_items(outcomes: RuleOutcomes, mask: Mask) -> list[Item]:
    """Customer-level rule outcomes as fact lines, the decisive ones first (refund decisions
    are on the order lines)."""
    items = []
    if outcomes.escalation_required:
        reasons = "; ".join(_masked_ids(r, mask) for r in outcomes.escalation_reasons)
        items.append(Item("escalation", f"escalation_required: yes ({reasons})"))
    else:
        items.append(Item("escalation", "escalation_required: no"))
    if outcomes.sla_hours is not None:
        items.append(Item("sla", f"first_response_sla_hours: {outcomes.sla_hours}"))
    if outcomes.tone:
        items.append(Item("tone", f"tone: {outcomes.tone}"))
    for index, promise in enumerate(outcomes.must_not_promise, start=1):
        items.append(Item(f"never promise {index}", f"never_promise: {promise}"))
    return items


_RECORD_IDS = {"ORD": "ORDER_ID", "TCK": "TICKET_ID", "CUS": "CUSTOMER_ID"}
_RECORD_ID = re.compile(r"\b(ORD|TCK|CUS)-\d+\b")


def _masked_ids(text: str, mask: Mask) -> str:
    """Record ids (orders, tickets, customers) in free text, as placeholders."""
    return _RECORD_ID.sub(lambda m: mask(_RECORD_IDS[m.group(1)], m.group(0)), text)


def _mask_known(text: str, history: CustomerHistory, mask: Mask) -> str:
    """CRM free text (interaction summaries) with record ids and the customer's details masked."""
    c = history.customer
    for kind, value in (("PERSON", c.name), ("EMAIL_ADDRESS", c.email), ("PHONE_NUMBER", c.phone)):
        if value:
            text = re.sub(re.escape(value), mask(kind, value), text, flags=re.IGNORECASE)
    return _masked_ids(text, mask)


def defuse(text: str) -> str:
    """Remembered text with lower-case tags neutralised (placeholders stay as they are)."""
    return _TAG_LIKE.sub("‹", text)


def assemble(
    history: CustomerHistory,
    outcomes: RuleOutcomes,
    hits: Sequence[Hit],
    *,
    mask: Mask,
    counter: TokenCounter,
    budget: int,
    instructions_tokens: int = 0,
    memory: MemorySplit | None = None,
    summary: str = "",
    earlier: Sequence[tuple[str, str]] = (),
    redact: Redact = no_redaction,
) -> PromptPlan:
    """Build the context blocks for one turn so that all sections fit ``budget`` tokens.

    ``instructions_tokens`` (template and question) is reserved first: it cannot be dropped.
    """
    memory = memory or MemorySplit([], [], 0)
    rules_open = f'<rules version="{escape(outcomes.version)}">\n'
    specs = [
        SectionSpec("rules", rule_items(outcomes, mask), SHARES["rules"], rules_open, "\n</rules>"),
        SectionSpec(
            "customer",
            [Item(history.customer.id, _customer_text(history, mask, redact))],
            SHARES["customer"],
        ),
        SectionSpec(
            "orders",
            [
                Item(f.order.id, order_line(f, mask, outcomes.order(f.order.id)))
                for f in history.orders
            ],
            SHARES["orders"],
            "<orders>\n",
            "\n</orders>",
        ),
        SectionSpec(
            "tickets",
            [Item(t.id, ticket_line(t, mask, redact)) for t in history.open_tickets],
            SHARES["tickets"],
            "<tickets>\n",
            "\n</tickets>",
        ),
        SectionSpec("passages", [passage_item(h) for h in hits], SHARES["passages"]),
        SectionSpec("memory", memory_items(defuse(summary), memory), SHARES["memory"]),
        SectionSpec(
            "history",
            history_items([(label, defuse(text)) for label, text in earlier]),
            SHARES["history"],
            "<history>\n",
            "\n</history>",
        ),
    ]
    available = budget - instructions_tokens
    results = plan_budget(specs, available, counter)
    by_name = {r.name: r for r in results}
    memory_result = by_name["memory"]
    kept_summary, kept_turns = _memory_kept(memory_result, summary, memory)
    passages = by_name["passages"]
    used = [hits[i] for i in passages.kept_indexes]
    blocks = {name: by_name[name].render() for name in ("rules", "customer", "orders", "tickets")}
    blocks["passages"] = passages.render()
    blocks["history"] = by_name["history"].render()
    blocks["summary"] = f"<summary>\n{kept_summary}\n</summary>" if kept_summary else ""
    instructions = PlanSection(
        "instructions", instructions_tokens, instructions_tokens, ["template", "question"]
    )
    return PromptPlan(
        blocks=blocks,
        sections=[instructions, *(_report(r) for r in results)],
        passages=used,
        memory=kept_turns,
        budget=budget,
        rules_version=outcomes.version,
        outcomes=outcomes,
    )


def _memory_kept(result: SectionResult, summary: str, split: MemorySplit) -> tuple[str, list[Turn]]:
    """The summary text kept (maybe trimmed) and the recent turns kept, oldest first."""
    offset = 1 if summary else 0
    kept_summary = ""
    turns: list[tuple[int, Turn]] = []
    for position, index in enumerate(result.kept_indexes):
        if index < offset:
            kept_summary = result.texts[position]
            continue
        recent_index = len(split.recent) - 1 - (index - offset)
        turns.append((recent_index, split.recent[recent_index]))
    turns.sort()
    return kept_summary, [turn for _, turn in turns]


def _report(result: SectionResult) -> PlanSection:
    return PlanSection(
        result.name, result.tokens, result.budget, list(result.included), list(result.dropped)
    )
