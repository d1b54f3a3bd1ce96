"""The end of a turn, off the event loop: rule flags, ledger and audit, the stored turn, the recap.

These are synchronous SQL writes, encryption and token counting. On the event-loop thread they
stalled every other session for tens of milliseconds a turn (longer while SQLite waited for its
write lock), so they run in one worker-thread hop, in the order they always had.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

from app.conversations import ConversationStore, StoredTurn
from app.cost_controls import Admission
from app.ledger import Ledger
from app.rule_flags import flag_answer, stored_flags
from app.storage.tables import Conversation
from app.turn_accounting import TurnAccount, TurnAccounting
from app.turn_memory import MemoryService
from app.turn_outcome import TurnOutcome
from context.assembly import PromptPlan
from context.rules import RuleFlag, RuleSet
from guardrails import PseudonymVault

log = logging.getLogger(__name__)

T = TypeVar("T")


async def in_thread_to_completion(work: Callable[[], T]) -> T:
    """Run ``work`` in a worker thread; a caller cancelled meanwhile still waits for it to end.

    A thread cannot be stopped: without the wait, the turn's clean-up (releasing the budget
    reservation) would race the settlement still being written.
    """
    task = asyncio.ensure_future(asyncio.to_thread(work))
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        while not task.done():
            try:
                await asyncio.wait({task})
            except asyncio.CancelledError:
                continue  # cancelled again: the writes must still finish first
        if not task.cancelled():
            task.exception()  # retrieved: the cancellation is what the caller must see
        raise


@dataclass(frozen=True, slots=True)
class FinishedTurn:
    """What the end of a turn wrote, for the result shown to the user."""

    flags: list[RuleFlag]
    message_id: int
    cost: Decimal | None


@dataclass(frozen=True, slots=True)
class TurnWriters:
    """Everything the end of a turn writes to, captured from the assistant at that moment."""

    conversations: ConversationStore
    accounting: TurnAccounting
    memory: MemoryService
    ledger: Ledger
    rules: RuleSet

    def finish(
        self,
        admission: Admission,
        account: TurnAccount,
        stored: StoredTurn,
        *,
        conversation: Conversation,
        plan: PromptPlan,
        outcome: TurnOutcome,
        vault: PseudonymVault,
    ) -> FinishedTurn:
        """Flag, account, store and recap one turn (blocking: call it in a worker thread)."""
        flags = flag_answer(stored.answer_raw, plan, self.rules)
        self.accounting.record(admission, account)  # 7
        message_id = self.conversations.save_turn(
            account.conversation_id,
            account.turn,
            dataclasses.replace(stored, rule_flags_json=stored_flags(flags, vault)),
            vault,
        )
        if flags:
            log.warning(
                "answer contradicts the rules: conversation=%s turn=%s checks=%s",
                account.conversation_id,
                account.turn,
                ",".join(f.check for f in flags),
            )
        self.memory.record(conversation)
        cost = self.ledger.price(outcome.final) if outcome.final else None
        return FinishedTurn(flags, message_id, cost)
