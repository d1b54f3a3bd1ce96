"""Texts of the hand-off flow: the customer's confirmation, the agents' queue, the transcript."""

from __future__ import annotations

from collections.abc import Sequence

from app.handoffs import HandoffItem, HandoffRecord
from app.ui.rendering import md_escape

_AUTHORS = {"user": "Customer", "assistant": "Assistant"}
_REASON_CHARS = 280


def waiting_label(seconds: float) -> str:
    """``just now``, ``4 min``, ``2 h 05 min``."""
    minutes = int(seconds // 60)
    if minutes < 1:
        return "just now"
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"


def customer_confirmation(record: HandoffRecord) -> str:
    """What the customer reads once their request is queued (or was already)."""
    if record.status == "claimed":
        return (
            f"An agent is already looking at your request — reference {record.reference}. "
            "You can keep chatting here meanwhile."
        )
    return (
        f"An agent will pick this up — reference {record.reference}. "
        "You can keep chatting here meanwhile."
    )


def queue_label(count: int) -> str:
    """The agents' queue button."""
    return f"Hand-off queue ({count} waiting)"


def queue_item_markdown(item: HandoffItem) -> str:
    """One waiting hand-off: reference, customer, waiting time and the pseudonymised reason."""
    reason = item.reason_pseudonymised.strip()
    if len(reason) > _REASON_CHARS:
        reason = reason[: _REASON_CHARS - 1].rstrip() + "…"
    line = (
        f"**{item.reference}** · {md_escape(item.customer_name)} ({md_escape(item.customer_id)})"
        f" · waiting {waiting_label(item.waiting_s)}"
    )
    return f"{line}\n\n> {md_escape(reason)}" if reason else f"{line}\n\n_No question asked yet._"


def queue_heading(items: Sequence[HandoffItem]) -> str:
    """The line above the waiting hand-offs (or the empty queue)."""
    if not items:
        return "No customer is waiting for an agent."
    return f"**{len(items)} customer{'s' if len(items) != 1 else ''} waiting for an agent**"


def transcript_markdown(turns: Sequence[tuple[str, str]]) -> str:
    """The customer's conversation as the agent reads it (raw text, escaped)."""
    if not turns:
        return "_The customer has not written anything yet._"
    return "\n\n".join(
        f"**{_AUTHORS.get(author, author.title())}:** {md_escape(text)}" for author, text in turns
    )


def picked_up_message(record: HandoffRecord) -> str:
    """What the agent reads after a successful pick-up."""
    return (
        f"You picked up {record.reference}. The customer's conversation is in the "
        "*Customer conversation* step below; close the hand-off when you are done."
    )
