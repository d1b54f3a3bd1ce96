"""Hand-offs in Chainlit: a customer asks for a human, agents see the queue and pick one up.

Customers get a "Talk to a human" button and the typed phrases of ``handoff_phrases``; agents get
"Hand-off queue (N waiting)" and ``/queue``. Pick up claims the hand-off (one agent wins), opens
that customer for the agent and shows the customer's conversation in a collapsed step. Payloads
come from the browser: only customers request (for their own conversation), only staff pick up.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

import chainlit as cl

from app.handoffs import HandoffError, HandoffQueue, HandoffRecord, latest_question_pseudonymised
from app.ui.chainlit_calls import remove_action, say, show_step
from app.ui.handoff_phrases import asks_for_human
from app.ui.handoff_rendering import (
    customer_confirmation,
    picked_up_message,
    queue_heading,
    queue_item_markdown,
    queue_label,
    transcript_markdown,
)
from app.ui.session import ActiveConversation, Viewer, current_conversation, current_viewer

if TYPE_CHECKING:
    from app.runtime import Runtime

REQUEST_ACTION = "handoff_request"
QUEUE_ACTION = "handoff_queue"
PICK_ACTION = "handoff_pick"
CLOSE_ACTION = "handoff_close"
QUEUE_COMMAND = "/queue"
QUEUE_LIMIT = 20


def handoff_queue(runtime: Runtime) -> HandoffQueue:
    """The hand-off queue over the runtime's database and audit log (a cheap object)."""
    return HandoffQueue(runtime.session_factory, runtime.costs.audit)


def handoff_action_for_customer() -> cl.Action:
    """The customer's "Talk to a human" button."""
    return cl.Action(
        name=REQUEST_ACTION,
        payload={},
        label="Talk to a human",
        tooltip="Ask for a support agent; you can keep chatting meanwhile",
        icon="user-round",
    )


def queue_action(count: int) -> cl.Action:
    """The agents' "Hand-off queue (N waiting)" button."""
    return cl.Action(
        name=QUEUE_ACTION,
        payload={},
        label=queue_label(count),
        tooltip="Customers who asked for a human (or type /queue)",
        icon="inbox",
    )


async def current_queue_action(runtime: Runtime) -> cl.Action:
    """The queue button with the number waiting right now."""
    return queue_action(await asyncio.to_thread(handoff_queue(runtime).open_count))


def _pick_action(handoff_id: int, reference: str) -> cl.Action:
    return cl.Action(
        name=PICK_ACTION, payload={"handoff_id": handoff_id}, label=f"Pick up {reference}"
    )


def _close_action(record: HandoffRecord) -> cl.Action:
    return cl.Action(
        name=CLOSE_ACTION, payload={"handoff_id": record.id}, label=f"Close {record.reference}"
    )


async def request_handoff(
    runtime: Runtime, viewer: Viewer, conversation: ActiveConversation
) -> HandoffRecord:
    """Queue the customer's request (once per conversation) and confirm it to them."""

    def queue() -> HandoffRecord:
        reason = latest_question_pseudonymised(
            runtime.session_factory, conversation.conversation_id
        )
        return handoff_queue(runtime).request(
            conversation.conversation_id, conversation.customer.id, viewer.user_id, reason
        )

    record = await asyncio.to_thread(queue)
    await say(customer_confirmation(record))
    return record


async def handle_customer_message(
    runtime: Runtime, viewer: Viewer, conversation: ActiveConversation | None, text: str
) -> bool:
    """True if a customer's message asked for a human and the request has been handled."""
    if not viewer.is_customer or conversation is None or not asks_for_human(text):
        return False
    await request_handoff(runtime, viewer, conversation)
    return True


async def show_queue(runtime: Runtime, viewer: Viewer) -> None:
    """The waiting hand-offs, each with its Pick up button (staff only)."""
    if not viewer.is_staff:
        return
    items = await asyncio.to_thread(handoff_queue(runtime).open_items, QUEUE_LIMIT)
    await say(queue_heading(items))
    for item in items:
        await say(queue_item_markdown(item), [_pick_action(item.id, item.reference)])


async def maybe_queue_command(runtime: Runtime, viewer: Viewer, text: str) -> bool:
    """True if a staff member typed ``/queue`` and the queue has been shown."""
    words = text.strip().lower().split()
    if not viewer.is_staff or not words or words[0] != QUEUE_COMMAND:
        return False
    await show_queue(runtime, viewer)
    return True


async def pick_up(runtime: Runtime, viewer: Viewer, handoff_id: int) -> HandoffRecord | None:
    """Claim a hand-off, open its customer and show the customer's conversation."""
    from app.ui.picker_view import pick_customer

    if not viewer.is_staff:
        return None
    try:
        record = await asyncio.to_thread(handoff_queue(runtime).claim, handoff_id, viewer.user_id)
    except HandoffError as exc:
        await say(str(exc))
        return None
    await pick_customer(runtime.assistant, viewer, record.customer_id)
    if record.conversation_id is not None:
        conversation_id = record.conversation_id

        def read() -> list[tuple[str, str]]:
            runtime.costs.audit.read_conversation(
                viewer.username, record.customer_id, conversation_id
            )
            return runtime.conversations.transcript(conversation_id)

        await show_step("Customer conversation", transcript_markdown(await asyncio.to_thread(read)))
    await say(picked_up_message(record), [_close_action(record)])
    return record


async def close_handoff(runtime: Runtime, viewer: Viewer, handoff_id: int) -> None:
    """Close a hand-off the agent is done with."""
    if not viewer.is_staff:
        return
    try:
        record = await asyncio.to_thread(handoff_queue(runtime).close, handoff_id, viewer.user_id)
    except HandoffError as exc:
        await say(str(exc))
        return
    await say(f"Hand-off {record.reference} closed.")


def _handoff_id(action: cl.Action) -> int | None:
    value = action.payload.get("handoff_id")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def register_handoff_actions(get_runtime: Callable[[], Runtime]) -> None:
    """Register the Chainlit callbacks of the hand-off buttons."""

    @cl.action_callback(REQUEST_ACTION)
    async def on_request(action: cl.Action) -> None:
        viewer, conversation = current_viewer(), current_conversation()
        if viewer is None or not viewer.is_customer or conversation is None:
            return
        await request_handoff(get_runtime(), viewer, conversation)

    @cl.action_callback(QUEUE_ACTION)
    async def on_queue(action: cl.Action) -> None:
        viewer = current_viewer()
        if viewer is not None:
            await show_queue(get_runtime(), viewer)

    @cl.action_callback(PICK_ACTION)
    async def on_pick(action: cl.Action) -> None:
        viewer, handoff_id = current_viewer(), _handoff_id(action)
        if viewer is None or handoff_id is None:
            return
        if await pick_up(get_runtime(), viewer, handoff_id) is not None:
            await remove_action(action)

    @cl.action_callback(CLOSE_ACTION)
    async def on_close(action: cl.Action) -> None:
        viewer, handoff_id = current_viewer(), _handoff_id(action)
        if viewer is not None and handoff_id is not None:
            await close_handoff(get_runtime(), viewer, handoff_id)
            await remove_action(action)
