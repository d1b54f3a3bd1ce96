"""Conversation memory: the most recent turns that fit the memory budget, oldest first."""

from __future__ import annotations

from collections.abc import Sequence

from context.assembly import SectionPlan
from context.tokens import TokenCounter


def select_memory(
    turns: Sequence[tuple[str, str]], *, budget: int, counter: TokenCounter
) -> tuple[list[tuple[str, str]], SectionPlan]:
    """Keep the newest (author, text) turns within ``budget`` tokens; older ones are dropped."""
    plan = SectionPlan("memory", budget)
    kept: list[tuple[str, str]] = []
    for index in range(len(turns) - 1, -1, -1):
        author, text = turns[index]
        cost = counter.count(text) + 4
        if plan.tokens + cost > budget:
            plan.dropped.extend(f"message {i + 1}" for i in range(index, -1, -1))
            break
        kept.append((author, text))
        plan.tokens += cost
        plan.included.append(f"message {index + 1}")
    kept.reverse()
    plan.included.reverse()
    plan.dropped.reverse()
    return kept, plan
