"""The agent's customer panel: profile, recent orders, open tickets and what the rules say.

Pure rendering to Markdown (tested without Chainlit); `show_customer_panel` puts it in Chainlit's
element sidebar next to the chat, where it stays while the agent works on that customer.
"""

from __future__ import annotations

import chainlit as cl

from app.ui.rendering import md_escape
from context.builder import LoadedCustomer
from context.rules.engine import OrderOutcome, RuleOutcomes

PANEL_TITLE = "Customer"
RECENT_ORDERS = 5


def _refund(outcome: OrderOutcome | None) -> str:
    if outcome is None or outcome.refund_eligible is None:
        return "—"
    return "eligible" if outcome.refund_eligible else "not eligible"


def _profile(loaded: LoadedCustomer) -> list[str]:
    c = loaded.history.customer
    place = ", ".join(p for p in (c.city, c.country) if p)
    lines = [
        f"### {md_escape(c.name)}",
        f"`{c.id}` · tier **{md_escape(c.tier)}** · customer since {c.created_at:%Y-%m-%d}",
        f"{md_escape(c.email)}" + (f" · {md_escape(c.phone)}" if c.phone else ""),
    ]
    if place:
        lines.append(md_escape(place))
    return lines


def _orders(loaded: LoadedCustomer) -> list[str]:
    history = loaded.history
    lines = [f"#### Recent orders ({history.order_count} in all)"]
    if not history.orders:
        return [*lines, "No orders."]
    lines += ["| Order | Placed | Status | Total | Refund |", "|---|---|---|---|---|"]
    for facts in history.orders[:RECENT_ORDERS]:
        order = facts.order
        refund = _refund(loaded.outcomes.order(order.id))
        lines.append(
            f"| `{order.id}` | {order.placed_at:%Y-%m-%d} | {md_escape(order.status)} "
            f"| {order.total} {order.currency} | {refund} |"
        )
    return lines


def _tickets(loaded: LoadedCustomer) -> list[str]:
    tickets = loaded.history.open_tickets
    lines = [f"#### Open tickets ({len(tickets)})"]
    if not tickets:
        return [*lines, "None open."]
    for t in tickets:
        lines.append(
            f"- `{t.id}` **{md_escape(t.priority)}** · {md_escape(t.status)} · "
            f"{md_escape(t.subject)}"
        )
    return lines


def _rules(outcomes: RuleOutcomes) -> list[str]:
    lines = [f"#### Rule outcomes (rules {md_escape(outcomes.version)})"]
    if outcomes.sla_hours is not None:
        lines.append(f"- First reply within **{outcomes.sla_hours} h**")
    if outcomes.escalation_required:
        reasons = "; ".join(md_escape(r) for r in outcomes.escalation_reasons) or "by rule"
        lines.append(f"- **Escalate**: {reasons}")
    if outcomes.tone:
        lines.append(f"- Tone: {md_escape(outcomes.tone)}")
    for promise in outcomes.must_not_promise:
        lines.append(f"- Do not promise: {md_escape(promise)}")
    if outcomes.matched:
        lines.append("- Rules matched: " + ", ".join(f"`{md_escape(m)}`" for m in outcomes.matched))
    if len(lines) == 1:
        lines.append("No rule applies.")
    return lines


def panel_markdown(loaded: LoadedCustomer) -> str:
    """The whole panel as Markdown."""
    blocks = [_profile(loaded), _orders(loaded), _tickets(loaded), _rules(loaded.outcomes)]
    return "\n\n".join("\n".join(block) for block in blocks)


async def show_customer_panel(loaded: LoadedCustomer) -> None:
    """Open the sidebar with the customer's panel (replacing any previous customer's)."""
    await cl.ElementSidebar.set_title(PANEL_TITLE)
    panel = cl.Text(name="Customer profile", content=panel_markdown(loaded), display="side")
    await cl.ElementSidebar.set_elements([panel], key=f"customer:{loaded.history.customer.id}")


async def close_customer_panel() -> None:
    """Close the sidebar (no customer chosen)."""
    await cl.ElementSidebar.set_elements([])
