"""Hand-offs in the Chainlit layer: a customer asks, an agent sees the queue and picks it up."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from chainlit.context import ChainlitContext, context_var
from chainlit.emitter import BaseChainlitEmitter
from chainlit.session import HTTPSession

from app.conversations import StoredTurn
from app.handoffs import HandoffQueue
from app.ui.handoff_phrases import asks_for_human
from app.ui.handoff_rendering import waiting_label
from app.ui.handoff_view import (
    PICK_ACTION,
    QUEUE_ACTION,
    REQUEST_ACTION,
    handle_customer_message,
    handoff_action_for_customer,
    maybe_queue_command,
    pick_up,
    queue_action,
)
from app.ui.rendering import CustomerLike
from app.ui.session import ActiveConversation, Viewer
from app.users import add_user
from guardrails import PseudonymVault


@dataclass
class Recorder(BaseChainlitEmitter):
    """Chainlit's stub emitter, keeping what the view sent."""

    session: Any
    steps: list[dict[str, Any]] = field(default_factory=list)
    actions: list[dict[str, Any]] = field(default_factory=list)

    async def send_step(self, step_dict: Any) -> None:
        """A message or step was sent."""
        self.steps.append(dict(step_dict))

    async def update_step(self, step_dict: Any) -> None:
        """A step was finished."""
        self.steps.append(dict(step_dict))

    async def emit(self, event: str, data: Any) -> None:
        """An action was attached (or removed)."""
        if event == "action":
            self.actions.append(dict(data))

    def texts(self) -> list[str]:
        """The output of every message and step, in order."""
        return [str(step.get("output", "")) for step in self.steps]


@pytest.fixture
async def chat() -> AsyncIterator[Recorder]:
    """A Chainlit context whose emitter records instead of sending."""
    session = HTTPSession(id=str(uuid.uuid4()), client_type="webapp")
    recorder = Recorder(session)
    token = context_var.set(ChainlitContext(session, recorder))
    yield recorder
    context_var.reset(token)


def _user(runtime: Any, role: str, customer_id: str | None = None) -> Viewer:
    name = f"{role}-{secrets.token_hex(4)}"
    record = add_user(
        runtime.session_factory,
        username=name,
        password="view-password-1",
        role=role,
        customer_id=customer_id,
    )
    return Viewer(record.id, record.username, role, customer_id)


async def _customer_chat(runtime: Any, viewer: Viewer) -> ActiveConversation:
    assert viewer.customer_id is not None
    customer: CustomerLike = runtime.assistant.customer_summary(viewer.customer_id)
    conversation_id = runtime.conversations.create(
        user_id=viewer.user_id, customer_id=customer.id, role="customer"
    )
    turn = StoredTurn(
        question_raw="Ada Example here: my blender arrived broken",
        question_pseudonymised="<PERSON_1> here: my blender arrived broken",
        answer_raw="Sorry to hear that.",
        answer_pseudonymised="Sorry to hear that.",
        complete=True,
        provider="local",
        model="local",
        prompt="support_reply@1",
        degraded=False,
        provenance_json="",
    )
    runtime.conversations.save_turn(conversation_id, 1, turn, PseudonymVault())
    return ActiveConversation(conversation_id, customer)


async def test_a_customer_asking_for_a_human_is_queued_once_and_told_the_reference(
    runtime: Any, chat: Recorder
) -> None:
    customer = _user(runtime, "customer", "CUS-10001")
    conversation = await _customer_chat(runtime, customer)
    assert not await handle_customer_message(runtime, customer, conversation, "Where is it?")
    assert await handle_customer_message(runtime, customer, conversation, "Talk to a human!")
    assert await handle_customer_message(runtime, customer, conversation, "real person please")
    queue = HandoffQueue(runtime.session_factory)
    mine = [i for i in queue.open_items(100) if i.conversation_id == conversation.conversation_id]
    assert len(mine) == 1
    assert mine[0].reason_pseudonymised == "<PERSON_1> here: my blender arrived broken"
    expected = f"An agent will pick this up — reference {mine[0].reference}."
    assert chat.texts() == [f"{expected} You can keep chatting here meanwhile."] * 2
    # Staff typing the phrase are not handed off to themselves.
    agent = _user(runtime, "agent")
    assert not await handle_customer_message(runtime, agent, conversation, "talk to a human")


async def test_an_agent_picks_up_from_the_queue_and_reads_the_conversation(
    runtime: Any, chat: Recorder
) -> None:
    customer = _user(runtime, "customer", "CUS-10001")
    conversation = await _customer_chat(runtime, customer)
    await handle_customer_message(runtime, customer, conversation, "speak to an agent")
    handoff = next(
        i
        for i in HandoffQueue(runtime.session_factory).open_items(100)
        if i.conversation_id == conversation.conversation_id
    )
    agent, other = _user(runtime, "agent"), _user(runtime, "agent")
    assert not await maybe_queue_command(runtime, customer, "/queue")
    chat.steps.clear()
    assert await maybe_queue_command(runtime, agent, "/queue")
    assert chat.texts()[0].endswith("waiting for an agent**")
    assert any(f"**{handoff.reference}**" in t and "waiting" in t for t in chat.texts())
    picks = [a for a in chat.actions if a["name"] == PICK_ACTION]
    assert {"handoff_id": handoff.id} in [a["payload"] for a in picks]

    chat.steps.clear()
    record = await pick_up(runtime, agent, handoff.id)
    assert record is not None and record.claimed_by == agent.user_id
    step = [s for s in chat.steps if s.get("name") == "Customer conversation"][-1]
    # The agent reads the raw transcript (decrypted), escaped for markdown.
    assert "**Customer:** Ada Example here: my blender arrived broken" in step["output"]
    assert any(t.startswith(f"You picked up {handoff.reference}") for t in chat.texts())

    chat.steps.clear()
    assert await pick_up(runtime, other, handoff.id) is None
    assert chat.texts() == [
        f"Hand-off {handoff.reference} was already picked up by {agent.username}."
    ]


def test_buttons_and_phrases() -> None:
    assert handoff_action_for_customer().name == REQUEST_ACTION
    assert handoff_action_for_customer().label == "Talk to a human"
    button = queue_action(3)
    assert (button.name, button.label) == (QUEUE_ACTION, "Hand-off queue (3 waiting)")
    assert [waiting_label(s) for s in (5, 240, 7500)] == ["just now", "4 min", "2 h 05 min"]


@pytest.mark.parametrize(
    "text",
    [
        "Talk to a human",
        "I want to speak to an agent please",
        "Can I speak with a real person?",
        "real person",
        "Human please",
        "agent",
        "connect me to a representative",
        "Could you transfer me to someone?",
        "I need a human",
        "live agent!",
        "can i talk to your support team",
    ],
)
def test_requests_for_a_human_are_recognised(text: str) -> None:
    assert asks_for_human(text)


@pytest.mark.parametrize(
    "text",
    [
        "my travel agent booked it",
        "am I talking to a real person?",
        "Where is my order?",
        "The person at the door signed for it",
        "Can you speak French?",
        "talk about my refund",
        "I spoke to someone yesterday about order 12",
        "",
    ],
)
def test_other_messages_are_not_hand_offs(text: str) -> None:
    assert not asks_for_human(text)
