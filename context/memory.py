"""Conversation memory: recent messages, a rolling summary of older ones, earlier conversations.

Memory holds pseudonymised text only (what the prompt saw and the model said), so a summary of it
may go to a provider. Without one, ``extractive_summary`` keeps the customer's questions and the
sentences of answers that carry facts (numbers, ids, placeholders, dates).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from context.budget import Counter, Item

_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_FACTUAL = re.compile(r"\d|<[A-Z_]+_\d+>|\b[A-Z]{2,}-\d+\b")
Turn = tuple[str, str]  # (author "user" | "assistant", pseudonymised text)


@dataclass(frozen=True, slots=True)
class MemorySplit:
    """Messages to summarise (older) and to keep verbatim (recent); ``start`` numbers recent."""

    older: list[Turn]
    recent: list[Turn]
    start: int


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(" ".join(text.split())) if s.strip()]


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def extractive_summary(turns: Sequence[Turn], *, max_answer_sentences: int = 2) -> str:
    """One line per message: the question asked, and the factual sentences of each answer."""
    lines = []
    for author, text in turns:
        sentences = _sentences(text)
        if not sentences:
            continue
        if author == "user":
            lines.append(f"Customer asked: {_clip(' '.join(sentences[:2]), 240)}")
            continue
        factual = [s for s in sentences[1:] if _FACTUAL.search(s)]
        kept = [sentences[0], *factual][:max_answer_sentences]
        lines.append(f"Assistant said: {_clip(' '.join(kept), 320)}")
    return "\n".join(lines)


def turns_tokens(turns: Sequence[Turn], counter: Counter) -> int:
    """Tokens of the messages as chat turns (text plus the per-message overhead)."""
    return sum(counter.count(text) + 4 for _, text in turns)


def summary_cut(
    turns: Sequence[Turn], covers: int, *, threshold: int, keep_recent: int, counter: Counter
) -> int | None:
    """Where a new rolling summary should end, or None while the unsummarised part is small.

    Messages after the current summary (``covers``) stay verbatim until they pass ``threshold``
    tokens; then all but the ``keep_recent`` newest are folded into the summary. So a summary
    call happens once per threshold's worth of conversation, not on every turn.
    """
    pending = turns[covers:]
    if turns_tokens(pending, counter) <= threshold or len(pending) <= keep_recent:
        return None
    return len(turns) - keep_recent


def split_at(turns: Sequence[Turn], covers: int) -> MemorySplit:
    """Messages the summary stands for, and the ones kept verbatim after it."""
    covers = min(max(covers, 0), len(turns))
    return MemorySplit(list(turns[:covers]), list(turns[covers:]), covers)


def memory_items(summary: str, split: MemorySplit) -> list[Item]:
    """Budget items: the summary first, then recent messages newest first (oldest drop first)."""
    items = []
    if summary:
        items.append(Item(f"summary of messages 1-{split.start}", summary, splittable=True))
    for offset in range(len(split.recent) - 1, -1, -1):
        author, text = split.recent[offset]
        items.append(Item(f"message {split.start + offset + 1}", f"{author}: {text}"))
    return items


def history_items(summaries: Sequence[tuple[str, str]]) -> list[Item]:
    """Budget items of earlier conversations: (label, summary), newest first."""
    return [Item(label, text, splittable=True) for label, text in summaries]
