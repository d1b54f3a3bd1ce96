"""call ledger: model entry, retry number, breaker state, tier and routing reason

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 12:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this migration."""
    with op.batch_alter_table("app_call_ledger", schema=None) as batch_op:
        batch_op.add_column(sa.Column("entry", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("retry", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("breaker_state", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("tier", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("route_reason", sa.String(length=300), nullable=True))


def downgrade() -> None:
    """Revert this migration."""
    with op.batch_alter_table("app_call_ledger", schema=None) as batch_op:
        batch_op.drop_column("route_reason")
        batch_op.drop_column("tier")
        batch_op.drop_column("breaker_state")
        batch_op.drop_column("retry")
        batch_op.drop_column("entry")
