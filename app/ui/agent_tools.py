"""The agent's one-click tools on the current customer: summarise the case, draft a reply.

Each is a turn of the conversation with a fixed request, so it runs the same pipeline as a
typed question (pseudonymised, budgeted, priced in the ledger, sources listed) and its answer
takes feedback like any other.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import chainlit as cl

from app.ui.chainlit_calls import say
from app.ui.session import current_conversation, current_viewer

SUMMARISE_ACTION = "agent_summarise"
DRAFT_ACTION = "agent_draft_reply"
# The requests sent as the agent's message; the answer is the tool's output.
REQUESTS = {
    SUMMARISE_ACTION: (
        "Summarise this customer's situation for a colleague: their recent orders, open "
        "tickets, what was asked in this conversation, and what is still open."
    ),
    DRAFT_ACTION: (
        "Draft a reply to the customer about their most recent request, ready to send: "
        "polite, in the company's tone, promising only what the rules allow."
    ),
}
_LABELS = {
    SUMMARISE_ACTION: ("Summarise", "file-text", "Summarise the case so far"),
    DRAFT_ACTION: ("Draft reply", "pen-line", "Draft a reply to the customer"),
}
_SHOWN = {SUMMARISE_ACTION: "*Summary requested*", DRAFT_ACTION: "*Draft reply requested*"}

TurnRunner = Callable[[int, str], Awaitable[object]]


def tool_actions() -> list[cl.Action]:
    """The Summarise and Draft reply buttons on the customer's card."""
    return [
        cl.Action(name=name, payload={}, label=label, tooltip=tip, icon=icon)
        for name, (label, icon, tip) in _LABELS.items()
    ]


def register_agent_tools(run: TurnRunner) -> None:
    """Register the buttons' callbacks; ``run(conversation_id, text)`` runs and shows a turn."""

    def on_tool(name: str) -> Callable[[cl.Action], Awaitable[None]]:
        async def callback(action: cl.Action) -> None:
            viewer = current_viewer()
            conversation = current_conversation()
            if viewer is None or not viewer.is_staff:
                return  # a browser can send any action: tools are for staff
            if conversation is None:
                await say("Pick a customer first.")
                return
            await say(_SHOWN[name])
            await run(conversation.conversation_id, REQUESTS[name])

        return callback

    for name in REQUESTS:
        cl.action_callback(name)(on_tool(name))
