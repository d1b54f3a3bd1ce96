"""Shared helpers of the triage tests: a small migrated CRM in a temp SQLite file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from app.runtime import Database
from app.storage.database import make_engine, migrate, session_factory
from context.crm_tables import Customer, Interaction, Ticket

CUSTOMER = "CUS-90001"
CUSTOMER_NAME = "Marisol Quintanilla"
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
TICKETS = {
    "TCK-900001": (
        "Battery swelling on tablet",
        "The back of my tablet is bulging and it rocks on the table. Is it safe to charge?",
    ),
    "TCK-900002": (
        "Parcel never came",
        "Tracking says delivered on Monday but there is no parcel at my door or with neighbours.",
    ),
    "TCK-900003": (
        "Invoice please",
        f"Could you send an invoice for my company for the last order? Thanks, {CUSTOMER_NAME}.",
    ),
}


def small_crm(tmp_path: Path, *, contacts: int = 0) -> Database:
    """A migrated database with one customer, three open tickets and ``contacts`` contacts
    about the second ticket."""
    engine = make_engine(f"sqlite:///{tmp_path / 'deskpilot.db'}")
    migrate(engine)
    database = Database(engine, session_factory(engine))
    with database.sessions() as session:
        session.add(
            Customer(
                id=CUSTOMER,
                name=CUSTOMER_NAME,
                email="marisol.q@example.org",
                phone="+44 7700 900123",
                created_at=NOW - timedelta(days=400),
            )
        )
        for index, (ticket_id, (subject, body)) in enumerate(TICKETS.items()):
            created = NOW - timedelta(days=3 - index)
            session.add(
                Ticket(
                    id=ticket_id,
                    customer_id=CUSTOMER,
                    subject=subject,
                    description=body,
                    created_at=created,
                    updated_at=created,
                )
            )
        for n in range(contacts):
            session.add(
                Interaction(
                    customer_id=CUSTOMER,
                    channel="email",
                    occurred_at=NOW + timedelta(hours=n),
                    summary=f"Contact {n + 1} about TCK-900002: checked the carrier scan {n + 1}.",
                    agent="Maya R.",
                )
            )
        session.commit()
    return database
