"""The append-only audit log: who ran which AI task for which customer, who read which conversation.

This module can only add and read events; the database refuses UPDATE and DELETE on the table
(triggers of migration 0005), so not even a bug elsewhere can rewrite history. Details are ids,
task names and counts, never message text.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import col, select

from app.storage.database import SessionFactory
from app.storage.tables import AuditEvent

RAN_AI_TASK = "ai_task.ran"
READ_CONVERSATION = "conversation.read"
ALERT = "alert.raised"


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One audit event, read back."""

    id: int
    created_at: datetime
    actor: str
    action: str
    customer_id: str | None
    conversation_id: int | None
    detail: dict[str, Any]


def _target(customer_id: str | None, conversation_id: int | None) -> str:
    parts = []
    if customer_id is not None:
        parts.append(f"customer:{customer_id}")
    if conversation_id is not None:
        parts.append(f"conversation:{conversation_id}")
    return " ".join(parts)


def _entry(event: AuditEvent) -> AuditEntry:
    assert event.id is not None
    detail = json.loads(event.detail) if event.detail else {}
    # The target column holds "customer:<id> conversation:<id>" (either may be absent).
    fields = dict(part.split(":", 1) for part in event.target.split() if ":" in part)
    conversation = fields.get("conversation")
    return AuditEntry(
        id=event.id,
        created_at=event.created_at,
        actor=event.actor,
        action=event.action,
        customer_id=fields.get("customer"),
        conversation_id=int(conversation) if conversation is not None else None,
        detail=detail,
    )


class AuditLog:
    """Appends audit events and reads them back; there is no way to change or remove one."""

    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    def record(
        self,
        actor: str,
        action: str,
        customer_id: str | None = None,
        conversation_id: int | None = None,
        detail: Mapping[str, Any] | None = None,
    ) -> AuditEntry:
        """Append one event; ``detail`` holds ids, names and counts only."""
        event = AuditEvent(
            actor=actor,
            action=action,
            target=_target(customer_id, conversation_id),
            detail=json.dumps(dict(detail or {}), sort_keys=True, default=str),
        )
        with self._sessions() as session:
            session.add(event)
            session.commit()
            session.refresh(event)
        return _entry(event)

    def ran_ai_task(
        self, actor: str, task: str, customer_id: str, conversation_id: int | None, **detail: Any
    ) -> AuditEntry:
        """``actor`` had the model run ``task`` for a customer."""
        return self.record(
            actor, RAN_AI_TASK, customer_id, conversation_id, {"task": task, **detail}
        )

    def read_conversation(self, actor: str, customer_id: str, conversation_id: int) -> AuditEntry:
        """``actor`` opened a conversation (a transcript or its review)."""
        return self.record(actor, READ_CONVERSATION, customer_id, conversation_id)

    def entries(
        self,
        *,
        since: datetime | None = None,
        actor: str | None = None,
        action: str | None = None,
        limit: int = 1000,
    ) -> list[AuditEntry]:
        """Events oldest first, filtered by time, actor and action."""
        query = select(AuditEvent).order_by(col(AuditEvent.id)).limit(limit)
        if since is not None:
            query = query.where(col(AuditEvent.created_at) >= since)
        if actor is not None:
            query = query.where(AuditEvent.actor == actor)
        if action is not None:
            query = query.where(AuditEvent.action == action)
        with self._sessions() as session:
            return [_entry(event) for event in session.exec(query).all()]
