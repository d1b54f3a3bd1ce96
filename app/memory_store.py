"""Conversation summaries in SQL: the rolling summary of a long conversation and its recap.

The rolling summary stands for the older messages once a conversation outgrows the memory
threshold; the recap (rolling summary plus the later messages, extractively) is what later
conversations with the same customer see as history. Both are pseudonymised text: placeholders
are numbered per conversation, so a recap is re-mapped into the current conversation's vault.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select

from app.storage.database import SessionFactory
from app.storage.tables import Conversation, ConversationSummary, utcnow
from guardrails import PseudonymVault

_PLACEHOLDER = re.compile(r"<([A-Z][A-Z0-9_]{0,30})_(\d{1,6})>")
REDACTED = "[redacted]"


@dataclass(frozen=True, slots=True)
class EarlierConversation:
    """A recap of one of the customer's earlier conversations."""

    conversation_id: int
    date: str
    recap: str


def remap_placeholders(text: str, source: PseudonymVault, target: PseudonymVault) -> str:
    """Re-number ``text``'s placeholders from ``source``'s vault into ``target``'s."""

    def swap(match: re.Match[str]) -> str:
        value = source.value_for(match.group(0))
        return REDACTED if value is None else target.placeholder_for(match.group(1), value)

    return _PLACEHOLDER.sub(swap, text)


class SummaryStore:
    """Reads and writes one summary row per conversation."""

    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    def get(self, conversation_id: int) -> ConversationSummary | None:
        """The conversation's summary row, if any."""
        with self._sessions() as session:
            return session.exec(
                select(ConversationSummary).where(
                    ConversationSummary.conversation_id == conversation_id
                )
            ).first()

    def save(
        self,
        conversation_id: int,
        customer_id: str,
        *,
        recap: str,
        rolling: tuple[int, str, str] | None = None,
    ) -> None:
        """Upsert the recap and, when given, the rolling summary (covers, text, method)."""
        with self._sessions() as session:
            row = session.exec(
                select(ConversationSummary).where(
                    ConversationSummary.conversation_id == conversation_id
                )
            ).first() or ConversationSummary(
                conversation_id=conversation_id, customer_id=customer_id
            )
            row.recap_text = recap
            if rolling is not None:
                row.covers_messages, row.rolling_text, row.method = rolling
            row.updated_at = utcnow()
            session.add(row)
            session.commit()

    def earlier(
        self,
        customer_id: str,
        *,
        exclude: int,
        limit: int,
        roles: tuple[str, ...],
        idle_since: datetime,
    ) -> list[ConversationSummary]:
        """The customer's latest other conversation recaps of these roles, newest first,
        of conversations not updated since ``idle_since``."""
        with self._sessions() as session:
            return list(
                session.exec(
                    select(ConversationSummary)
                    .join(
                        Conversation,
                        col(Conversation.id) == col(ConversationSummary.conversation_id),
                    )
                    .where(
                        ConversationSummary.customer_id == customer_id,
                        ConversationSummary.conversation_id != exclude,
                        ConversationSummary.recap_text != "",
                        col(Conversation.role).in_(roles),
                        col(ConversationSummary.updated_at) <= idle_since,
                    )
                    .order_by(col(ConversationSummary.updated_at).desc())
                    .limit(limit)
                ).all()
            )
