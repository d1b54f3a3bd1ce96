"""Who is chatting and about which customer: typed access to Chainlit's per-session store."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import chainlit as cl

from app.ui.chainlit_calls import session_get, session_set
from app.ui.rendering import CustomerLike

STAFF_ROLES = frozenset({"agent", "supervisor", "admin"})
_VIEWER = "deskpilot.viewer"
_CONVERSATION = "deskpilot.conversation"
_PICKER = "deskpilot.picker_message"


@dataclass(frozen=True, slots=True)
class Viewer:
    """The logged-in user, as carried in the Chainlit user's metadata."""

    user_id: int
    username: str
    role: str
    customer_id: str | None

    @property
    def is_customer(self) -> bool:
        """A customer is bound to their own CRM record and sees no internal provenance."""
        return self.role == "customer"

    @property
    def is_staff(self) -> bool:
        """Agents, supervisors and admins pick the customer they help."""
        return self.role in STAFF_ROLES


@dataclass(frozen=True, slots=True)
class ActiveConversation:
    """The conversation in progress and the customer it is about."""

    conversation_id: int
    customer: CustomerLike


def user_metadata(role: str, user_id: int, customer_id: str | None) -> dict[str, Any]:
    """The metadata stored in the signed login token (no secrets: it reaches the browser)."""
    return {"role": role, "user_id": user_id, "customer_id": customer_id}


def viewer_from_metadata(username: str, metadata: Mapping[str, Any]) -> Viewer | None:
    """Rebuild the viewer from login metadata; None if it is incomplete."""
    role, user_id = metadata.get("role"), metadata.get("user_id")
    if not isinstance(role, str) or not isinstance(user_id, int):
        return None
    customer_id = metadata.get("customer_id")
    if role == "customer" and not isinstance(customer_id, str):
        return None
    return Viewer(
        user_id=user_id,
        username=username,
        role=role,
        customer_id=customer_id if isinstance(customer_id, str) else None,
    )


def current_viewer() -> Viewer | None:
    """The viewer of this chat session, read once from the login and then cached."""
    viewer = session_get(_VIEWER)
    if isinstance(viewer, Viewer):
        return viewer
    user = session_get("user")
    if not isinstance(user, cl.User):
        return None
    found = viewer_from_metadata(user.identifier, user.metadata or {})
    session_set(_VIEWER, found)
    return found


def current_conversation() -> ActiveConversation | None:
    """The conversation in progress, if a customer has been chosen."""
    conversation = session_get(_CONVERSATION)
    return conversation if isinstance(conversation, ActiveConversation) else None


def set_conversation(conversation: ActiveConversation | None) -> None:
    """Remember (or forget) the conversation in progress."""
    session_set(_CONVERSATION, conversation)


def take_picker_message() -> cl.Message | None:
    """The last message carrying pick buttons, forgotten once taken."""
    message = session_get(_PICKER)
    session_set(_PICKER, None)
    return message if isinstance(message, cl.Message) else None


def set_picker_message(message: cl.Message) -> None:
    """Remember the message carrying pick buttons, to remove them once a customer is chosen."""
    session_set(_PICKER, message)
