"""SQL storage of the app: users, conversations, messages, call ledger, feedback, audit."""

# Registers the triage table on SQLModel.metadata wherever app tables are imported.
from app.storage import triage_tables as _triage_tables  # noqa: F401
