"""Triage one ticket: build the prompt values, ask (validated, with fallback), store the answer.

When a language model is on the route, the ticket and its thread are pseudonymised first (the
customer's known values and Presidio's findings become placeholders) and the answer is restored
afterwards; with only the local responder nothing leaves the process, so nothing is redacted.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

from app.errors import DeskpilotError
from app.prompt_guard import assert_no_raw_values
from app.storage.database import SessionFactory
from app.triage.caller import ModelCaller
from app.triage.schemas import (
    ANSWER_TYPES,
    PROMPTS,
    Classification,
    NextAction,
    Summary,
    TriageKind,
)
from app.triage.store import latest, payload_of, save_result
from app.triage.structured import RULES_MODEL, TriageResult, ask_structured
from app.triage.tickets import TicketView, load_ticket, quote
from prompts.library import PromptLibrary
from providers import Message, local_triage

if TYPE_CHECKING:
    from guardrails import Pseudonymiser

QUESTIONS: dict[TriageKind, str] = {
    "classification": "Classify this ticket.",
    "summary": "Summarise this ticket for the agent who picks it up.",
    "next_action": "What should the agent do next on this ticket?",
}


class TicketNotFound(DeskpilotError, LookupError):
    """No ticket with that id."""

    def __init__(self, ticket_id: str) -> None:
        super().__init__(f"No ticket {ticket_id!r}. Ticket ids look like TCK-30001.")


class _RedactionFailed(Exception):
    """The ticket could not be pseudonymised, so it must not be sent to a model."""


class TriageService:
    """Classify, summarise and suggest next actions for tickets, storing every answer."""

    def __init__(
        self,
        sessions: SessionFactory,
        caller: ModelCaller,
        library: PromptLibrary,
        *,
        company: str,
        pseudonymiser: Pseudonymiser | None = None,
    ) -> None:
        self._sessions = sessions
        self._caller = caller
        self._library = library
        self._company = company
        self._pseudonymiser = pseudonymiser

    def load(self, ticket_id: str) -> TicketView:
        """The ticket as the prompts quote it, or TicketNotFound."""
        with self._sessions() as session:
            view = load_ticket(session, ticket_id)
        if view is None:
            raise TicketNotFound(ticket_id)
        return view

    async def run(self, ticket_id: str, kind: TriageKind) -> TriageResult:
        """Triage one ticket for one kind of answer, and store the answer on the ticket."""
        view = await asyncio.to_thread(self.load, ticket_id)
        result = await self._ask(view, kind)
        await asyncio.to_thread(save_result, self._sessions, view.id, result)
        return result

    async def classify_conversation(
        self, transcript: str, *, customer_id: str, known_values: dict[str, list[str]]
    ) -> TriageResult:
        """Urgency and category of a conversation (not stored: it is not a ticket yet)."""
        view = TicketView(
            id="",
            customer_id=customer_id,
            status="",
            subject="",
            text=quote(transcript),
            thread="",
            known_values=known_values,
        )
        return await self._ask(view, "classification")

    async def _ask(self, view: TicketView, kind: TriageKind) -> TriageResult:
        template = self._library.get(PROMPTS[kind])
        wants_classification = kind == "next_action" and view.id
        classification = self._classification_of(view.id) if wants_classification else ""
        fallback = _fallback(kind, view, classification)
        try:
            ticket, thread, restore = self._redact(view)
        except _RedactionFailed:
            # Unredacted text must not reach a model: the rules answer instead.
            return TriageResult(kind, fallback(), RULES_MODEL, "local", template.ref, "rules", 0)
        values = {
            "company": self._company,
            "ticket": ticket,
            "thread": thread or "(no contacts yet)",
            "classification": classification or "(not classified yet)",
        }
        return await ask_structured(
            self._caller,
            template,
            {k: v for k, v in values.items() if k in template.variables},
            QUESTIONS[kind],
            kind=kind,
            answer_type=ANSWER_TYPES[kind],
            fallback=fallback,
            scope=view.customer_id,
            restore=restore,
        )

    def _redact(self, view: TicketView) -> tuple[str, str, Callable[[str], str] | None]:
        if self._pseudonymiser is None:
            return view.text, view.thread, None
        from guardrails import PseudonymisationError, PseudonymVault

        vault = PseudonymVault()
        known = view.known_values
        try:
            ticket = self._pseudonymiser.anonymise(view.text, vault, known_values=known).text
            thread = self._pseudonymiser.anonymise(view.thread, vault, known_values=known).text
        except PseudonymisationError as exc:
            raise _RedactionFailed from exc
        try:  # the same last line of defence as a chat turn
            assert_no_raw_values([Message("user", ticket), Message("user", thread)], known)
        except RuntimeError as exc:
            raise _RedactionFailed from exc
        return quote(ticket), quote(thread), vault.restore

    def _classification_of(self, ticket_id: str) -> str:
        row = latest(self._sessions, ticket_id, "classification")
        if row is None:
            return ""
        data = payload_of(row)
        return f"urgency: {data.get('urgency', '')}\ncategory: {data.get('category', '')}"


def _fallback(
    kind: TriageKind, view: TicketView, classification: str
) -> Callable[[], Classification | Summary | NextAction]:
    """The rules' answer for a kind, computed only when needed."""
    if kind == "classification":
        return lambda: Classification.model_validate(local_triage.classify(view.text))
    if kind == "summary":
        return lambda: Summary.model_validate(local_triage.summarise(view.text, view.thread))
    known = dict(line.split(": ", 1) for line in classification.splitlines() if ": " in line)
    return lambda: NextAction.model_validate(
        local_triage.next_action(
            view.text, urgency=known.get("urgency", ""), category=known.get("category", "")
        )
    )
