"""SQL storage of the app: users, conversations, messages, call ledger, feedback, audit."""
