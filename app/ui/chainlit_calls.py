"""Typed wrappers for the Chainlit calls the view layer makes.

Chainlit ships `py.typed` but leaves methods such as `Message.send` unannotated, which
`mypy --strict` rejects at every call site; the ignores live here, once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import chainlit as cl


async def send(message: cl.Message) -> None:
    """Send (or, after streaming, finalise) a message with its actions and elements."""
    await message.send()  # type: ignore[no-untyped-call]


async def say(content: str, actions: Sequence[cl.Action] = ()) -> cl.Message:
    """Send a new assistant message; returns it so its actions can be removed later."""
    message = cl.Message(content=content, actions=list(actions))
    await send(message)
    return message


async def remove_actions(message: cl.Message) -> None:
    """Take a message's buttons away."""
    await message.remove_actions()  # type: ignore[no-untyped-call]


async def remove_action(action: cl.Action) -> None:
    """Take one button away (matched by its id)."""
    await action.remove()  # type: ignore[no-untyped-call]


async def show_step(name: str, output: str) -> cl.Step:
    """Show a finished, collapsed step nested under the current run (the user's message)."""
    step = cl.Step(name=name, type="retrieval", default_open=False, show_input=False)
    async with step:
        step.output = output
    return step


async def update_step(step: cl.Step) -> None:
    """Show a step's new output."""
    await step.update()  # type: ignore[no-untyped-call]


def attach_texts(message: cl.Message, texts: Sequence[cl.Text]) -> None:
    """Set the text elements a message references (Chainlit types the list by a TypeVar)."""
    message.elements = list(texts)  # type: ignore[arg-type]


def session_get(key: str) -> object:
    """A value of this chat session's store, or None."""
    return cl.user_session.get(key)  # type: ignore[no-untyped-call]


def session_set(key: str, value: object) -> None:
    """Store a value for this chat session."""
    cl.user_session.set(key, value)  # type: ignore[no-untyped-call]


def in_widget() -> bool:
    """Whether this chat runs in the Copilot widget on a host site (not the full app)."""
    from chainlit.context import ChainlitContextException, context

    try:
        return context.session.client_type == "copilot"
    except ChainlitContextException:
        return False


def passage_display() -> Literal["side", "page"]:
    """How a source passage opens on click: the side panel, or (widget) a dialog.

    The widget opens every "side" element by itself as soon as an answer carries one; "page"
    elements it opens only when their name is clicked.
    """
    return "page" if in_widget() else "side"
