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
from chainlit.types import ThreadDict

from app.alert_watch import start_alert_watch
from app.http_routes import mount_metrics
from app.json_logs import bind, configure_logging, new_request_id
from app.request_principal import install_principal_middleware
from app.runtime import Runtime, build_runtime
from app.settings import load_settings
from app.sign_in import register_sign_in
from app.storage.chainlit_layer import SqlDataLayer
from app.supervisor.routes import mount_supervisor
from app.ui.agent_tools import register_agent_tools
from app.ui.chainlit_calls import say
from app.ui.customer_picker import CHANGE_ACTION, PICK_ACTION, customer_command
from app.ui.handoff_view import (
    current_queue_action,
    handle_customer_message,
    maybe_queue_command,
    register_handoff_actions,
)
from app.ui.history import build_data_layer, link_thread, resume_conversation
from app.ui.picker_view import (
    ask_for_customer,
    open_own_conversation,
    pick_customer,
    refresh_customer_panel,
    resumed,
    search_customers,
)
from app.ui.session import Viewer, current_conversation, current_viewer
from app.ui.triage_view import register_triage_actions
from app.ui.turn_view import run_turn
from app.users import active_user
from app.widget.origins import apply_allowed_origins
from app.widget.routes import mount_widget

log = logging.getLogger(__name__)

_STATE_KEY = "deskpilot_runtime"
_NOT_SIGNED_IN = "Your session has no valid sign-in. Please log out and sign in again."
AGENT_PROFILE = "Agent copilot"
AGENT_BLURB = "Find a customer, ask about them, triage their tickets, draft replies."
CUSTOMER_PROFILE = "Help"
CUSTOMER_BLURB = "Questions about your orders, deliveries, returns and refunds."


@cl.on_app_startup
async def build_on_startup() -> None:
    """Build the runtime once per process (loads spaCy, MiniLM and Chroma)."""
    if getattr(server_app.state, _STATE_KEY, None) is None:
        settings = load_settings()
        configure_logging(settings.log_format, os.environ.get("DESKPILOT_LOG_LEVEL", "INFO"))
        built = build_runtime(settings)
        setattr(server_app.state, _STATE_KEY, built)
        # Alert thresholds are checked in the app itself; the task lives as long as the server.
        server_app.state.deskpilot_alert_watch = start_alert_watch(settings, built.session_factory)
        log.info("Deskpilot runtime ready")
    # Security first (Chainlit logs an exception here and serves on): CORS and the socket only
    # for the configured origins; who calls each HTTP request, for the history's owner checks.
    apply_allowed_origins(server_app, runtime().settings.allowed_origins)
    install_principal_middleware(server_app)
    mount_metrics(server_app, runtime().costs.metrics.registry)
    mount_supervisor(server_app, runtime)
    # The customer widget: POST /widget/token and the /widget-demo host page.
    mount_widget(server_app, runtime)


def runtime() -> Runtime:
    """The process's runtime; the start-up hook has built it before any request."""
    built = getattr(server_app.state, _STATE_KEY, None)
    if built is None:
        raise RuntimeError("Deskpilot runtime is not built; start the app with `chainlit run`")
    return cast(Runtime, built)


@cl.data_layer
def data_layer() -> SqlDataLayer:
    """Threads, steps, elements and feedback in our own SQL store (encrypted, owner-checked)."""
    return build_data_layer(runtime())


async def _link_answer(message_id: int, step_id: str) -> None:
    """Tie the shown answer to its stored message, so Chainlit's feedback reaches it."""
    await asyncio.to_thread(runtime().conversations.link_step, message_id, step_id)


async def _run_turn(conversation_id: int, text: str, viewer: Viewer) -> None:
    assistant = runtime().assistant
    await run_turn(
        assistant, conversation_id, text, show_provenance=not viewer.is_customer, link=_link_answer
    )
    conversation = current_conversation()
    if viewer.is_staff and conversation is not None:
        # Chainlit opens an answer's passages in the sidebar; the customer panel goes back.
        await refresh_customer_panel(assistant, conversation.customer.id)


# Classify, Summarise and Next action on the current customer's open tickets (agent view).
register_triage_actions(runtime)
# Talk to a human (customers), the hand-off queue and Pick up (agents).
register_handoff_actions(runtime)


# Password sign-in always; header auth when configured; OAuth when a provider's variables are set.
register_sign_in(load_settings(), lambda: runtime().session_factory)


# Summarise and Draft reply on the current customer (agent view).
async def _run_tool(conversation_id: int, text: str) -> None:
    viewer = await _active_viewer()
    if viewer is not None and viewer.is_staff:
        await link_thread(conversation_id)
        await _run_turn(conversation_id, text, viewer)


register_agent_tools(_run_tool)


@cl.set_chat_profiles
async def chat_profiles(user: cl.User | None) -> list[cl.ChatProfile]:
    """Staff work in the agent copilot; customers in their own help chat."""
    role = (user.metadata or {}).get("role") if user else None
    if role == "customer":
        return [cl.ChatProfile(name=CUSTOMER_PROFILE, markdown_description=CUSTOMER_BLURB)]
    return [cl.ChatProfile(name=AGENT_PROFILE, markdown_description=AGENT_BLURB)]


async def _active_viewer() -> Viewer | None:
    """The viewer, if their account is still active (a disabled user's session ends here)."""
    viewer = current_viewer()
    if viewer is None:
        return None
    record = await asyncio.to_thread(active_user, runtime().session_factory, viewer.username)
    return viewer if record is not None and record.role == viewer.role else None


@cl.on_chat_start
async def chat_start() -> None:
    """Customers go straight to their own conversation; staff are asked which customer."""
    viewer = await _active_viewer()
    runtime().costs.metrics.session_started()
    if viewer is None:
        await say(_NOT_SIGNED_IN)
    elif viewer.is_customer:
        await open_own_conversation(runtime().assistant, viewer)
    else:
        await ask_for_customer(viewer, [await current_queue_action(runtime())])


@cl.on_message
async def on_message(message: cl.Message) -> None:
    """A question about the current customer, or a customer search while none is chosen."""
    viewer = await _active_viewer()
    if viewer is None:
        await say(_NOT_SIGNED_IN)
        return
    assistant = runtime().assistant
    text = message.content or ""
    if await handle_customer_message(runtime(), viewer, current_conversation(), text):
        return  # the customer asked for a human: queued and confirmed
    if await maybe_queue_command(runtime(), viewer, text):
        return  # an agent typed /queue
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
    await link_thread(conversation.conversation_id)
    with bind(request_id=new_request_id(), conversation_id=conversation.conversation_id):
        await _run_turn(conversation.conversation_id, text, viewer)


@cl.on_chat_resume
async def chat_resume(thread: ThreadDict) -> None:
    """A thread reopened from the history: the same conversation continues."""
    viewer = await _active_viewer()
    runtime().costs.metrics.session_started()
    if viewer is None:
        await say(_NOT_SIGNED_IN)
        return
    active = await resume_conversation(runtime(), viewer, thread)
    await resumed(runtime().assistant, viewer, active)


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
