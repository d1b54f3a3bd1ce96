"""The blocking start of a turn: the conversation, the rate limit, the customer, the reservation.

SQL, the vault's decryption, Presidio and the budget store all block. The orchestrator calls
``open`` and ``admit`` in one worker-thread hop each, so the event loop serves other sessions
meanwhile; the order of the steps is the one a turn always had.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from app.conversations import ConversationStore
from app.cost_controls import Admission, CostControls
from app.errors import CustomerNotFound
from app.storage.tables import Conversation
from context.builder import ContextBuilder, LoadedCustomer, UnknownCustomer
from context.tokens import TokenCounter
from guardrails import PseudonymisationError, Pseudonymiser, PseudonymVault, Redaction
from providers.config import Task
from providers.routing import Router

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class OpenedTurn:
    """The conversation of a turn, its vault, and its customer's record."""

    conversation: Conversation
    vault: PseudonymVault
    loaded: LoadedCustomer


@dataclass(frozen=True, slots=True)
class TurnOpener:
    """Blocking steps before the context is built (call each in a worker thread)."""

    conversations: ConversationStore
    costs: CostControls
    context_builder: ContextBuilder
    pseudonymiser: Pseudonymiser
    counter: TokenCounter
    router: Router
    context_max_tokens: int

    def open(self, conversation_id: int) -> OpenedTurn:
        """The conversation (rate-limited per user), its vault and its customer's record."""
        conversation = self.conversations.get(conversation_id)
        self.costs.admit_request(conversation.user_id)  # RateLimitExceeded: a message to show
        vault = self.conversations.vault(conversation)
        return OpenedTurn(conversation, vault, self.load(conversation.customer_id))

    def admit(
        self,
        conversation_id: int,
        opened: OpenedTurn,
        question: str,
        known: dict[str, list[str]],
        task: Task,
    ) -> tuple[Redaction, Admission]:
        """The pseudonymised question (step 2), then the turn's worst case reserved."""
        conversation = opened.conversation
        redaction = self.pseudonymiser.anonymise(question, opened.vault, known_values=known)
        # The worst case is reserved against the budgets before anything is spent; a nearly
        # spent budget gets the route a tier down, a spent one refuses with a message to show.
        admission = self.costs.reserve(
            self.router,
            task,
            message=redaction.text,
            customer_tier=opened.loaded.history.customer.tier,
            input_tokens=self.context_max_tokens + self.counter.count(redaction.text),
            user_id=conversation.user_id,
            role=conversation.role,
            conversation_id=conversation_id,
        )
        return redaction, admission

    def load(self, customer_id: str) -> LoadedCustomer:
        """The customer's history and rule outcomes, or CustomerNotFound."""
        try:
            return self.context_builder.load(customer_id)
        except UnknownCustomer:
            raise CustomerNotFound(customer_id) from None

    def warm_redaction(self, customer_id: str) -> None:
        """Analyse the customer's notes as the conversation opens, not in its first turn."""
        try:
            self.context_builder.warm_redaction(self.load(customer_id))
        except PseudonymisationError as exc:
            # The first turn analyses the notes again and fails closed there.
            log.warning("CRM note analysis failed ahead of a first turn (%s)", type(exc).__name__)
