"""The hand-off queue: a customer asks for a human, an agent picks the request up.

One request stays active per conversation (asking again returns it). Picking up is a single
conditional UPDATE, so of two agents clicking at once exactly one wins and the other is told who
has it. Requests and pick-ups go to the audit log with ids only; the reason shown to agents in the
queue is the customer's latest question as it was pseudonymised, never raw text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy import update
from sqlmodel import col, select

from app.audit import AuditLog
from app.errors import DeskpilotError
from app.storage.database import SessionFactory
from app.storage.handoff_tables import Handoff
from app.storage.tables import ChatMessage, Conversation, User, utcnow
from context.crm_tables import Customer

HandoffStatus = Literal["open", "claimed", "closed"]
ACTIVE: tuple[HandoffStatus, ...] = ("open", "claimed")
REQUESTED = "handoff.requested"
CLAIMED = "handoff.claimed"
CLOSED = "handoff.closed"


class HandoffError(DeskpilotError):
    """A hand-off could not be picked up or closed; the message says why."""


class HandoffNotFound(HandoffError, LookupError):
    """No hand-off with that id."""

    def __init__(self, handoff_id: int) -> None:
        super().__init__(f"Hand-off {reference(handoff_id)} does not exist.")
        self.handoff_id = handoff_id


class HandoffAlreadyClaimed(HandoffError):
    """Another agent picked the hand-off up first (or it was closed)."""

    def __init__(self, handoff_id: int, by: str | None) -> None:
        who = f"by {by}" if by else "already"
        super().__init__(f"Hand-off {reference(handoff_id)} was already picked up {who}.")
        self.handoff_id = handoff_id
        self.by = by


def reference(handoff_id: int) -> str:
    """The reference customers and agents quote: ``H-12``."""
    return f"H-{handoff_id}"


def _aware(moment: datetime) -> datetime:
    # SQLite returns naive datetimes; every stored time is UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class HandoffRecord:
    """One hand-off as stored."""

    id: int
    conversation_id: int | None
    customer_id: str
    requested_by: int | None
    reason_pseudonymised: str
    status: HandoffStatus
    claimed_by: int | None
    created_at: datetime
    claimed_at: datetime | None
    closed_at: datetime | None

    @property
    def reference(self) -> str:
        """``H-<id>``."""
        return reference(self.id)


@dataclass(frozen=True, slots=True)
class HandoffItem:
    """An open hand-off as the agents' queue shows it."""

    id: int
    conversation_id: int | None
    customer_id: str
    customer_name: str
    reason_pseudonymised: str
    created_at: datetime
    waiting_s: float

    @property
    def reference(self) -> str:
        """``H-<id>``."""
        return reference(self.id)


def _record(row: Handoff) -> HandoffRecord:
    assert row.id is not None
    return HandoffRecord(
        id=row.id,
        conversation_id=row.conversation_id,
        customer_id=row.customer_id,
        requested_by=row.requested_by,
        reason_pseudonymised=row.reason_pseudonymised,
        status=row.status,  # type: ignore[arg-type]  # the column only holds HandoffStatus
        claimed_by=row.claimed_by,
        created_at=_aware(row.created_at),
        claimed_at=_aware(row.claimed_at) if row.claimed_at else None,
        closed_at=_aware(row.closed_at) if row.closed_at else None,
    )


def latest_question_pseudonymised(sessions: SessionFactory, conversation_id: int) -> str:
    """The customer's latest question in the conversation, pseudonymised; "" if none yet."""
    with sessions() as session:
        text = session.exec(
            select(ChatMessage.text_pseudonymised)
            .where(ChatMessage.conversation_id == conversation_id, ChatMessage.author == "user")
            .order_by(col(ChatMessage.id).desc())
            .limit(1)
        ).first()
        return text or ""


