"""Memory for one turn: the rolling summary and recent messages, and earlier conversations.

Before the prompt: fold older messages into the rolling summary when the unsummarised part has
passed the threshold, and fetch recaps of the customer's earlier conversations (re-mapped into
this conversation's placeholders). After the answer: update this conversation's recap.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta

from app.conversations import ConversationStore
from app.memory_store import SummaryStore, remap_placeholders
from app.storage.tables import Conversation, utcnow
from app.summariser import Summariser
from context.memory import MemorySplit, Turn, extractive_summary, split_at, summary_cut
from context.tokens import TokenCounter
from guardrails import PseudonymVault


@dataclass(frozen=True, slots=True)
class MemorySettings:
    """When to summarise, how much to keep verbatim, how many earlier conversations to show."""

    summary_threshold_tokens: int = 1500
    keep_recent_messages: int = 6
    earlier_conversations: int = 3
    # A conversation counts as earlier once idle this long: one still going on in another tab
    # is not history yet (and would change every prompt, defeating the exact answer cache).
    earlier_min_idle_minutes: int = 30


@dataclass(frozen=True, slots=True)
class TurnMemory:
    """What memory contributes to one prompt."""

    split: MemorySplit
    summary: str
    earlier: list[tuple[str, str]]  # (label, recap in this conversation's placeholders)


@dataclass(frozen=True, slots=True)
class MemoryDraft:
    """Memory read before a turn: ``ready`` unless a rolling summary is due first (``cut``)."""

    turns: list[Turn]
    covers: int
    summary: str
    cut: int | None
    ready: TurnMemory | None


class MemoryService:
    """Prepares memory before a turn and records the recap after it."""

    def __init__(
        self,
        conversations: ConversationStore,
        summaries: SummaryStore,
        summariser: Summariser,
        counter: TokenCounter,
        settings: MemorySettings,
    ) -> None:
        self._conversations = conversations
        self._summaries = summaries
        self._summariser = summariser
        self._counter = counter
        self._settings = settings

    def with_summariser(self, summariser: Summariser) -> MemoryService:
        """The same service summarising through another provider set."""
        return MemoryService(
            self._conversations, self._summaries, summariser, self._counter, self._settings
        )

    async def prepare(
        self, conversation: Conversation, vault: PseudonymVault, turn: int
    ) -> TurnMemory:
        """Memory for the next prompt; may write a new rolling summary first."""
        return await self.complete(
            await asyncio.to_thread(self.draft, conversation, vault), conversation, vault, turn
        )

    def draft(self, conversation: Conversation, vault: PseudonymVault) -> MemoryDraft:
        """What memory reads before a turn (blocking SQL: call it in a worker thread)."""
        assert conversation.id is not None
        turns = self._conversations.pseudonymised_turns(conversation.id)
        stored = self._summaries.get(conversation.id)
        covers = stored.covers_messages if stored else 0
        summary = stored.rolling_text if stored else ""
        cut = summary_cut(
            turns,
            covers,
            threshold=self._settings.summary_threshold_tokens,
            keep_recent=self._settings.keep_recent_messages,
            counter=self._counter,
        )
        if cut is not None:
            return MemoryDraft(turns, covers, summary, cut, None)
        ready = TurnMemory(split_at(turns, covers), summary, self._earlier(conversation, vault))
        return MemoryDraft(turns, covers, summary, None, ready)

    async def complete(
        self, draft: MemoryDraft, conversation: Conversation, vault: PseudonymVault, turn: int
    ) -> TurnMemory:
        """The drafted memory, after folding older messages into the summary when one is due."""
        if draft.ready is not None:
            return draft.ready
        assert conversation.id is not None and draft.cut is not None
        turns, covers, cut = draft.turns, draft.covers, draft.cut
        summary, method = await self._summariser.summarise(
            draft.summary,
            turns[covers:cut],
            conversation_id=conversation.id,
            turn=turn,
            scope=conversation.customer_id,
        )
        return await asyncio.to_thread(
            self._after_summary, conversation, vault, turns, (cut, summary, method)
        )

    def _after_summary(
        self,
        conversation: Conversation,
        vault: PseudonymVault,
        turns: list[Turn],
        rolling: tuple[int, str, str],
    ) -> TurnMemory:
        """Store the new rolling summary, then the memory over it (blocking SQL)."""
        assert conversation.id is not None
        covers, summary, _ = rolling
        recap = self._recap(summary, turns[covers:])
        self._summaries.save(
            conversation.id, conversation.customer_id, recap=recap, rolling=rolling
        )
        return TurnMemory(split_at(turns, covers), summary, self._earlier(conversation, vault))

    def record(self, conversation: Conversation) -> None:
        """Update the conversation's recap once a turn is stored (pseudonymised text only)."""
        assert conversation.id is not None
        stored = self._summaries.get(conversation.id)
        covers = stored.covers_messages if stored else 0
        turns = self._conversations.pseudonymised_turns(conversation.id)
        recap = self._recap(stored.rolling_text if stored else "", turns[covers:])
        self._summaries.save(conversation.id, conversation.customer_id, recap=recap)

    def _recap(self, summary: str, later: list[Turn]) -> str:
        return "\n".join(p for p in (summary, extractive_summary(later)) if p)

    def _earlier(self, conversation: Conversation, vault: PseudonymVault) -> list[tuple[str, str]]:
        assert conversation.id is not None
        # A customer sees recaps of their own widget conversations only, never agents' notes.
        roles = ("customer",) if conversation.role == "customer" else ("agent", "customer")
        rows = self._summaries.earlier(
            conversation.customer_id,
            exclude=conversation.id,
            limit=self._settings.earlier_conversations,
            roles=roles,
            idle_since=utcnow() - timedelta(minutes=self._settings.earlier_min_idle_minutes),
        )
        earlier = []
        for row in rows:
            source = self._conversations.vault(self._conversations.get(row.conversation_id))
            label = f"conversation {row.conversation_id} ({row.updated_at.date().isoformat()})"
            earlier.append((label, remap_placeholders(row.recap_text, source, vault)))
        return earlier
