"""Showing one turn in Chainlit: the Context step, the streamed answer, its sources and notice."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Awaitable, Callable

import chainlit as cl

from app.errors import DeskpilotError
from app.turn_types import AnswerDelta, ContextReady, TurnResult
from app.ui.assistant_port import AssistantPort
from app.ui.chainlit_calls import (
    attach_texts,
    passage_display,
    say,
    send,
    show_step,
    update_step,
)
from app.ui.rendering import answer_view, context_markdown, rule_flags_markdown, turn_footer
from guardrails import InputRejected, PseudonymisationError

log = logging.getLogger(__name__)

NOT_SENT = (
    "Your message could not be checked for personal data, so it was not sent to the assistant. "
    "Please try again in a moment."
)
APOLOGY = (
    "Sorry, something went wrong while answering. Please try again in a moment; "
    "if it keeps happening, tell your Deskpilot administrator."
)


async def _show_context(event: ContextReady) -> cl.Step:
    """A collapsed step listing what went into the prompt and what was dropped."""
    return await show_step("Context", context_markdown(event))


# Called with (stored answer id, Chainlit message id) once an answer is shown: Chainlit's own
# thumbs up/down (with a comment) on that message then reach our feedback table.
AnswerLink = Callable[[int, str], Awaitable[None]]


async def _finish(message: cl.Message, result: TurnResult, link: AnswerLink | None) -> None:
    """Replace the streamed text with the final answer and its sources; link it for feedback."""
    view = answer_view(result, streamed=message.content)
    message.content = view.content
    display = passage_display()
    texts = [cl.Text(name=e.name, content=e.content, display=display) for e in view.elements]
    attach_texts(message, texts)
    await send(message)
    if link is not None and result.message_id is not None:
        await link(result.message_id, message.id)


async def _close_partial(message: cl.Message | None) -> None:
    """End a stream that was cut off, so the UI does not wait for more tokens."""
    if message is not None and message.streaming:
        message.content += "\n\n*(answer interrupted)*"
        await send(message)


def _log_failure(conversation_id: int, exc: BaseException) -> None:
    """Log a failed turn by type and stack only: the exception text may quote the message."""
    frames = "".join(traceback.format_tb(exc.__traceback__))
    log.error(
        "turn failed: conversation=%s error=%s\n%s", conversation_id, type(exc).__name__, frames
    )


async def run_turn(
    assistant: AssistantPort,
    conversation_id: int,
    text: str,
    *,
    show_provenance: bool,
    link: AnswerLink | None = None,
) -> TurnResult | None:
    """Run one turn and render it; returns the result, or None if the turn did not complete."""
    message: cl.Message | None = None
    step: cl.Step | None = None
    try:
        async for event in assistant.respond(conversation_id, text):
            if isinstance(event, ContextReady):
                if show_provenance:
                    step = await _show_context(event)
            elif isinstance(event, AnswerDelta):
                if message is None:
                    message = cl.Message(content="")
                await message.stream_token(event.text)
            elif isinstance(event, TurnResult):
                await _finish(message or cl.Message(content=""), event, link)
                if step is not None:
                    step.output = f"{step.output}\n\n{turn_footer(event)}"
                    await update_step(step)
                warning = rule_flags_markdown(event)
                if show_provenance and warning:  # agents only: customers never see rule checks
                    await say(warning)
                return event
    except PseudonymisationError:  # failed closed: nothing left the process
        log.error("turn failed closed: conversation=%s personal-data analysis", conversation_id)
        await _close_partial(message)
        await say(NOT_SENT)
        return None
    except (InputRejected, DeskpilotError) as exc:  # their text is written for the user
        await _close_partial(message)
        await say(f"⚠️ {exc}")
        return None
    except Exception as exc:
        _log_failure(conversation_id, exc)
        await _close_partial(message)
        await say(APOLOGY)
        return None
    await _close_partial(message)
    log.error("turn ended without a result: conversation=%s", conversation_id)
    await say(APOLOGY)
    return None
