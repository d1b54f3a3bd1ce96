"""Triage in the agent view: the customer's open tickets with Classify, Summarise, Next action.

``tickets_action(customer_id)`` is the button that lists the open tickets; each ticket message
carries the three triage buttons. A click runs the triage service (stored on the ticket with the
model and prompt version) and shows the answer. Payloads come from the browser: a ticket must
belong to the customer of the current conversation, and only staff may triage.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import chainlit as cl

from app.triage.schemas import TriageKind
from app.ui.chainlit_calls import say
from app.ui.session import current_conversation, current_viewer
from app.ui.triage_rendering import no_open_tickets, ticket_heading, triage_markdown

if TYPE_CHECKING:
    from app.runtime import Runtime
    from app.triage.service import TriageService
    from app.triage.tickets import TicketView

TICKETS_ACTION = "triage_tickets"
KIND_ACTIONS: dict[str, TriageKind] = {
    "triage_classify": "classification",
    "triage_summarise": "summary",
    "triage_next_action": "next_action",
}
_LABELS: dict[TriageKind, tuple[str, str]] = {
    "classification": ("Classify", "tag"),
    "summary": ("Summarise", "file-text"),
    "next_action": ("Next action", "arrow-right"),
}


def tickets_action(customer_id: str) -> cl.Action:
    """The button that lists a customer's open tickets for triage."""
    return cl.Action(
        name=TICKETS_ACTION,
        payload={"customer_id": customer_id},
        label="Open tickets",
        tooltip="Classify, summarise or get the next action for this customer's open tickets",
        icon="list-checks",
    )


def ticket_actions(ticket_id: str) -> list[cl.Action]:
    """Classify, Summarise and Next action for one ticket."""
    names = {kind: name for name, kind in KIND_ACTIONS.items()}
    return [
        cl.Action(name=names[kind], payload={"ticket_id": ticket_id}, label=label, icon=icon)
        for kind, (label, icon) in _LABELS.items()
    ]


def _current_customer() -> str | None:
    """The customer of the current conversation, when a staff member is signed in."""
    viewer, conversation = current_viewer(), current_conversation()
    if viewer is None or not viewer.is_staff or conversation is None:
        return None
    return conversation.customer.id


async def show_open_tickets(runtime: Runtime) -> None:
    """One message per open ticket of the current customer, with the triage buttons."""
    from app.triage.tickets import open_tickets

    customer_id = _current_customer()
    if customer_id is None:
        return

    def load() -> list[tuple[str, str]]:
        with runtime.session_factory() as session:
            return [
                (t.id, ticket_heading(t.id, t.subject, t.status, f"{t.created_at:%Y-%m-%d}"))
                for t in open_tickets(session, customer_id)
            ]

    tickets = await asyncio.to_thread(load)
    if not tickets:
        await say(no_open_tickets(customer_id))
        return
    for ticket_id, heading in tickets:
        await say(heading, ticket_actions(ticket_id))


async def run_triage(service: TriageService, ticket_id: str, kind: TriageKind) -> None:
    """Triage one ticket of the current customer and show the stored answer."""
    customer_id = _current_customer()
    if customer_id is None:
        return
    view = await asyncio.to_thread(_load_or_none, service, ticket_id)
    if view is None or view.customer_id != customer_id:
        return  # a browser can send any payload: only this customer's tickets
    async with cl.Step(name=f"{_LABELS[kind][0]} {ticket_id}", type="tool") as step:
        result = await service.run(ticket_id, kind)
        step.output = f"{result.prompt_ref} · {result.model} · {result.method}"
    await say(
        triage_markdown(
            ticket_id,
            kind,
            result.payload(),
            model=result.model,
            prompt_ref=result.prompt_ref,
            method=result.method,
        )
    )


def _load_or_none(service: TriageService, ticket_id: str) -> TicketView | None:
    from app.triage.service import TicketNotFound

    try:
        return service.load(ticket_id)
    except TicketNotFound:
        return None


def register_triage_actions(get_runtime: Callable[[], Runtime]) -> None:
    """Register the Chainlit callbacks of the triage buttons (the service is built on first use)."""
    built: dict[str, TriageService] = {}

    async def service() -> TriageService:
        if "service" not in built:
            from app.triage.wiring import build_triage

            runtime = get_runtime()
            setup = await asyncio.to_thread(
                build_triage,
                runtime.settings,
                runtime.database,
                runtime.assistant.providers,
                runtime.assistant.pseudonymiser,  # spaCy is loaded once per process
                runtime.costs.metrics,
            )
            built["service"] = setup.service
        return built["service"]

    @cl.action_callback(TICKETS_ACTION)
    async def on_tickets(action: cl.Action) -> None:
        await show_open_tickets(get_runtime())

    def on_kind(kind: TriageKind) -> Callable[[cl.Action], Awaitable[None]]:
        async def callback(action: cl.Action) -> None:
            ticket_id = action.payload.get("ticket_id")
            if isinstance(ticket_id, str):
                await run_triage(await service(), ticket_id, kind)

        return callback

    for name, kind in KIND_ACTIONS.items():
        cl.action_callback(name)(on_kind(kind))
