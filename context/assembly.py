"""Assembly of the turn's context into tagged blocks, each section within its token budget.

The blocks follow the prompt format the templates and the local responder share: ``<customer>``,
``<orders>``, ``<tickets>`` and ``<passage …>``. Personal fields go in as placeholders through the
``mask`` callback, so no raw personal value ever enters a prompt.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from html import escape

from context.crm_tables import Ticket
from context.customer_history import CustomerHistory, OrderFacts
from context.tokens import TokenCounter
from retrieval import Hit

Mask = Callable[[str, str], str]  # (entity type, real value) -> placeholder


@dataclass(frozen=True, slots=True)
class Budgets:
    """Token budget per section, in priority order of what must fit first."""

    customer: int = 250
    orders: int = 900
    tickets: int = 400
    passages: int = 1600
    memory: int = 1200

    @property
    def total(self) -> int:
        """Sum of the section budgets."""
        return self.customer + self.orders + self.tickets + self.passages + self.memory


@dataclass(slots=True)
class SectionPlan:
    """What one section holds: included and dropped items, tokens used against its budget."""

    name: str
    budget: int
    tokens: int = 0
    included: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ContextPlan:
    """The assembled context: block text per section, the plan report, and the passages used."""

    blocks: dict[str, str]
    sections: list[SectionPlan]
    passages: list[Hit]

    def render(self) -> str:
        """All non-empty blocks, in prompt order."""
        order = ("customer", "orders", "tickets", "passages")
        return "\n".join(self.blocks[name] for name in order if self.blocks.get(name))


def _customer_block(history: CustomerHistory, mask: Mask) -> tuple[str, list[str]]:
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
    return "<customer>\n" + "\n".join(lines) + "\n</customer>", [c.id]


def order_line(facts: OrderFacts, mask: Mask) -> str:
    """One order as a line of ``key=value`` facts (its id as a placeholder)."""
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
    return f"- {mask('ORDER_ID', o.id)}: " + "; ".join(f"{k}={v}" for k, v in fields)


def ticket_line(ticket: Ticket, mask: Mask) -> str:
    """One ticket as a line of ``key=value`` facts (ids as placeholders)."""
    fields = [
        ("status", ticket.status),
        ("priority", ticket.priority),
        ("category", ticket.category),
        ("created", ticket.created_at.date().isoformat()),
        ("order", mask("ORDER_ID", ticket.order_id) if ticket.order_id else ""),
        ("subject", ticket.subject.replace("\n", " ")),
    ]
    return f"- {mask('TICKET_ID', ticket.id)}: " + "; ".join(f"{k}={v}" for k, v in fields)


def passage_block(hit: Hit) -> str:
    """A retrieved passage, tagged as quoted data."""
    attrs = (
        f'source="{escape(hit.source)}" title="{escape(hit.title)}" '
        f'section="{escape(hit.section)}" score="{hit.score:.2f}"'
    )
    return f"<passage {attrs}>\n{hit.text.strip()}\n</passage>"


def _fill(plan: SectionPlan, items: Sequence[tuple[str, str]], counter: TokenCounter) -> list[str]:
    """Take items in order while they fit the section's budget; the rest are dropped."""
    kept: list[str] = []
    for label, text in items:
        cost = counter.count(text) + 1
        if plan.tokens + cost <= plan.budget:
            kept.append(text)
            plan.tokens += cost
            plan.included.append(label)
        else:
            plan.dropped.append(label)
    return kept


def assemble(
    history: CustomerHistory,
    hits: Sequence[Hit],
    *,
    mask: Mask,
    counter: TokenCounter,
    budgets: Budgets | None = None,
) -> ContextPlan:
    """Build the context blocks for one turn, within the budgets."""
    budgets = budgets or Budgets()
    customer_text, customer_ids = _customer_block(history, mask)
    customer = SectionPlan("customer", budgets.customer)
    customer_kept = _fill(customer, [(customer_ids[0], customer_text)], counter)

    orders = SectionPlan("orders", budgets.orders)
    order_lines = _fill(
        orders, [(f.order.id, order_line(f, mask)) for f in history.orders], counter
    )

    tickets = SectionPlan("tickets", budgets.tickets)
    ticket_lines = _fill(
        tickets, [(t.id, ticket_line(t, mask)) for t in history.open_tickets], counter
    )

    passages = SectionPlan("passages", budgets.passages)
    labelled = [(f"{h.source}#{h.section}", passage_block(h)) for h in hits]
    kept_blocks = _fill(passages, labelled, counter)
    used = [h for h, (label, _) in zip(hits, labelled, strict=True) if label in passages.included]

    blocks = {
        "customer": "\n".join(customer_kept),
        "orders": "<orders>\n" + "\n".join(order_lines) + "\n</orders>" if order_lines else "",
        "tickets": "<tickets>\n" + "\n".join(ticket_lines) + "\n</tickets>" if ticket_lines else "",
        "passages": "\n".join(kept_blocks),
    }
    return ContextPlan(blocks, [customer, orders, tickets, passages], used)
