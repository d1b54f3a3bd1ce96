"""hand-offs: customers' requests for a human, queued for agents

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this migration."""
    op.create_table(
        "app_handoffs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=True),
        sa.Column("customer_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=True),
        sa.Column("reason_pseudonymised", sa.Text(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("claimed_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("claimed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("closed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["conversation_id"], ["app_conversations.id"]),
        sa.ForeignKeyConstraint(["customer_id"], ["crm_customers.id"]),
        sa.ForeignKeyConstraint(["requested_by"], ["app_users.id"]),
        sa.ForeignKeyConstraint(["claimed_by"], ["app_users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_app_handoffs_conversation_id", "app_handoffs", ["conversation_id"])
    op.create_index("ix_app_handoffs_customer_id", "app_handoffs", ["customer_id"])
    op.create_index("ix_app_handoffs_status", "app_handoffs", ["status"])
    op.create_index("ix_app_handoffs_created_at", "app_handoffs", ["created_at"])


def downgrade() -> None:
    """Revert this migration."""
    for name in ("created_at", "status", "customer_id", "conversation_id"):
        op.drop_index(f"ix_app_handoffs_{name}", table_name="app_handoffs")
    op.drop_table("app_handoffs")
