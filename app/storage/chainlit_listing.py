"""A user's own threads page by page (the sidebar), and their favourite steps."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlmodel import col, select

from app.storage.chainlit_rows import step_dict, thread_dict, thread_name
from app.storage.chainlit_store import AccessDenied
from app.storage.chainlit_tables import ChatStep, ChatThread
from app.storage.database import SessionFactory
from app.storage.secrets import Encryptor
from app.storage.tables import ChatMessage, Feedback, User

if TYPE_CHECKING:
    from chainlit.step import StepDict
    from chainlit.types import PaginatedResponse, Pagination, ThreadDict, ThreadFilter


def _owner(caller: User | None, user_id: str | None) -> User:
    if caller is None or caller.id is None or user_id != str(caller.id):
        raise AccessDenied("listing another user's threads")
    return caller


def _threads_with_feedback(sessions: SessionFactory, owner_id: int, value: int) -> set[str]:
    """Threads where the owner's latest feedback on some answer is ``value`` (+1 or -1)."""
    with sessions() as session:
        rows = session.exec(
            select(ChatStep.thread_id, ChatMessage.id, Feedback.value)
            .join(ChatMessage, col(ChatMessage.step_id) == col(ChatStep.id))
            .join(ChatThread, col(ChatThread.id) == col(ChatStep.thread_id))
            .join(Feedback, col(Feedback.message_id) == col(ChatMessage.id))
            .where(ChatThread.user_id == owner_id, Feedback.user_id == owner_id)
            .order_by(col(Feedback.id))
        ).all()
    latest = {(thread_id, message_id): given for thread_id, message_id, given in rows}
    return {thread_id for (thread_id, _), given in latest.items() if given == value}


def list_threads(
    sessions: SessionFactory,
    encryptor: Encryptor,
    caller: User | None,
    pagination: Pagination,
    filters: ThreadFilter,
) -> PaginatedResponse[ThreadDict]:
    """The caller's threads, newest activity first, filtered, one page after the cursor."""
    from chainlit.types import PageInfo, PaginatedResponse

    owner = _owner(caller, filters.userId)
    assert owner.id is not None
    with sessions() as session:
        threads = session.exec(
            select(ChatThread)
            .where(ChatThread.user_id == owner.id)
            .order_by(col(ChatThread.updated_at).desc(), col(ChatThread.id))
        ).all()
    if filters.search:
        # Names are encrypted, so the search runs here, over this user's threads only.
        needle = filters.search.lower()
        threads = [t for t in threads if needle in (thread_name(t, encryptor) or "").lower()]
    if filters.feedback is not None:
        wanted = _threads_with_feedback(sessions, owner.id, 1 if filters.feedback == 1 else -1)
        threads = [t for t in threads if t.id in wanted]
    start = 0
    if pagination.cursor:
        ids = [t.id for t in threads]
        start = ids.index(pagination.cursor) + 1 if pagination.cursor in ids else len(ids)
    page = threads[start : start + pagination.first]
    return PaginatedResponse(
        pageInfo=PageInfo(
            hasNextPage=len(threads) > start + len(page),
            startCursor=page[0].id if page else None,
            endCursor=page[-1].id if page else None,
        ),
        data=[thread_dict(t, encryptor) for t in page],
    )


def favorite_steps(
    sessions: SessionFactory, encryptor: Encryptor, caller: User | None, user_id: str
) -> list[StepDict]:
    """The caller's steps marked as favourite, newest first."""
    owner = _owner(caller, user_id)
    with sessions() as session:
        steps = session.exec(
            select(ChatStep)
            .join(ChatThread, col(ChatThread.id) == col(ChatStep.thread_id))
            .where(ChatThread.user_id == owner.id)
            .order_by(col(ChatStep.created_at).desc())
        ).all()
    return [step_dict(s, encryptor) for s in steps if (s.metadata_json or {}).get("favorite")]
