"""Picking the customer in Chainlit: search results as buttons, the customer card, switching."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import chainlit as cl

from app.turn_types import ConversationRole
from app.ui.agent_tools import tool_actions
from app.ui.assistant_port import AssistantPort
from app.ui.chainlit_calls import remove_actions, say
from app.ui.customer_panel import close_customer_panel, show_customer_panel
from app.ui.customer_picker import (
    CHANGE_ACTION,
    MAX_CHOICES,
    PICK_ACTION,
    Choices,
    NoMatch,
    Selected,
    choice_label,
    choice_tooltip,
    choices_prompt,
    decide,
    empty_query_message,
    no_match_message,
)
from app.ui.handoff_view import handoff_action_for_customer
from app.ui.rendering import (
    CustomerLike,
    agent_welcome,
    customer_card,
    customer_welcome,
    md_escape,
)
from app.ui.session import (
    ActiveConversation,
    Viewer,
    set_conversation,
    set_picker_message,
    take_picker_message,
)
from app.ui.triage_view import tickets_action


def _change_action() -> cl.Action:
    return cl.Action(
        name=CHANGE_ACTION,
        payload={},
        label="Change customer",
        tooltip="Help another customer (or type /customer <id, email or name>)",
        icon="users",
    )


async def _clear_choices() -> None:
    """Remove the pick buttons of the previous search, so a stale one cannot be clicked."""
    message = take_picker_message()
    if message is not None:
        await remove_actions(message)


async def open_conversation(
    assistant: AssistantPort, viewer: Viewer, customer: CustomerLike
) -> ActiveConversation:
    """Start a conversation about `customer` and show its card."""
    await _clear_choices()
    role: ConversationRole = "customer" if viewer.is_customer else "agent"
    conversation_id = await assistant.start_conversation(
        user_id=viewer.user_id, customer_id=customer.id, role=role
    )
    active = ActiveConversation(conversation_id=conversation_id, customer=customer)
    set_conversation(active)
    if viewer.is_customer:
        await say(customer_welcome(customer), [handoff_action_for_customer()])
    else:
        await _show_customer(assistant, customer, "Ask anything about this customer.")
    return active


async def _show_customer(assistant: AssistantPort, customer: CustomerLike, note: str) -> None:
    """The customer's card with the agent's buttons, and the panel beside the chat."""
    actions = [_change_action(), tickets_action(customer.id), *tool_actions()]
    await say(f"{customer_card(customer)}\n\n{note}", actions=actions)
    await refresh_customer_panel(assistant, customer.id)


async def refresh_customer_panel(assistant: AssistantPort, customer_id: str) -> None:
    """Put the customer's panel back in the sidebar (an answer's passages take it over)."""
    loaded = await asyncio.to_thread(assistant.customer_record, customer_id)
    await show_customer_panel(loaded)


async def resumed(
    assistant: AssistantPort, viewer: Viewer, active: ActiveConversation | None
) -> None:
    """After a thread is reopened: carry on with its conversation, or start as usual."""
    if active is None:
        if viewer.is_customer:
            await open_own_conversation(assistant, viewer)
        else:
            await ask_for_customer(viewer)
    elif viewer.is_staff:
        await _show_customer(assistant, active.customer, "Conversation resumed.")
    else:
        await say("Welcome back — carry on where you left off.")


async def search_customers(
    assistant: AssistantPort, viewer: Viewer, query: str
) -> ActiveConversation | None:
    """Search by id, email or name: select a single exact hit, else offer buttons to pick."""
    if not query.strip():
        await say(empty_query_message())
        return None
    matches = await asyncio.to_thread(assistant.find_customers, query.strip(), MAX_CHOICES)
    outcome = decide(query, matches)
    if isinstance(outcome, Selected):
        return await open_conversation(assistant, viewer, outcome.customer)
    if isinstance(outcome, NoMatch):
        await say(no_match_message(outcome))
        return None
    await _send_choices(outcome)
    return None


async def _send_choices(outcome: Choices[CustomerLike]) -> None:
    await _clear_choices()
    actions = [
        cl.Action(
            name=PICK_ACTION,
            payload={"customer_id": c.id},
            label=choice_label(c),
            tooltip=choice_tooltip(c),
        )
        for c in outcome.customers
    ]
    set_picker_message(await say(choices_prompt(outcome), actions))


async def pick_customer(
    assistant: AssistantPort, viewer: Viewer, customer_id: str
) -> ActiveConversation | None:
    """The agent clicked a result: look the customer up again and open the conversation."""
    try:
        customer = await asyncio.to_thread(assistant.customer_summary, customer_id)
    except LookupError:
        await say(f"Customer {md_escape(customer_id)} was not found.")
        return None
    return await open_conversation(assistant, viewer, customer)


async def ask_for_customer(viewer: Viewer, actions: Sequence[cl.Action] = ()) -> None:
    """Forget the current customer and ask which one the agent is helping."""
    await _clear_choices()
    set_conversation(None)
    await close_customer_panel()
    await say(agent_welcome(viewer.username), actions)


async def open_own_conversation(assistant: AssistantPort, viewer: Viewer) -> None:
    """A customer chats about their own record only; no picking."""
    try:
        customer = await asyncio.to_thread(assistant.customer_summary, viewer.customer_id or "")
    except LookupError:
        await say("Your account is not linked to a customer record yet. Please contact support.")
        return
    await open_conversation(assistant, viewer, customer)
