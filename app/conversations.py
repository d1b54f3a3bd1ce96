"""Conversations and their messages in SQL: pseudonymised text in clear, raw text encrypted."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import col, select

from app.errors import ConversationNotFound, CustomerNotFound
from app.storage.database import SessionFactory
from app.storage.secrets import Encryptor
from app.storage.tables import ChatMessage, Conversation, utcnow
from app.turn_types import ConversationRole
from context.crm_tables import Customer
from guardrails import PseudonymVault


@dataclass(frozen=True, slots=True)
class StoredTurn:
    """The two messages of one finished turn, ready to be written."""

    question_raw: str
    question_pseudonymised: str
    answer_raw: str
    answer_pseudonymised: str
    complete: bool
    provider: str
    model: str
    prompt: str
    degraded: bool
    provenance_json: str
    rules_version: str | None = None
    rule_flags_json: str = ""


class ConversationStore:
    """Reads and writes conversations; owns the encryption of transcripts and vaults."""

    def __init__(self, sessions: SessionFactory, encryptor: Encryptor) -> None:
        self._sessions = sessions
        self._encryptor = encryptor

    def create(self, *, user_id: int | None, customer_id: str, role: ConversationRole) -> int:
        """Start a conversation about a customer; returns its id."""
        with self._sessions() as session:
            if session.get(Customer, customer_id) is None:
                raise CustomerNotFound(customer_id)
            vault = self._encryptor.encrypt(PseudonymVault().to_json())
            conversation = Conversation(
                user_id=user_id, customer_id=customer_id, role=role, vault_encrypted=vault
            )
            session.add(conversation)
            session.commit()
            session.refresh(conversation)
            assert conversation.id is not None
            return conversation.id

    def get(self, conversation_id: int) -> Conversation:
        """The conversation, or ConversationNotFound."""
        with self._sessions() as session:
            conversation = session.get(Conversation, conversation_id)
            if conversation is None:
                raise ConversationNotFound(conversation_id)
            return conversation

    def vault(self, conversation: Conversation) -> PseudonymVault:
        """The conversation's pseudonym vault, decrypted."""
        if not conversation.vault_encrypted:
            return PseudonymVault()
        return PseudonymVault.from_json(self._encryptor.decrypt(conversation.vault_encrypted))

    def pseudonymised_turns(self, conversation_id: int) -> list[tuple[str, str]]:
        """(author, pseudonymised text) of the complete messages so far, oldest first."""
        with self._sessions() as session:
            rows = session.exec(
                select(ChatMessage)
                .where(ChatMessage.conversation_id == conversation_id, ChatMessage.complete)
                .order_by(col(ChatMessage.id))
            ).all()
            return [(row.author, row.text_pseudonymised) for row in rows]

    def next_turn(self, conversation_id: int) -> int:
        """The number the next turn will get (1 for the first)."""
        with self._sessions() as session:
            rows = session.exec(
                select(ChatMessage.turn)
                .where(ChatMessage.conversation_id == conversation_id)
                .order_by(col(ChatMessage.turn).desc())
                .limit(1)
            ).all()
            return (rows[0] + 1) if rows else 1

    def save_turn(
        self, conversation_id: int, turn: int, stored: StoredTurn, vault: PseudonymVault
    ) -> int:
        """Write both messages and the updated vault in one transaction; returns the answer id."""
        enc = self._encryptor.encrypt
        with self._sessions() as session:
            conversation = session.get(Conversation, conversation_id)
            if conversation is None:
                raise ConversationNotFound(conversation_id)
            session.add(
                ChatMessage(
                    conversation_id=conversation_id,
                    turn=turn,
                    author="user",
                    text_pseudonymised=stored.question_pseudonymised,
                    text_encrypted=enc(stored.question_raw),
                )
            )
            answer = ChatMessage(
                conversation_id=conversation_id,
                turn=turn,
                author="assistant",
                text_pseudonymised=stored.answer_pseudonymised,
                text_encrypted=enc(stored.answer_raw),
                complete=stored.complete,
                provider=stored.provider,
                model=stored.model,
                prompt=stored.prompt,
                degraded=stored.degraded,
                provenance_json=stored.provenance_json,
                rules_version=stored.rules_version,
                rule_flags_json=stored.rule_flags_json,
            )
            session.add(answer)
            conversation.vault_encrypted = enc(vault.to_json())
            conversation.updated_at = utcnow()
            session.add(conversation)
            session.commit()
            session.refresh(answer)
            assert answer.id is not None
            return answer.id

    def transcript(self, conversation_id: int) -> list[tuple[str, str]]:
        """(author, raw text) of every message, decrypted, for agents and supervisors."""
        with self._sessions() as session:
            rows = session.exec(
                select(ChatMessage)
                .where(ChatMessage.conversation_id == conversation_id)
                .order_by(col(ChatMessage.id))
            ).all()
            return [(row.author, self._encryptor.decrypt(row.text_encrypted)) for row in rows]

    def link_step(self, message_id: int, step_id: str) -> None:
        """Remember the Chainlit step that showed this answer, so its feedback finds the answer."""
        with self._sessions() as session:
            message = session.get(ChatMessage, message_id)
            if message is None:
                raise LookupError(f"No message {message_id} to link to a step.")
            message.step_id = step_id
            session.add(message)
            session.commit()
