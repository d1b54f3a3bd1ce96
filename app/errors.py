"""Errors the app shows to people: each has a message fit for the user who caused it."""

from __future__ import annotations


class DeskpilotError(Exception):
    """Base of the errors whose message can be shown as is."""


class CustomerNotFound(DeskpilotError, LookupError):
    """No customer with that id, email or name."""

    def __init__(self, query: str) -> None:
        super().__init__(f"No customer matches {query!r}. Try an id like CUS-10001 or an email.")
        self.query = query


class ConversationNotFound(DeskpilotError, LookupError):
    """No conversation with that id (or not visible to this user)."""

    def __init__(self, conversation_id: int) -> None:
        super().__init__(f"Conversation {conversation_id} does not exist.")
        self.conversation_id = conversation_id
