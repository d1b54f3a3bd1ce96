"""Picking the customer in Chainlit: search results as buttons, the customer card, switching."""

from __future__ import annotations

import asyncio

import chainlit as cl

from app.turn_types import ConversationRole
from app.ui.assistant_port import AssistantPort
from app.ui.chainlit_calls import remove_actions, say
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
        await say(customer_welcome(customer))
    else:
        content = customer_card(customer) + "\n\nAsk anything about this customer."
        await say(content, actions=[_change_action(), tickets_action(customer.id)])
    return active


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


async def ask_for_customer(viewer: Viewer) -> None:
    """Forget the current customer and ask which one the agent is helping."""
    await _clear_choices()
    set_conversation(None)
    await say(agent_welcome(viewer.username))


async def open_own_conversation(assistant: AssistantPort, viewer: Viewer) -> None:
    """A customer chats about their own record only; no picking."""
    try:
        customer = await asyncio.to_thread(assistant.customer_summary, viewer.customer_id or "")
    except LookupError:
        await say("Your account is not linked to a customer record yet. Please contact support.")
        return
    await open_conversation(assistant, viewer, customer)
