"""triage: classification, summary and next action stored per ticket

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this migration."""
    op.create_table(
        "app_ticket_triage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("payload_json", sa.Text(), nullable=False),
        sa.Column("urgency", sqlmodel.sql.sqltypes.AutoString(length=2), nullable=True),
        sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("model", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("provider", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("prompt_ref", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("method", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["crm_tickets.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_app_ticket_triage_ticket_kind",
        "app_ticket_triage",
        ["ticket_id", "kind", "created_at"],
    )
    op.create_index("ix_app_ticket_triage_urgency", "app_ticket_triage", ["urgency"])


def downgrade() -> None:
    """Revert this migration."""
    op.drop_index("ix_app_ticket_triage_urgency", table_name="app_ticket_triage")
    op.drop_index("ix_app_ticket_triage_ticket_kind", table_name="app_ticket_triage")
    op.drop_table("app_ticket_triage")
