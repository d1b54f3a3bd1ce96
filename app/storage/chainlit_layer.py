"""Chainlit's data layer over Deskpilot's own SQL store: history and resume in the UI.

Wire it with ``@cl.data_layer`` returning ``SqlDataLayer(...)``. Blocking SQL runs in worker
threads. The caller comes from ``app.request_principal.current_identifier`` (the HTTP request's
token, or the websocket session's user): only a thread's author changes it or its feedback,
and supervisors' reads of other users' threads are audited. Writes are retried, then surfaced.
"""

from __future__ import annotations

import asyncio
import functools
import weakref
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar, cast

from chainlit.context import ChainlitContextException, context
from chainlit.data.base import BaseDataLayer
from chainlit.data.utils import queue_until_user_message
from chainlit.user import PersistedUser

from app.audit import READ_CONVERSATION, AuditLog
from app.feedback import FeedbackService
from app.request_principal import current_identifier
from app.storage import chainlit_feedback, chainlit_listing
from app.storage.chainlit_rows import element_row, step_values
from app.storage.chainlit_store import ChatHistoryStore
from app.storage.database import SessionFactory
from app.storage.secrets import Encryptor
from app.storage.tables import User
from app.storage.write_retry import DEFAULT_DELAYS, retry_write

if TYPE_CHECKING:
    from chainlit.element import Element, ElementDict
    from chainlit.step import StepDict
    from chainlit.types import (
        Feedback,
        PaginatedResponse,
        Pagination,
        ThreadDict,
        ThreadFilter,
    )
    from chainlit.user import User as ChainlitUser


_Method = TypeVar("_Method", bound=Callable[..., Awaitable[None]])


def _queued(method: _Method) -> _Method:
    """Chainlit's ``queue_until_user_message`` (a write waits for the first message), typed.

    Outside any Chainlit context (the CLI, a job, a test) the write runs at once instead of
    failing on the missing context.
    """
    queued = queue_until_user_message()(method)  # type: ignore[no-untyped-call]

    @functools.wraps(method)
    async def run(*args: Any, **kwargs: Any) -> None:
        try:
            _ = context.session
        except ChainlitContextException:
            return await method(*args, **kwargs)
        return cast(None, await queued(*args, **kwargs))

    return cast(_Method, run)


def _persisted(user: User) -> PersistedUser:
    from app.ui.session import user_metadata

    assert user.id is not None
    return PersistedUser(
        id=str(user.id),
        identifier=user.username,
        display_name=user.username,
        metadata=user_metadata(user.role, user.id, user.customer_id),
        createdAt=user.created_at.isoformat(),
    )


