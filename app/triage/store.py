"""Persist triage answers on tickets and read back the current ones."""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import col, select

from app.storage.database import SessionFactory
from app.storage.triage_tables import TicketTriage
from app.triage.schemas import TriageKind
from app.triage.structured import TriageResult


def save_result(sessions: SessionFactory, ticket_id: str, result: TriageResult) -> TicketTriage:
    """Store one answer (a new row: earlier answers stay as history)."""
    payload = result.payload()
    row = TicketTriage(
        ticket_id=ticket_id,
        kind=result.kind,
        payload_json=json.dumps(payload, ensure_ascii=False),
        urgency=payload.get("urgency") if result.kind == "classification" else None,
        category=payload.get("category") if result.kind == "classification" else None,
        model=result.model,
        provider=result.provider,
        prompt_ref=result.prompt_ref,
        method=result.method,
    )
    with sessions() as session:
        session.add(row)
        session.commit()
        session.refresh(row)
    return row


def latest(sessions: SessionFactory, ticket_id: str, kind: TriageKind) -> TicketTriage | None:
    """The newest stored answer of a kind for a ticket."""
    with sessions() as session:
        return session.exec(
            select(TicketTriage)
            .where(TicketTriage.ticket_id == ticket_id, TicketTriage.kind == kind)
            .order_by(col(TicketTriage.created_at).desc(), col(TicketTriage.id).desc())
            .limit(1)
        ).first()


def triaged_ticket_ids(sessions: SessionFactory, kind: TriageKind) -> set[str]:
    """Tickets that already have an answer of this kind (a batch run skips them)."""
    with sessions() as session:
        rows = session.exec(
            select(TicketTriage.ticket_id).where(TicketTriage.kind == kind).distinct()
        ).all()
    return set(rows)


def payload_of(row: TicketTriage) -> dict[str, Any]:
    """A stored row's answer as JSON data."""
    value = json.loads(row.payload_json)
    return value if isinstance(value, dict) else {}
