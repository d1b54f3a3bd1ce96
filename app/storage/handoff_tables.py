"""Hand-offs: a customer asked for a human, and the request waits in the agents' queue."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from app.storage.tables import utcnow


class Handoff(SQLModel, table=True):
    """One request for a human: open until an agent picks it up, then claimed, then closed."""

    __tablename__ = "app_handoffs"

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int | None = Field(
        default=None, foreign_key="app_conversations.id", index=True
    )
    customer_id: str = Field(foreign_key="crm_customers.id", index=True, max_length=32)
    requested_by: int | None = Field(default=None, foreign_key="app_users.id")
    # The customer's reason in their words, pseudonymised (agents read the raw transcript).
    reason_pseudonymised: str = Field(default="", sa_column=Column(Text, nullable=False))
    status: str = Field(default="open", max_length=20, index=True)  # open | claimed | closed
    claimed_by: int | None = Field(default=None, foreign_key="app_users.id")
    created_at: datetime = Field(default_factory=utcnow, index=True)
    claimed_at: datetime | None = None
    closed_at: datetime | None = None


__all__ = ["Handoff"]
