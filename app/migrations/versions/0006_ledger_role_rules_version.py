"""call ledger: the role of the conversation and the rules version of each call

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this migration."""
    op.add_column("app_call_ledger", sa.Column("role", sa.String(length=20), nullable=True))
    op.add_column(
        "app_call_ledger", sa.Column("rules_version", sa.String(length=40), nullable=True)
    )


def downgrade() -> None:
    """Revert this migration."""
    with op.batch_alter_table("app_call_ledger", schema=None) as batch_op:
        batch_op.drop_column("rules_version")
        batch_op.drop_column("role")
