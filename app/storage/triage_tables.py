"""The triage results stored on tickets: classification, summary and next action, by version."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

from app.storage.tables import utcnow


class TicketTriage(SQLModel, table=True):
    """One triage answer for one ticket; the newest row of a kind is the current one."""

    __tablename__ = "app_ticket_triage"
    __table_args__ = (Index("ix_app_ticket_triage_ticket_kind", "ticket_id", "kind", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: str = Field(foreign_key="crm_tickets.id", max_length=32)
    kind: str = Field(max_length=20)  # classification | summary | next_action
    payload_json: str = Field(sa_column=Column(Text, nullable=False))
    # Copied out of the classification payload so queues can filter and sort on them.
    urgency: str | None = Field(default=None, max_length=2, index=True)
    category: str | None = Field(default=None, max_length=32)
    model: str = Field(max_length=100)
    provider: str = Field(max_length=64)
    prompt_ref: str = Field(max_length=100)  # name@version of the prompt sent
    method: str = Field(max_length=20)  # model | local | rules
    created_at: datetime = Field(default_factory=utcnow)


__all__ = ["TicketTriage"]
