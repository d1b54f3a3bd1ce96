"""The CRM free text of a customer's record that goes into a prompt (notes, ticket subjects).

Assembly redacts exactly these strings; ``ContextBuilder.warm_redaction`` redacts them ahead of
time. One definition keeps the two from drifting apart (a drift would only cost a cache miss).
"""

from __future__ import annotations

from context.crm_tables import Interaction, Ticket
from context.customer_history import CustomerHistory

NOTE_MAX_CHARS = 200


def interaction_note(interaction: Interaction) -> str:
    """An interaction's summary on one line, cut to the length a prompt shows."""
    return " ".join(interaction.summary.split())[:NOTE_MAX_CHARS]


def ticket_subject(ticket: Ticket) -> str:
    """A ticket's subject on one line."""
    return ticket.subject.replace("\n", " ")


def crm_free_texts(history: CustomerHistory) -> list[str]:
    """Every free text of the record that assembly redacts, in the order it does."""
    return [interaction_note(i) for i in history.interactions] + [
        ticket_subject(t) for t in history.open_tickets
    ]
