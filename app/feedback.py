"""Feedback on answers: thumbs up or down, and what a thumbs-up validates.

A thumbs-up on a complete answer from a language model makes it a validated answer: the semantic
cache may serve it, during an outage, to a question that means the same in the same knowledge
scope. An answer that used the customer's own facts stays in that customer's scope; only an
answer free of personal placeholders and account ids may serve other customers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlmodel import select

from app.errors import DeskpilotError
from app.storage.database import SessionFactory
from app.storage.tables import ChatMessage, Conversation, Feedback
from providers.response_cache import PUBLIC_SCOPE
from providers.semantic_cache import SemanticCache

# Placeholders of personal data, and the company's own account ids: the marks of a private answer.
_PRIVATE = re.compile(r"<[A-Z][A-Z_]*_\d+>|\b(?:CUS|ORD|TCK)-\d+\b")


class FeedbackError(DeskpilotError):
    """Feedback that cannot be recorded (unknown answer, bad value)."""


@dataclass(frozen=True, slots=True)
class FeedbackResult:
    """What recording the feedback did."""

    feedback_id: int
    validated: bool  # the answer went into the semantic cache


class FeedbackService:
    """Records feedback and feeds validated answers to the semantic cache."""

    def __init__(
        self, sessions: SessionFactory, semantic: SemanticCache | None, knowledge_scope: str
    ) -> None:
        self._sessions = sessions
        self._semantic = semantic
        self._knowledge_scope = knowledge_scope

    def record(
        self, *, message_id: int, user_id: int | None, value: int, comment: str | None = None
    ) -> FeedbackResult:
        """Store a thumbs up (+1) or down (-1); a thumbs-up may validate the answer."""
        if value not in (1, -1):
            raise FeedbackError("Feedback is +1 (helpful) or -1 (not helpful).")
        with self._sessions() as session:
            answer = session.get(ChatMessage, message_id)
            if answer is None or answer.author != "assistant":
                raise FeedbackError(f"No answer {message_id} to give feedback on.")
            conversation = session.get(Conversation, answer.conversation_id)
            assert conversation is not None
            question = session.exec(
                select(ChatMessage).where(
                    ChatMessage.conversation_id == answer.conversation_id,
                    ChatMessage.turn == answer.turn,
                    ChatMessage.author == "user",
                )
            ).first()
            feedback = Feedback(
                message_id=message_id, user_id=user_id, value=value, comment=comment
            )
            session.add(feedback)
            session.commit()
            session.refresh(feedback)
            assert feedback.id is not None
        validated = False
        if value == 1 and question is not None and self._worth_validating(answer):
            private = bool(_PRIVATE.search(answer.text_pseudonymised))
            assert self._semantic is not None
            self._semantic.add_validated(
                question.text_pseudonymised,
                answer.text_pseudonymised,
                scope=conversation.customer_id if private else PUBLIC_SCOPE,
                knowledge_scope=f"{self._knowledge_scope}|{conversation.role}",
                prompt=answer.prompt or "",
            )
            validated = True
        return FeedbackResult(feedback.id, validated)

    def _worth_validating(self, answer: ChatMessage) -> bool:
        # Only whole first-turn answers of a language model: the semantic cache matches single
        # questions (a follow-up means nothing alone), and offline or partial answers are no
        # better than what the local responder says during an outage anyway.
        return (
            self._semantic is not None
            and answer.complete
            and not answer.degraded
            and answer.turn == 1
            and answer.provider not in (None, "local", "cache")
        )
