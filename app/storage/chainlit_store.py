"""Blocking reads and writes of the Chainlit history, with the ownership rules enforced.

Every write names its caller (our ``User``, or None when nobody is signed in) and is refused
unless the caller is the thread's author. Reads return nothing to strangers; supervisors and
admins may read any thread, and the caller (the data layer) audits those reads.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlmodel import Session, col, select
from starlette.exceptions import HTTPException

from app.storage.chainlit_rows import (
    apply_step,
    element_dict,
    feedback_dict,
    merge_metadata,
    step_dict,
    thread_dict,
)
from app.storage.chainlit_tables import ChatElement, ChatStep, ChatThread
from app.storage.database import SessionFactory
from app.storage.secrets import Encryptor
from app.storage.tables import ChatMessage, Conversation, Feedback, User, utcnow

if TYPE_CHECKING:
    from chainlit.element import ElementDict
    from chainlit.step import StepDict
    from chainlit.types import FeedbackDict, ThreadDict

READER_ROLES = frozenset({"supervisor", "admin"})


class AccessDenied(PermissionError, HTTPException):
    """The caller may not touch this thread; Chainlit's routes answer it with 403."""

    def __init__(self, what: str) -> None:
        HTTPException.__init__(self, status_code=403, detail=f"Not allowed: {what}.")
        self.args = (f"Not allowed: {what}.",)


@dataclass(frozen=True, slots=True)
class ThreadRead:
    """A thread read for someone; ``audited_as`` names a reader who is not its author."""

    thread: ThreadDict
    audited_as: str | None
    conversation_id: int | None
    customer_id: str | None


def _require_author(thread: ChatThread, caller: User | None, what: str) -> None:
    if caller is None or caller.username != thread.user_identifier:
        raise AccessDenied(what)


