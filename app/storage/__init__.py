"""SQL storage of the app: users, conversations, messages, call ledger, feedback, audit."""

# Registers these tables on SQLModel.metadata wherever app tables are imported.
from app.storage import chainlit_tables as _chainlit_tables  # noqa: F401
from app.storage import handoff_tables as _handoff_tables  # noqa: F401
from app.storage import triage_tables as _triage_tables  # noqa: F401
