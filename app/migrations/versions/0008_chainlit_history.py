"""chainlit history: threads, steps and elements behind the UI's history and resume

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _string(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    """Apply this migration."""
    op.create_table(
        "app_chat_threads",
        sa.Column("id", _string(64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("user_identifier", _string(150), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=True),
        sa.Column("name_encrypted", sa.Text(), nullable=True),
        sa.Column("tags_json", sa.JSON(), nullable=True),
        sa.Column("metadata_json", sa.JSON(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["app_users.id"]),
        sa.ForeignKeyConstraint(["conversation_id"], ["app_conversations.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    for column in ("user_id", "conversation_id", "updated_at"):
        op.create_index(f"ix_app_chat_threads_{column}", "app_chat_threads", [column])
    op.create_table(
        "app_chat_steps",
        sa.Column("id", _string(64), nullable=False),
        sa.Column("thread_id", _string(64), nullable=False),
        sa.Column("parent_id", _string(64), nullable=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("type", _string(40), nullable=False),
        sa.Column("input_encrypted", sa.Text(), nullable=True),
        sa.Column("output_encrypted", sa.Text(), nullable=True),
        sa.Column("metadata_json", sa.JSON(), nullable=False),
        sa.Column("extra_json", sa.JSON(), nullable=False),
        sa.Column("generation_encrypted", sa.Text(), nullable=True),
        sa.Column("is_error", sa.Boolean(), nullable=False),
        sa.Column("streaming", sa.Boolean(), nullable=False),
        sa.Column("show_input", _string(20), nullable=True),
        sa.Column("language", _string(40), nullable=True),
        sa.Column("created_at", _string(40), nullable=True),
        sa.Column("start", _string(40), nullable=True),
        sa.Column("end", _string(40), nullable=True),
        sa.ForeignKeyConstraint(["thread_id"], ["app_chat_threads.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_app_chat_steps_thread_id", "app_chat_steps", ["thread_id"])
    op.create_table(
        "app_chat_elements",
        sa.Column("id", _string(64), nullable=False),
        sa.Column("thread_id", _string(64), nullable=False),
        sa.Column("for_id", _string(64), nullable=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("type", _string(40), nullable=False),
        sa.Column("display", _string(20), nullable=False),
        sa.Column("mime", _string(150), nullable=True),
        sa.Column("size", _string(20), nullable=True),
        sa.Column("language", _string(40), nullable=True),
        sa.Column("page", sa.Integer(), nullable=True),
        sa.Column("props_json", sa.JSON(), nullable=False),
        sa.Column("content_encrypted", sa.Text(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["thread_id"], ["app_chat_threads.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_app_chat_elements_thread_id", "app_chat_elements", ["thread_id"])
    with op.batch_alter_table("app_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("step_id", _string(64), nullable=True))
        batch_op.create_index("ix_app_messages_step_id", ["step_id"])


def downgrade() -> None:
    """Revert this migration."""
    with op.batch_alter_table("app_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_app_messages_step_id")
        batch_op.drop_column("step_id")
    op.drop_index("ix_app_chat_elements_thread_id", table_name="app_chat_elements")
    op.drop_table("app_chat_elements")
    op.drop_index("ix_app_chat_steps_thread_id", table_name="app_chat_steps")
    op.drop_table("app_chat_steps")
    for column in ("updated_at", "conversation_id", "user_id"):
        op.drop_index(f"ix_app_chat_threads_{column}", table_name="app_chat_threads")
    op.drop_table("app_chat_threads")
