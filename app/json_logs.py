"""Structured logs: one JSON object per line, with the request and conversation they belong to.

The rule: a log line never carries what a person wrote. Messages are counts, ids, classes and
states (``"turn answered in %d ms"``), never the text of a message or an answer. As a backstop,
``DropText`` removes any record attribute named like text (``extra={"text": ...}``) before a
handler formats it, so a careless ``extra`` cannot leak it.
"""

from __future__ import annotations

import json
import logging
import sys
import traceback
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, Literal

_REQUEST_ID: ContextVar[str | None] = ContextVar("deskpilot_request_id", default=None)
_CONVERSATION_ID: ContextVar[str | None] = ContextVar("deskpilot_conversation_id", default=None)

# Attributes a record may never carry to a handler (dropped by ``DropText``).
TEXT_ATTRIBUTES = frozenset({"text", "message_text", "content", "answer_text"})
# Attributes every LogRecord has; anything else on a record came from ``extra=``.
_STANDARD = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys()
    | {"message", "asctime", "request_id", "conversation_id", "taskName"}
)
TEXT_FORMAT = (
    "%(asctime)s %(levelname)s %(name)s [req=%(request_id)s conv=%(conversation_id)s] %(message)s"
)


def new_request_id() -> str:
    """A fresh random request id (no meaning, no personal data)."""
    return uuid.uuid4().hex[:16]


@contextmanager
def bind(
    *, request_id: str | None = None, conversation_id: int | str | None = None
) -> Iterator[None]:
    """Tag every log line inside the block with these ids (async-safe: context variables)."""
    tokens = []
    if request_id is not None:
        tokens.append((_REQUEST_ID, _REQUEST_ID.set(request_id)))
    if conversation_id is not None:
        tokens.append((_CONVERSATION_ID, _CONVERSATION_ID.set(str(conversation_id))))
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


def current_ids() -> dict[str, str | None]:
    """The ids bound in this context."""
    return {"request_id": _REQUEST_ID.get(), "conversation_id": _CONVERSATION_ID.get()}


class BindContext(logging.Filter):
    """Copies the bound request and conversation ids onto every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Add the ids; never drops a record."""
        record.request_id = _REQUEST_ID.get()
        record.conversation_id = _CONVERSATION_ID.get()
        return True


class DropText(logging.Filter):
    """Removes record attributes that could hold what a person wrote."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Drop the attributes; never drops a record."""
        for name in TEXT_ATTRIBUTES & vars(record).keys():
            delattr(record, name)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, ids and ``extra`` fields."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON."""
        payload: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or _REQUEST_ID.get(),
            "conversation_id": getattr(record, "conversation_id", None) or _CONVERSATION_ID.get(),
        }
        for name, value in vars(record).items():
            if name not in _STANDARD and name not in TEXT_ATTRIBUTES:
                payload[name] = value
        if record.exc_info and record.exc_info[0] is not None:
            # The class and where it happened; exception messages may quote input, so not them.
            payload["exception"] = record.exc_info[0].__name__
            payload["stack"] = "".join(traceback.format_tb(record.exc_info[2]))
        return json.dumps(payload, default=str, ensure_ascii=False)


def configure_logging(
    log_format: Literal["text", "json"], level: int | str = logging.INFO
) -> logging.Handler:
    """Replace the root handlers by one on stderr in ``log_format``; returns that handler."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(BindContext())
    handler.addFilter(DropText())
    handler.setFormatter(
        JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)
    )
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # Some libraries set their own loggers to DEBUG (bm25s): the handler holds the line too.
    handler.setLevel(level)
    return handler
