"""Logging defaults: our own INFO lines stay readable, libraries speak only when it matters."""

from __future__ import annotations

import logging

# Chainlit sets the root logger to INFO; these libraries are chatty at that level.
_QUIET = {
    "alembic": logging.WARNING,
    # Warns at every start that its Spanish/Italian/Polish recognizers do not apply to English.
    "presidio-analyzer": logging.ERROR,
    "sentence_transformers": logging.WARNING,
    "chromadb": logging.WARNING,
    "httpx": logging.WARNING,
}


def quiet_libraries() -> None:
    """Raise the log level of chatty libraries (idempotent)."""
    for name, level in _QUIET.items():
        logging.getLogger(name).setLevel(level)
