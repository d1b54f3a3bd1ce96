"""Chainlit's thumbs (on a step) as feedback on our answer (a ChatMessage), owner only."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import or_
from sqlmodel import col, select

from app.feedback import FeedbackError, FeedbackService
from app.storage.chainlit_store import AccessDenied
from app.storage.chainlit_tables import ChatStep, ChatThread
from app.storage.database import SessionFactory
from app.storage.tables import ChatMessage, Conversation, Feedback, User

if TYPE_CHECKING:
    from chainlit.types import Feedback as ChainlitFeedback


def _answer_of(sessions: SessionFactory, caller: User, feedback: ChainlitFeedback) -> int:
    """The id of the answer the step showed, if the caller owns the step's thread."""
    with sessions() as session:
        # Chainlit puts the thumbs of an answer on the run step that holds it (on_message):
        # the answer is the step itself or, for a run, the newest answer among its children.
        children = select(ChatStep.id).where(ChatStep.parent_id == feedback.forId)
        answer = session.exec(
            select(ChatMessage)
            .where(
                or_(
                    col(ChatMessage.step_id) == feedback.forId,
                    col(ChatMessage.step_id).in_(children.scalar_subquery()),
                )
            )
            .order_by(col(ChatMessage.id).desc())
        ).first()
        if answer is None or answer.author != "assistant" or answer.id is None:
            raise FeedbackError("Feedback can only be given on an answer of the assistant.")
        step = session.get(ChatStep, feedback.forId)
        if step is not None:
            thread = session.get(ChatThread, step.thread_id)
            owns = thread is not None and thread.user_identifier == caller.username
            if feedback.threadId is not None and step.thread_id != feedback.threadId:
                owns = False
        else:  # the step's own write failed: the conversation still says whose answer it is
            conversation = session.get(Conversation, answer.conversation_id)
            owns = conversation is not None and conversation.user_id == caller.id
        if not owns:
            raise AccessDenied("feedback on another user's answer")
        return answer.id


def _drop_replaced(
    sessions: SessionFactory, caller: User, feedback_id: str, message_id: int
) -> None:
    """Remove the caller's earlier vote on the same answer, which the new one replaces."""
    if not feedback_id.isdigit():
        return
    with sessions() as session:
        old = session.get(Feedback, int(feedback_id))
        if old is not None and old.user_id == caller.id and old.message_id == message_id:
            session.delete(old)
            session.commit()


def record_feedback(
    sessions: SessionFactory,
    service: FeedbackService,
    caller: User | None,
    feedback: ChainlitFeedback,
) -> str:
    """Record Chainlit's 1 (helpful) or 0 (not helpful) as +1 or -1; returns our feedback id."""
    if caller is None:
        raise AccessDenied("feedback without a signed-in user")
    message_id = _answer_of(sessions, caller, feedback)
    if feedback.id:
        _drop_replaced(sessions, caller, feedback.id, message_id)
    result = service.record(
        message_id=message_id,
        user_id=caller.id,
        value=1 if feedback.value == 1 else -1,
        comment=feedback.comment or None,
    )
    return str(result.feedback_id)


def delete_feedback(sessions: SessionFactory, caller: User | None, feedback_id: str) -> bool:
    """Delete the caller's own feedback; False if there is none with that id."""
    if not feedback_id.isdigit():
        return False
    with sessions() as session:
        row = session.get(Feedback, int(feedback_id))
        if row is None:
            return False
        if caller is None or row.user_id != caller.id:
            raise AccessDenied("deleting another user's feedback")
        session.delete(row)
        session.commit()
        return True
