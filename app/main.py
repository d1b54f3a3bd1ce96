"""The Chainlit entry: handlers translate UI events into calls on the turn orchestrator.

Run with `chainlit run app/main.py` (or `deskpilot serve`). The runtime (models, stores, the
assistant) is built once per process by Chainlit's start-up hook, before the server accepts
connections, and kept on the server's `app.state` so a hot reload of this module reuses it.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import cast

import chainlit as cl
from chainlit.server import app as server_app

from app.http_routes import mount_metrics
from app.json_logs import bind, configure_logging, new_request_id
from app.runtime import Runtime, build_runtime
from app.settings import load_settings
from app.ui.chainlit_calls import remove_action, say
from app.ui.customer_picker import CHANGE_ACTION, PICK_ACTION, customer_command
from app.ui.picker_view import (
    ask_for_customer,
    open_own_conversation,
    pick_customer,
    search_customers,
)
from app.ui.session import (
    current_conversation,
    current_viewer,
    user_metadata,
)
from app.ui.triage_view import register_triage_actions
from app.ui.turn_view import FEEDBACK_DOWN, FEEDBACK_UP, feedback_actions, run_turn
from app.users import authenticate

log = logging.getLogger(__name__)

_STATE_KEY = "deskpilot_runtime"
_NOT_SIGNED_IN = "Your session has no valid sign-in. Please log out and sign in again."


@cl.on_app_startup
async def build_on_startup() -> None:
    """Build the runtime once per process (loads spaCy, MiniLM and Chroma)."""
    if getattr(server_app.state, _STATE_KEY, None) is None:
        settings = load_settings()
        configure_logging(settings.log_format, os.environ.get("DESKPILOT_LOG_LEVEL", "INFO"))
        setattr(server_app.state, _STATE_KEY, build_runtime(settings))
        log.info("Deskpilot runtime ready")
    mount_metrics(server_app, runtime().costs.metrics.registry)


def runtime() -> Runtime:
    """The process's runtime; the start-up hook has built it before any request."""
    built = getattr(server_app.state, _STATE_KEY, None)
    if built is None:
        raise RuntimeError("Deskpilot runtime is not built; start the app with `chainlit run`")
    return cast(Runtime, built)


# Classify, Summarise and Next action on the current customer's open tickets (agent view).
register_triage_actions(runtime)


@cl.password_auth_callback
async def login(username: str, password: str) -> cl.User | None:
    """Check the credentials against the user table."""
    record = await asyncio.to_thread(
        authenticate, runtime().session_factory, username.strip(), password
    )
    if record is None:
        return None
    return cl.User(
        identifier=record.username,
        display_name=record.username,
        metadata=user_metadata(record.role, record.id, record.customer_id),
    )


@cl.on_chat_start
async def chat_start() -> None:
    """Customers go straight to their own conversation; staff are asked which customer."""
    viewer = current_viewer()
    runtime().costs.metrics.session_started()
    if viewer is None:
        await say(_NOT_SIGNED_IN)
    elif viewer.is_customer:
        await open_own_conversation(runtime().assistant, viewer)
    else:
        await ask_for_customer(viewer)


@cl.on_message
async def on_message(message: cl.Message) -> None:
    """A question about the current customer, or a customer search while none is chosen."""
    viewer = current_viewer()
    if viewer is None:
        await say(_NOT_SIGNED_IN)
        return
    assistant = runtime().assistant
    text = message.content or ""
    if viewer.is_staff:
        query = customer_command(text)
        if query is not None:
            await search_customers(assistant, viewer, query)
            return
    conversation = current_conversation()
    if conversation is None:
        if viewer.is_staff:
            await search_customers(assistant, viewer, text)
        else:
            await open_own_conversation(assistant, viewer)
        return
    with bind(request_id=new_request_id(), conversation_id=conversation.conversation_id):
        await run_turn(
            assistant, conversation.conversation_id, text, show_provenance=not viewer.is_customer
        )


@cl.on_chat_end
async def chat_end() -> None:
    """One chat session fewer (the active-sessions gauge)."""
    runtime().costs.metrics.session_ended()


@cl.action_callback(PICK_ACTION)
async def on_pick(action: cl.Action) -> None:
    """The agent picked a customer from the search results."""
    viewer = current_viewer()
    customer_id = action.payload.get("customer_id")
    if viewer is None or not viewer.is_staff or not isinstance(customer_id, str):
        return
    await pick_customer(runtime().assistant, viewer, customer_id)


@cl.action_callback(CHANGE_ACTION)
async def on_change(action: cl.Action) -> None:
    """The agent wants to help another customer."""
    viewer = current_viewer()
    if viewer is not None and viewer.is_staff:
        await ask_for_customer(viewer)


@cl.action_callback(FEEDBACK_UP)
async def on_helpful(action: cl.Action) -> None:
    """A thumbs-up: recorded, and the answer may become a validated answer."""
    await _feedback(action, 1)


@cl.action_callback(FEEDBACK_DOWN)
async def on_not_helpful(action: cl.Action) -> None:
    """A thumbs-down: recorded for supervisors."""
    await _feedback(action, -1)


async def _feedback(action: cl.Action, value: int) -> None:
    viewer = current_viewer()
    message_id = action.payload.get("message_id")
    if viewer is None or not isinstance(message_id, int):
        return
    conversation = current_conversation()
    if conversation is None or not runtime().conversations.owns_message(
        conversation.conversation_id, message_id
    ):
        return  # a browser can send any payload: only this chat's answers take feedback
    await asyncio.to_thread(
        runtime().feedback.record, message_id=message_id, user_id=viewer.user_id, value=value
    )
    for button in feedback_actions(message_id):
        await remove_action(button)
    await say("Thanks — your feedback was recorded." if value > 0 else "Thanks — noted for review.")
