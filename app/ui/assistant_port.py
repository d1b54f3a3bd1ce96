"""The part of the turn orchestrator the Chainlit layer uses, as a protocol.

`app.assistant.Assistant` satisfies it structurally; the view code depends on this seam only.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Protocol

from app.turn_types import ConversationRole, TurnEvent
from app.ui.rendering import CustomerLike
from context.builder import LoadedCustomer


class AssistantPort(Protocol):
    """Starts conversations, answers turns and looks customers up."""

    async def start_conversation(
        self, *, user_id: int, customer_id: str, role: ConversationRole
    ) -> int:
        """Open a conversation about one customer; returns its id."""
        ...

    def respond(self, conversation_id: int, text: str) -> AsyncIterator[TurnEvent]:
        """Run one turn, yielding ContextReady, AnswerDeltas and a final TurnResult."""
        ...

    def find_customers(self, query: str, limit: int = 8) -> Sequence[CustomerLike]:
        """Customers matching an id, email or name fragment."""
        ...

    def customer_summary(self, customer_id: str) -> CustomerLike:
        """One customer by id; raises CustomerNotFound."""
        ...

    def customer_record(self, customer_id: str) -> LoadedCustomer:
        """The customer's history and rule outcomes; raises CustomerNotFound."""
        ...
