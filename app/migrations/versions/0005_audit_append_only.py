"""audit: the audit table is append-only (triggers refuse UPDATE and DELETE)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 15:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MESSAGE = "app_audit_events is append-only"


def upgrade() -> None:
    """Apply this migration."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE OR REPLACE FUNCTION app_audit_events_append_only() RETURNS trigger AS $$ "
            f"BEGIN RAISE EXCEPTION '{_MESSAGE}'; END; $$ LANGUAGE plpgsql"
        )
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER app_audit_events_no_{verb.lower()} BEFORE {verb} "
                "ON app_audit_events FOR EACH ROW EXECUTE FUNCTION app_audit_events_append_only()"
            )
        return
    for verb in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER app_audit_events_no_{verb.lower()} BEFORE {verb} "
            f"ON app_audit_events BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END"
        )


def downgrade() -> None:
    """Revert this migration."""
    postgres = op.get_bind().dialect.name == "postgresql"
    for verb in ("update", "delete"):
        suffix = " ON app_audit_events" if postgres else ""
        op.execute(f"DROP TRIGGER IF EXISTS app_audit_events_no_{verb}{suffix}")
    if postgres:
        op.execute("DROP FUNCTION IF EXISTS app_audit_events_append_only()")
