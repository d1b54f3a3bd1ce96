"""Alembic migrations build exactly the schema the SQLModel tables describe."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import app.storage.tables  # noqa: F401  (registers the tables)
import context.crm_tables  # noqa: F401
from app.storage.database import make_engine, migrate


def test_migrating_an_empty_database_matches_the_models_and_is_idempotent(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'schema.db'}")
    migrate(engine)
    migrate(engine)  # a second run (every start-up) changes nothing and does not fail
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert differences == [], "a model changed without a migration"
