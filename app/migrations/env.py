"""Alembic environment: runs on the connection the app hands over, or on the configured URL."""

from __future__ import annotations

from alembic import context as alembic_context
from sqlalchemy import create_engine
from sqlmodel import SQLModel

# Importing the table modules registers them on SQLModel.metadata.
from app.storage import chainlit_tables as _chainlit_tables  # noqa: F401
from app.storage import handoff_tables as _handoff_tables  # noqa: F401
from app.storage import tables as _app_tables  # noqa: F401
from app.storage import triage_tables as _triage_tables  # noqa: F401
from context import crm_tables as _crm_tables  # noqa: F401

config = alembic_context.config
target_metadata = SQLModel.metadata


def run_migrations() -> None:
    """Run migrations online, reusing a given connection when there is one."""
    connection = config.attributes.get("connection")
    if connection is not None:
        alembic_context.configure(
            connection=connection, target_metadata=target_metadata, render_as_batch=True
        )
        with alembic_context.begin_transaction():
            alembic_context.run_migrations()
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as conn:
        alembic_context.configure(
            connection=conn, target_metadata=target_metadata, render_as_batch=True
        )
        with alembic_context.begin_transaction():
            alembic_context.run_migrations()


run_migrations()
