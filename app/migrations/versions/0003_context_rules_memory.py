"""context: rules version and rule flags per answer, conversation summaries, history indexes

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 14:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this migration."""
    with op.batch_alter_table("app_messages", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("rules_version", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True)
        )
        batch_op.add_column(
            sa.Column("rule_flags_json", sa.Text(), nullable=False, server_default="")
        )
    op.create_table(
        "app_conversation_summaries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("covers_messages", sa.Integer(), nullable=False),
        sa.Column("rolling_text", sa.Text(), nullable=False),
        sa.Column("recap_text", sa.Text(), nullable=False),
        sa.Column("method", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["conversation_id"], ["app_conversations.id"]),
        sa.ForeignKeyConstraint(["customer_id"], ["crm_customers.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("conversation_id"),
    )
    op.create_index(
        "ix_app_conversation_summaries_customer",
        "app_conversation_summaries",
        ["customer_id", "updated_at"],
    )
    op.create_index("ix_crm_orders_customer_placed", "crm_orders", ["customer_id", "placed_at"])
    op.create_index(
        "ix_crm_tickets_customer_status", "crm_tickets", ["customer_id", "status", "created_at"]
    )
    op.create_index(
        "ix_crm_interactions_customer_time", "crm_interactions", ["customer_id", "occurred_at"]
    )


def downgrade() -> None:
    """Revert this migration."""
    op.drop_index("ix_crm_interactions_customer_time", table_name="crm_interactions")
    op.drop_index("ix_crm_tickets_customer_status", table_name="crm_tickets")
    op.drop_index("ix_crm_orders_customer_placed", table_name="crm_orders")
    op.drop_index(
        "ix_app_conversation_summaries_customer", table_name="app_conversation_summaries"
    )
    op.drop_table("app_conversation_summaries")
    with op.batch_alter_table("app_messages", schema=None) as batch_op:
        batch_op.drop_column("rule_flags_json")
        batch_op.drop_column("rules_version")
