"""What triage reads of a ticket: its text, its thread of contacts, and who it belongs to."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlmodel import Session, col, select

from context.crm_tables import Customer, Interaction, Ticket

# A very long thread is cut to its latest contacts: the prompt must fit an economy model.
MAX_THREAD_CONTACTS = 40
# The prompt quotes the ticket between these tags: the ticket must not be able to close them.
_TAGS = re.compile(r"</?\s*(?:ticket|thread|classification|task)\b[^>]*>", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class TicketView:
    """A ticket as the triage prompts quote it."""

    id: str
    customer_id: str
    status: str
    subject: str
    text: str  # subject, order and description
    thread: str  # the contacts about this ticket, oldest first, one per line
    known_values: dict[str, list[str]]  # the customer's own personal values (for redaction)


def quote(text: str) -> str:
    """Text fit to sit inside a prompt block: tags of the prompt format removed."""
    return _TAGS.sub(" ", text).strip()


def ticket_text(ticket: Ticket) -> str:
    """Subject, order and description: what the customer wrote."""
    order = f"\nOrder: {ticket.order_id}" if ticket.order_id else ""
    return f"Subject: {ticket.subject}{order}\n\n{ticket.description}".strip()


def load_ticket(session: Session, ticket_id: str) -> TicketView | None:
    """A ticket with its thread: the customer's contacts that name the ticket."""
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        return None
    customer = session.get(Customer, ticket.customer_id)
    contacts = session.exec(
        select(Interaction)
        .where(Interaction.customer_id == ticket.customer_id)
        .order_by(col(Interaction.occurred_at))
    ).all()
    lines = [
        f"- {c.occurred_at:%Y-%m-%d} {c.channel} ({c.agent or 'assistant'}): {c.summary}"
        for c in contacts
        if ticket.id in c.summary
    ][-MAX_THREAD_CONTACTS:]
    known: dict[str, list[str]] = {}
    if customer is not None:
        known = {"PERSON": [customer.name], "EMAIL_ADDRESS": [customer.email]}
        if customer.phone:
            known["PHONE_NUMBER"] = [customer.phone]
    return TicketView(
        id=ticket.id,
        customer_id=ticket.customer_id,
        status=ticket.status,
        subject=ticket.subject,
        text=quote(ticket_text(ticket)),
        thread=quote("\n".join(lines)),
        known_values=known,
    )


def ticket_ids(
    session: Session, *, open_only: bool = False, customer_id: str | None = None
) -> list[str]:
    """Ticket ids in id order, optionally only open or pending ones, optionally one customer's."""
    query = select(Ticket.id).order_by(col(Ticket.id))
    if open_only:
        query = query.where(col(Ticket.status).in_(("open", "pending")))
    if customer_id is not None:
        query = query.where(Ticket.customer_id == customer_id)
    return list(session.exec(query).all())


def open_tickets(session: Session, customer_id: str) -> list[Ticket]:
    """A customer's open and pending tickets, newest first."""
    return list(
        session.exec(
            select(Ticket)
            .where(Ticket.customer_id == customer_id, col(Ticket.status).in_(("open", "pending")))
            .order_by(col(Ticket.created_at).desc())
        ).all()
    )