class HandoffQueue:
    """Requests for a human, the open queue, pick-up and closing."""

    def __init__(self, sessions: SessionFactory, audit: AuditLog | None = None) -> None:
        self._sessions = sessions
        self._audit = audit or AuditLog(sessions)

    def request(
        self,
        conversation_id: int,
        customer_id: str,
        requested_by: int | None,
        reason_pseudonymised: str,
    ) -> HandoffRecord:
        """Queue a request for a human; the conversation's active request if it has one."""
        with self._sessions() as session:
            # Touching the conversation row first takes its write lock (a row lock in Postgres,
            # the database lock in SQLite): a double click cannot queue two requests.
            touched = session.execute(
                update(Conversation)
                .where(col(Conversation.id) == conversation_id)
                .values(updated_at=utcnow())
            )
            if touched.rowcount != 1:  # type: ignore[attr-defined]
                raise LookupError(f"conversation {conversation_id} does not exist")
            existing = session.exec(
                select(Handoff)
                .where(
                    Handoff.conversation_id == conversation_id,
                    col(Handoff.status).in_(ACTIVE),
                )
                .order_by(col(Handoff.id))
            ).first()
            if existing is not None:
                session.commit()
                return _record(existing)
            row = Handoff(
                conversation_id=conversation_id,
                customer_id=customer_id,
                requested_by=requested_by,
                reason_pseudonymised=reason_pseudonymised,
            )
            session.add(row)
            session.commit()
            session.refresh(row)
        record = _record(row)
        self._audit.record(
            f"user:{requested_by}",
            REQUESTED,
            customer_id,
            conversation_id,
            {"handoff_id": record.id},
        )
        return record

    def get(self, handoff_id: int) -> HandoffRecord:
        """One hand-off, or HandoffNotFound."""
        with self._sessions() as session:
            row = session.get(Handoff, handoff_id)
            if row is None:
                raise HandoffNotFound(handoff_id)
            return _record(row)

    def open_count(self) -> int:
        """How many hand-offs wait for an agent."""
        with self._sessions() as session:
            return len(session.exec(select(Handoff.id).where(Handoff.status == "open")).all())

    def open_items(self, limit: int = 20) -> list[HandoffItem]:
        """The waiting hand-offs, longest waiting first, with the customer's name for agents."""
        now = datetime.now(UTC)
        with self._sessions() as session:
            rows = session.exec(
                select(Handoff, Customer.name)
                .join(Customer, col(Customer.id) == col(Handoff.customer_id))
                .where(Handoff.status == "open")
                .order_by(col(Handoff.created_at), col(Handoff.id))
                .limit(limit)
            ).all()
        items = []
        for row, name in rows:
            assert row.id is not None
            created = _aware(row.created_at)
            items.append(
                HandoffItem(
                    id=row.id,
                    conversation_id=row.conversation_id,
                    customer_id=row.customer_id,
                    customer_name=name,
                    reason_pseudonymised=row.reason_pseudonymised,
                    created_at=created,
                    waiting_s=max(0.0, (now - created).total_seconds()),
                )
            )
        return items

    def claim(self, handoff_id: int, agent_user_id: int) -> HandoffRecord:
        """Pick a hand-off up; HandoffAlreadyClaimed if another agent was first."""
        with self._sessions() as session:
            # One statement decides: only the UPDATE that still finds the row open changes it.
            won = session.execute(
                update(Handoff)
                .where(col(Handoff.id) == handoff_id, col(Handoff.status) == "open")
                .values(status="claimed", claimed_by=agent_user_id, claimed_at=utcnow())
            )
            session.commit()
            row = session.get(Handoff, handoff_id)
            if row is None:
                raise HandoffNotFound(handoff_id)
            if won.rowcount != 1:  # type: ignore[attr-defined]
                holder = session.get(User, row.claimed_by) if row.claimed_by else None
                raise HandoffAlreadyClaimed(handoff_id, holder.username if holder else None)
            session.refresh(row)
            record = _record(row)
        self._audit.record(
            f"user:{agent_user_id}",
            CLAIMED,
            record.customer_id,
            record.conversation_id,
            {"handoff_id": record.id},
        )
        return record

    def close(self, handoff_id: int, actor_user_id: int | None = None) -> HandoffRecord:
        """Close a hand-off (done, or no longer needed); closing twice changes nothing."""
        with self._sessions() as session:
            row = session.get(Handoff, handoff_id)
            if row is None:
                raise HandoffNotFound(handoff_id)
            if row.status == "closed":
                return _record(row)
            row.status = "closed"
            row.closed_at = utcnow()
            session.add(row)
            session.commit()
            session.refresh(row)
            record = _record(row)
        self._audit.record(
            f"user:{actor_user_id}",
            CLOSED,
            record.customer_id,
            record.conversation_id,
            {"handoff_id": record.id},
        )
        return record
