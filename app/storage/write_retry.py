"""Writes of chat history that are retried, and surfaced to the user when they still fail.

Chainlit fires its history writes with ``asyncio.create_task``: an exception there is lost. A
failed write is therefore retried a few times, then logged (ids and error class only: database
errors carry the statement's parameters, which may be message text), counted, shown once per
chat session as a visible error message, and raised.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import TypeVar

from sqlalchemy.exc import DBAPIError

log = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_DELAYS: tuple[float, ...] = (0.05, 0.2, 0.5)
HISTORY_UNSAVED = (
    "This conversation could not be saved to history (the database did not answer). "
    "Your messages are still shown here; copy anything you need."
)
_WARNED_KEY = "deskpilot.history_write_failed"


async def retry_write(
    operation: str,
    work: Callable[[], T],
    *,
    ids: dict[str, str | None],
    delays: Sequence[float] = DEFAULT_DELAYS,
    on_failure: Callable[[str], None] | None = None,
) -> T:
    """Run blocking ``work`` in a thread; retry database errors after each delay, then surface."""
    attempt = 0
    while True:
        try:
            return await asyncio.to_thread(work)
        except DBAPIError as error:
            if attempt >= len(delays):
                await _surface(operation, ids, error, on_failure)
                raise
            log.warning(
                "history write %s failed (%s), retrying",
                operation,
                type(error).__name__,
                extra={"ids": ids, "attempt": attempt + 1},
            )
            await asyncio.sleep(delays[attempt])
            attempt += 1


async def _surface(
    operation: str,
    ids: dict[str, str | None],
    error: BaseException,
    on_failure: Callable[[str], None] | None,
) -> None:
    log.error(
        "history write %s failed for good (%s)",
        operation,
        type(error).__name__,
        extra={"ids": ids},
    )
    if on_failure is not None:
        on_failure(operation)
    await warn_session_once()


async def warn_session_once() -> None:
    """Show the "not saved" error in the current chat session, once per session; else nothing."""
    import chainlit as cl
    from chainlit.context import ChainlitContextException, context
    from chainlit.session import WebsocketSession
    from chainlit.user_session import user_session

    try:
        session = context.session
    except ChainlitContextException:
        return  # no chat session to tell (an HTTP route reports its own error)
    if not isinstance(session, WebsocketSession) or user_session.get(_WARNED_KEY):  # type: ignore[no-untyped-call]
        return
    user_session.set(_WARNED_KEY, True)  # type: ignore[no-untyped-call]
    message = cl.ErrorMessage(content=HISTORY_UNSAVED)
    # Not written to the history that just failed (which would fail, and warn, again).
    message.persisted = True
    try:
        await message.send()  # type: ignore[no-untyped-call]
    except Exception as error:  # the socket may be gone too; the log line above stays
        log.warning("could not show the history warning (%s)", type(error).__name__)
