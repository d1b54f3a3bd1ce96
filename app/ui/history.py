"""Chat history in the UI: the data layer over our SQL store, threads tied to conversations, resume.

A Chainlit thread carries the id of the conversation it shows (thread metadata); resuming a
thread from the sidebar reopens that conversation — same customer, same pseudonym vault, same
memory — on whichever process serves the browser. Chainlit already refuses a thread that is not
the user's; the conversation's owner is checked again here before anything is reopened.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import TYPE_CHECKING, Any

from chainlit.context import context
from chainlit.data import get_data_layer

from app.audit import AuditLog
from app.errors import ConversationNotFound, CustomerNotFound
from app.storage.chainlit_layer import SqlDataLayer
from app.storage.secrets import Encryptor, load_or_create_key
from app.ui.chainlit_calls import session_get, session_set
from app.ui.session import ActiveConversation, Viewer, set_conversation

if TYPE_CHECKING:
    from app.runtime import Runtime

log = logging.getLogger(__name__)
_LINKED = "deskpilot.linked_conversation"
CONVERSATION_KEY = "conversation_id"


def build_data_layer(runtime: Runtime) -> SqlDataLayer:
    """The data layer of this process, with the transcript key and write-failure metric."""
    settings = runtime.settings
    key = settings.encryption_key.get_secret_value() if settings.encryption_key else None
    return SqlDataLayer(
        runtime.session_factory,
        Encryptor(load_or_create_key(settings.secrets_dir, key)),
        runtime.feedback,
        AuditLog(runtime.session_factory),
        on_write_failure=runtime.costs.metrics.history_write_failed,
    )


async def link_thread(conversation_id: int) -> None:
    """Record in this chat's thread which conversation it holds (once per conversation)."""
    if session_get(_LINKED) == conversation_id:
        return
    layer = get_data_layer()  # type: ignore[no-untyped-call]
    thread_id = context.session.thread_id
    if layer is None or not thread_id:
        return
    await layer.update_thread(thread_id, metadata={CONVERSATION_KEY: conversation_id})
    session_set(_LINKED, conversation_id)


def thread_conversation_id(thread: Any) -> int | None:
    """The conversation id a thread dict carries, if any."""
    metadata = thread.get("metadata") if isinstance(thread, dict) else None
    if isinstance(metadata, str):
        try:
            metadata = json.loads(metadata)
        except ValueError:
            return None
    value = metadata.get(CONVERSATION_KEY) if isinstance(metadata, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


async def resume_conversation(
    runtime: Runtime, viewer: Viewer, thread: Any
) -> ActiveConversation | None:
    """Reopen the thread's conversation for its owner; None if there is none to reopen."""
    conversation_id = thread_conversation_id(thread)
    if conversation_id is None:
        return None
    try:
        conversation = await asyncio.to_thread(runtime.conversations.get, conversation_id)
        customer = await asyncio.to_thread(
            runtime.assistant.customer_summary, conversation.customer_id
        )
    except (ConversationNotFound, CustomerNotFound):
        return None
    if conversation.user_id != viewer.user_id:
        log.warning("resume refused: conversation %s is not the viewer's", conversation_id)
        return None
    active = ActiveConversation(conversation_id=conversation_id, customer=customer)
    set_conversation(active)
    session_set(_LINKED, conversation_id)
    return active
