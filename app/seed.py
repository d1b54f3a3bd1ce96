"""``deskpilot seed-demo``: the demo company, its knowledge base and one login per role."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

from sqlmodel import func, select

from app.runtime import Database, chunk_size, knowledge_dir, open_kb
from app.settings import Settings
from app.users import ROLES, add_user
from context.crm_tables import Customer

DEMO_CUSTOMER = "CUS-10001"


@dataclass(frozen=True, slots=True)
class DemoLogin:
    """A generated demo account, shown once."""

    username: str
    password: str
    role: str
    customer_id: str | None


def has_customers(database: Database) -> bool:
    """Whether the CRM already holds customers (a seeded or imported company)."""
    with database.sessions() as session:
        return bool(session.exec(select(func.count()).select_from(Customer)).one())


def seed_crm(database: Database) -> str:
    """Generate the demo company into the CRM tables; returns a one-line summary."""
    from app.demo import generate_company

    with database.sessions() as session:
        summary = generate_company(session)
    return (
        f"{summary.customers} customers, {summary.orders} orders ({summary.order_items} items), "
        f"{summary.tickets} tickets, {summary.interactions} interactions"
    )


def seed_knowledge(settings: Settings, progress: Callable[[int, int], None] | None = None) -> str:
    """Embed the knowledge base into the Chroma store; returns a one-line summary."""
    from retrieval import Embedder, ingest_paths

    embedder = Embedder.load(settings.embedding_backend)
    report = ingest_paths(
        [knowledge_dir(settings)],
        open_kb(settings, embedder),
        size=chunk_size(embedder),
        progress=progress,
        batch_size=settings.embedding_batch_size,
    )
    errors = f", {len(report.errors)} unreadable" if report.errors else ""
    return (
        f"{report.documents} articles, {report.passages} passages "
        f"({report.skipped_unchanged} unchanged){errors}"
    )


def seed_logins(database: Database) -> list[DemoLogin]:
    """One user per role with a random password (the customer one is the demo customer)."""
    logins = []
    for role in ROLES:
        username = f"demo-{role}"
        password = secrets.token_urlsafe(12)
        customer_id = DEMO_CUSTOMER if role == "customer" else None
        add_user(
            database.sessions,
            username=username,
            password=password,
            role=role,
            customer_id=customer_id,
        )
        logins.append(DemoLogin(username, password, role, customer_id))
    return logins