class SqlDataLayer(BaseDataLayer):
    """Threads, steps, elements and feedback in our SQL store, encrypted, owner-checked."""

    def __init__(
        self,
        sessions: SessionFactory,
        encryptor: Encryptor,
        feedback: FeedbackService,
        audit: AuditLog,
        *,
        on_write_failure: Callable[[str], None] | None = None,
        retry_delays: Sequence[float] = DEFAULT_DELAYS,
    ) -> None:
        self._sessions = sessions
        self._encryptor = encryptor
        self._store = ChatHistoryStore(sessions, encryptor)
        self._feedback = feedback
        self._audit = audit
        self._on_write_failure = on_write_failure
        self._delays = tuple(retry_delays)
        # Chainlit fires create_step and update_step of one step as separate tasks: one lock
        # per step keeps them in the order they were fired (a lock lives while it is in use).
        self._step_locks: weakref.WeakValueDictionary[str, asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )
        self._thread_locks: weakref.WeakValueDictionary[str, asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )

    async def _caller(self) -> User | None:
        return await asyncio.to_thread(self._store.user, current_identifier())

    async def _write(
        self, operation: str, work: Callable[[User | None], Any], **ids: str | None
    ) -> Any:
        """Run ``work(caller)`` in a thread, retried; the caller is looked up in each try too.

        Writes of one thread go one at a time: the first steps of a new thread arrive together,
        and each would otherwise try to create the thread row (a conflict, then a retry).
        """
        identifier = current_identifier()
        thread_id = ids.get("thread_id")
        lock = self._thread_locks.setdefault(thread_id or "", asyncio.Lock())
        async with lock:
            return await retry_write(
                operation,
                lambda: work(self._store.user(identifier)),
                ids=ids,
                delays=self._delays,
                on_failure=self._on_write_failure,
            )

    # Users: accounts come from `deskpilot users add`, never from a login.

    async def get_user(self, identifier: str) -> PersistedUser | None:
        """Our enabled user of that username, with the metadata our handlers read."""
        user = await asyncio.to_thread(self._store.user, identifier)
        return _persisted(user) if user is not None else None

    async def create_user(self, user: ChainlitUser) -> PersistedUser | None:
        """Creates nothing: returns the existing account, if any."""
        return await self.get_user(user.identifier)

    # Threads.

    async def get_thread_author(self, thread_id: str) -> str:
        """The author's username, "" if there is no such thread."""
        return await asyncio.to_thread(self._store.author, thread_id)

    async def get_thread(self, thread_id: str) -> ThreadDict | None:
        """The thread for its author, or for a supervisor (audited); None for anyone else."""
        caller = await self._caller()
        read = await asyncio.to_thread(self._store.read_thread, caller, thread_id)
        if read is None:
            return None
        if read.audited_as is not None:
            # Audited before it is shown: no audit, no read.
            await asyncio.to_thread(
                self._audit.record,
                read.audited_as,
                READ_CONVERSATION,
                customer_id=read.customer_id,
                conversation_id=read.conversation_id,
                detail={"via": "chat_history", "thread_id": thread_id},
            )
        return read.thread

    async def update_thread(
        self,
        thread_id: str,
        name: str | None = None,
        user_id: str | None = None,
        metadata: dict[str, Any] | None = None,
        tags: list[str] | None = None,
    ) -> None:
        """Create the thread if missing, else change it (its author only)."""
        await self._write(
            "update_thread",
            lambda caller: self._store.update_thread(
                caller, thread_id, name=name, user_id=user_id, metadata=metadata, tags=tags
            ),
            thread_id=thread_id,
        )

    async def list_threads(
        self, pagination: Pagination, filters: ThreadFilter
    ) -> PaginatedResponse[ThreadDict]:
        """The caller's own threads, one page."""
        caller = await self._caller()
        return await asyncio.to_thread(
            chainlit_listing.list_threads,
            self._sessions,
            self._encryptor,
            caller,
            pagination,
            filters,
        )

    async def delete_thread(self, thread_id: str) -> None:
        """Delete the caller's thread with its steps and elements."""
        caller = await self._caller()
        await asyncio.to_thread(self._store.delete_thread, caller, thread_id)

    # Steps.

    async def _upsert_step(self, step_dict: StepDict, *, create: bool) -> None:
        values = step_values(step_dict, self._encryptor)
        step_id = step_dict["id"]
        lock = self._step_locks.setdefault(step_id, asyncio.Lock())
        async with lock:
            await self._write(
                "create_step" if create else "update_step",
                lambda caller: self._store.upsert_step(caller, step_dict, values, create=create),
                step_id=step_id,
                thread_id=step_dict.get("threadId"),
            )

    @_queued
    async def create_step(self, step_dict: StepDict) -> None:
        """Write a new step (or fill in one an earlier update wrote)."""
        await self._upsert_step(step_dict, create=True)

    @_queued
    async def update_step(self, step_dict: StepDict) -> None:
        """Change a step (or write it if its create has not arrived yet)."""
        await self._upsert_step(step_dict, create=False)

    @_queued
    async def delete_step(self, step_id: str) -> None:
        """Delete a step of the caller's thread."""
        caller = await self._caller()
        await asyncio.to_thread(self._store.delete_step, caller, step_id)

    async def get_favorite_steps(self, user_id: str) -> list[StepDict]:
        """The caller's favourite steps."""
        caller = await self._caller()
        return await asyncio.to_thread(
            chainlit_listing.favorite_steps, self._sessions, self._encryptor, caller, user_id
        )

    # Elements.

    @_queued
    async def create_element(self, element: Element) -> None:
        """Store an element's metadata and its text content (encrypted); never its URL or path."""
        row = element_row(element, self._encryptor)
        await self._write(
            "create_element",
            lambda caller: self._store.upsert_element(caller, row.model_copy()),
            element_id=element.id,
            thread_id=element.thread_id,
        )

    async def get_element(self, thread_id: str, element_id: str) -> ElementDict | None:
        """The element, only if it belongs to that thread (and the caller wrote it)."""
        caller = await self._caller()
        return await asyncio.to_thread(self._store.element, caller, thread_id, element_id)

    @_queued
    async def delete_element(self, element_id: str, thread_id: str | None = None) -> None:
        """Delete an element of the caller's thread (if it is in ``thread_id``)."""
        caller = await self._caller()
        await asyncio.to_thread(self._store.delete_element, caller, element_id, thread_id)

    # Feedback.

    async def upsert_feedback(self, feedback: Feedback) -> str:
        """Record the thumbs on an answer through FeedbackService; returns our feedback id."""
        result: str = await self._write(
            "upsert_feedback",
            lambda caller: chainlit_feedback.record_feedback(
                self._sessions, self._feedback, caller, feedback
            ),
            step_id=feedback.forId,
        )
        return result

    async def delete_feedback(self, feedback_id: str) -> bool:
        """Delete the caller's own feedback."""
        caller = await self._caller()
        return await asyncio.to_thread(
            chainlit_feedback.delete_feedback, self._sessions, caller, feedback_id
        )

    async def build_debug_url(self) -> str:
        """No debug UI."""
        return ""

    async def close(self) -> None:
        """Nothing to close: the runtime owns the engine."""