class ChatHistoryStore:
    """Threads, steps and elements in SQL; text encrypted, access checked on every call."""

    def __init__(self, sessions: SessionFactory, encryptor: Encryptor) -> None:
        self.sessions = sessions
        self._encryptor = encryptor

    def user(self, identifier: str | None) -> User | None:
        """The enabled user with this username, if any."""
        if not identifier:
            return None
        with self.sessions() as session:
            user = session.exec(select(User).where(User.username == identifier)).first()
            return user if user is not None and not user.disabled else None

    def author(self, thread_id: str) -> str:
        """The username of the thread's author, "" if there is no such thread."""
        with self.sessions() as session:
            thread = session.get(ChatThread, thread_id)
            return thread.user_identifier if thread is not None else ""

    def _writable_thread(self, session: Session, thread_id: str, caller: User | None) -> ChatThread:
        """The caller's thread, created for the caller when it does not exist yet."""
        thread = session.get(ChatThread, thread_id)
        if thread is None:
            if caller is None or caller.id is None:
                raise AccessDenied("writing history without a signed-in user")
            thread = ChatThread(id=thread_id, user_id=caller.id, user_identifier=caller.username)
        _require_author(thread, caller, "changing another user's thread")
        thread.updated_at = utcnow()
        session.add(thread)
        return thread

    def update_thread(
        self,
        caller: User | None,
        thread_id: str,
        *,
        name: str | None,
        user_id: str | None,
        metadata: Mapping[str, Any] | None,
        tags: Sequence[str] | None,
    ) -> None:
        """Create or change a thread: merge metadata, encrypt the name, link the conversation."""
        if user_id is not None and (caller is None or str(caller.id) != user_id):
            raise AccessDenied("giving a thread to another user")
        incoming = dict(metadata or {})
        with self.sessions() as session:
            thread = self._writable_thread(session, thread_id, caller)
            if "conversation_id" in incoming:
                thread.conversation_id = self._linkable(
                    session, thread, incoming.pop("conversation_id")
                )
            thread.metadata_json = merge_metadata(thread.metadata_json or {}, incoming)
            name = name if name is not None else incoming.get("name")
            if name is not None:
                thread.name_encrypted = self._encryptor.encrypt(str(name))
            if tags is not None:
                thread.tags_json = list(tags)
            session.commit()

    @staticmethod
    def _linkable(session: Session, thread: ChatThread, value: object) -> int | None:
        if value is None:
            return None
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValueError("conversation_id must be an integer")
        conversation = session.get(Conversation, value)
        if conversation is None or conversation.user_id != thread.user_id:
            raise AccessDenied("linking a conversation of another user")
        return value

    def upsert_step(
        self, caller: User | None, step: StepDict, values: dict[str, Any], *, create: bool
    ) -> None:
        """Write a step; a late ``create`` does not undo what an earlier update wrote."""
        with self.sessions() as session:
            row = session.get(ChatStep, step["id"])
            if row is None:
                thread = self._writable_thread(session, step["threadId"], caller)
                row = ChatStep(id=step["id"], thread_id=thread.id)
                apply_step(row, values, fill_only=False)
            else:
                thread_id = step.get("threadId") or row.thread_id
                if thread_id != row.thread_id:
                    raise AccessDenied("moving a step to another thread")
                self._writable_thread(session, row.thread_id, caller)
                apply_step(row, values, fill_only=create)
            session.add(row)
            session.commit()

    def delete_step(self, caller: User | None, step_id: str) -> None:
        """Delete a step of the caller's thread (nothing if it does not exist)."""
        with self.sessions() as session:
            row = session.get(ChatStep, step_id)
            if row is None:
                return
            self._writable_thread(session, row.thread_id, caller)
            session.delete(row)
            session.commit()

    def upsert_element(self, caller: User | None, element: ChatElement) -> None:
        """Write an element into the caller's thread."""
        with self.sessions() as session:
            existing = session.get(ChatElement, element.id)
            if existing is not None and existing.thread_id != element.thread_id:
                raise AccessDenied("moving an element to another thread")
            self._writable_thread(session, element.thread_id, caller)
            session.merge(element)
            session.commit()

    def element(self, caller: User | None, thread_id: str, element_id: str) -> ElementDict | None:
        """The element, only if it belongs to that thread and the caller wrote the thread."""
        with self.sessions() as session:
            row = session.get(ChatElement, element_id)
            if row is None or row.thread_id != thread_id:
                return None
            thread = session.get(ChatThread, thread_id)
            if thread is None or caller is None or caller.username != thread.user_identifier:
                return None
            return element_dict(row, self._encryptor)

    def delete_element(self, caller: User | None, element_id: str, thread_id: str | None) -> bool:
        """Delete an element of the caller's thread; False if it is not in ``thread_id``."""
        with self.sessions() as session:
            row = session.get(ChatElement, element_id)
            if row is None or (thread_id is not None and row.thread_id != thread_id):
                return False
            self._writable_thread(session, row.thread_id, caller)
            session.delete(row)
            session.commit()
            return True

    def delete_thread(self, caller: User | None, thread_id: str) -> None:
        """Delete the caller's thread with its steps and elements."""
        with self.sessions() as session:
            thread = session.get(ChatThread, thread_id)
            if thread is None:
                return
            _require_author(thread, caller, "deleting another user's thread")
            for model in (ChatElement, ChatStep):
                for row in session.exec(select(model).where(model.thread_id == thread_id)).all():
                    session.delete(row)
            session.flush()
            session.delete(thread)
            session.commit()

    def read_thread(self, caller: User | None, thread_id: str) -> ThreadRead | None:
        """The whole thread, decrypted, for its author or a supervisor (None for anyone else)."""
        with self.sessions() as session:
            thread = session.get(ChatThread, thread_id)
            if thread is None or caller is None:
                return None
            is_author = caller.username == thread.user_identifier
            if not is_author and caller.role not in READER_ROLES:
                return None
            steps = session.exec(
                select(ChatStep)
                .where(ChatStep.thread_id == thread_id)
                .order_by(col(ChatStep.created_at), col(ChatStep.start))
            ).all()
            feedback = self._feedback_of(session, thread.user_id, [s.id for s in steps])
            for step in steps:  # the UI shows an answer's thumbs on the run step holding it
                given = feedback.get(step.id)
                if given is not None and step.parent_id:
                    feedback.setdefault(step.parent_id, {**given, "forId": step.parent_id})
            elements = session.exec(
                select(ChatElement)
                .where(ChatElement.thread_id == thread_id)
                .order_by(col(ChatElement.created_at))
            ).all()
            conversation = (
                session.get(Conversation, thread.conversation_id)
                if thread.conversation_id is not None
                else None
            )
            enc = self._encryptor
            return ThreadRead(
                thread=thread_dict(
                    thread,
                    enc,
                    [step_dict(s, enc, feedback.get(s.id)) for s in steps],
                    [element_dict(e, enc) for e in elements],
                ),
                audited_as=None if is_author else caller.username,
                conversation_id=thread.conversation_id,
                customer_id=conversation.customer_id if conversation is not None else None,
            )

    @staticmethod
    def _feedback_of(
        session: Session, owner_id: int, step_ids: Sequence[str]
    ) -> dict[str, FeedbackDict]:
        """The owner's latest feedback on each of these steps' answers."""
        if not step_ids:
            return {}
        rows = session.exec(
            select(ChatMessage.step_id, Feedback)
            .join(Feedback, col(Feedback.message_id) == col(ChatMessage.id))
            .where(col(ChatMessage.step_id).in_(step_ids), Feedback.user_id == owner_id)
            .order_by(col(Feedback.id))
        ).all()
        found: dict[str, FeedbackDict] = {}
        for step_id, feedback in rows:
            if step_id is not None and feedback.id is not None:
                found[step_id] = feedback_dict(
                    step_id, feedback.id, feedback.value, feedback.comment
                )
        return found
