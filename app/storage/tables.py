"""SQLModel tables of the application (the CRM tables live in ``context.crm_tables``).

Nothing here holds raw personal data in clear: message text is stored pseudonymised, the raw
transcript and the pseudonym vault are encrypted, and the call ledger holds counts, not text.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import Column, Index, Numeric, Text
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """Timezone-aware now, the only clock the tables use."""
    return datetime.now(UTC)


class User(SQLModel, table=True):
    """Someone who logs in: an agent, a supervisor, a customer or an admin."""

    __tablename__ = "app_users"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(index=True, unique=True, max_length=150)
    password_hash: str = Field(max_length=255)
    role: str = Field(max_length=20)  # agent | supervisor | customer | admin
    customer_id: str | None = Field(default=None, foreign_key="crm_customers.id", max_length=32)
    disabled: bool = False
    created_at: datetime = Field(default_factory=utcnow)


class Conversation(SQLModel, table=True):
    """A chat about one customer, held by one user."""

    __tablename__ = "app_conversations"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int | None = Field(default=None, foreign_key="app_users.id", index=True)
    customer_id: str = Field(foreign_key="crm_customers.id", index=True, max_length=32)
    role: str = Field(max_length=20)  # who reads the answers: agent | customer
    vault_encrypted: str = Field(default="", sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, index=True)
    updated_at: datetime = Field(default_factory=utcnow)


class ChatMessage(SQLModel, table=True):
    """One message of a conversation: pseudonymised text, and the raw text encrypted."""

    __tablename__ = "app_messages"

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="app_conversations.id", index=True)
    turn: int
    author: str = Field(max_length=20)  # user | assistant
    text_pseudonymised: str = Field(sa_column=Column(Text, nullable=False))
    text_encrypted: str = Field(sa_column=Column(Text, nullable=False))
    complete: bool = True  # False for an answer cut short (never shown as whole)
    provider: str | None = Field(default=None, max_length=64)
    model: str | None = Field(default=None, max_length=100)
    prompt: str | None = Field(default=None, max_length=100)
    degraded: bool = False
    provenance_json: str = Field(default="", sa_column=Column(Text, nullable=False))
    rules_version: str | None = Field(default=None, max_length=40)  # the rules the turn ran under
    # Contradictions of the rule outcomes found in this answer (JSON list, pseudonymised text).
    rule_flags_json: str = Field(default="", sa_column=Column(Text, nullable=False))
    # The Chainlit step that showed this answer: Chainlit's feedback (forId) names that step.
    step_id: str | None = Field(default=None, max_length=64, index=True)
    created_at: datetime = Field(default_factory=utcnow)


class ConversationSummary(SQLModel, table=True):
    """The rolling summary of one conversation (pseudonymised), and its whole-conversation recap."""

    __tablename__ = "app_conversation_summaries"
    # Earlier conversations of a customer, newest first (the history section).
    __table_args__ = (Index("ix_app_conversation_summaries_customer", "customer_id", "updated_at"),)

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="app_conversations.id", unique=True)
    customer_id: str = Field(foreign_key="crm_customers.id", max_length=32)
    covers_messages: int = 0  # the rolling summary stands for messages 1..covers_messages
    rolling_text: str = Field(default="", sa_column=Column(Text, nullable=False))
    recap_text: str = Field(default="", sa_column=Column(Text, nullable=False))
    method: str = Field(default="extractive", max_length=20)  # extractive | model
    updated_at: datetime = Field(default_factory=utcnow)


class CallRecord(SQLModel, table=True):
    """One provider attempt: the call ledger (retries and fallbacks each get a row)."""

    __tablename__ = "app_call_ledger"

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int | None = Field(
        default=None, foreign_key="app_conversations.id", index=True
    )
    turn: int | None = None
    user_id: int | None = Field(default=None, index=True)
    role: str | None = Field(default=None, max_length=20)  # agent | customer
    task: str = Field(default="reply", max_length=40)
    provider: str = Field(max_length=64)
    model: str = Field(max_length=100)
    prompt: str = Field(max_length=100)
    rules_version: str | None = Field(default=None, max_length=40)
    input_tokens: int | None = None  # as the provider reported them
    output_tokens: int | None = None
    input_tokens_estimate: int = 0  # tiktoken, always
    output_tokens_estimate: int = 0
    cost_usd: Decimal | None = Field(default=None, sa_column=Column(Numeric(14, 8), nullable=True))
    latency_ms: float = 0.0
    first_token_ms: float | None = None
    cache_hit: str | None = Field(default=None, max_length=20)  # exact | semantic
    fallback_depth: int = 0
    entry: str | None = Field(default=None, max_length=64)  # model entry of providers.yaml
    retry: int = 0  # 0 the first try of an entry, 1 its first retry, ...
    breaker_state: str | None = Field(default=None, max_length=20)
    tier: str | None = Field(default=None, max_length=20)
    route_reason: str | None = Field(default=None, max_length=300)
    ok: bool = True
    error: str | None = Field(default=None, max_length=100)
    created_at: datetime = Field(default_factory=utcnow, index=True)


class Feedback(SQLModel, table=True):
    """A thumbs up or down on an answer, with an optional comment."""

    __tablename__ = "app_feedback"

    id: int | None = Field(default=None, primary_key=True)
    message_id: int = Field(foreign_key="app_messages.id", index=True)
    user_id: int | None = Field(default=None, foreign_key="app_users.id")
    value: int  # +1 or -1
    comment: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(default_factory=utcnow)


class AuditEvent(SQLModel, table=True):
    """Append-only record of who did what to which customer's data."""

    __tablename__ = "app_audit_events"

    id: int | None = Field(default=None, primary_key=True)
    actor: str = Field(max_length=150)
    action: str = Field(max_length=60)
    target: str = Field(default="", max_length=200)
    detail: str = Field(default="", sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, index=True)


__all__ = [
    "AuditEvent",
    "CallRecord",
    "ChatMessage",
    "Conversation",
    "ConversationSummary",
    "Feedback",
    "User",
]
