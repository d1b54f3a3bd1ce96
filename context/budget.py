"""Token budgeting: share one budget among sections by priority, trimming at safe boundaries.

Each section asks for what its items need; in priority order it first gets up to its share of
the budget, then whatever the sections before it left over. Items go in whole, in order, while
they fit; an item marked ``splittable`` (a passage, a summary) may be cut after its last whole
sentence that fits. Cuts happen only at whitespace after ``.``, ``!`` or ``?``, so a placeholder
such as ``<PERSON_1>`` (no whitespace inside) is never split.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
TRIMMED = " (trimmed)"


class Counter(Protocol):
    """Anything that counts tokens (the tiktoken ``TokenCounter`` in production)."""

    def count(self, text: str) -> int:
        """Number of tokens in ``text``."""
        ...


@dataclass(frozen=True, slots=True)
class Item:
    """One unit of a section: a label for the plan report and its text."""

    label: str
    text: str
    splittable: bool = False
    prefix: str = ""  # kept whole around a trimmed text (a passage's tags)
    suffix: str = ""

    @property
    def full(self) -> str:
        """The item as it goes into the prompt."""
        return f"{self.prefix}{self.text}{self.suffix}"


@dataclass(frozen=True, slots=True)
class SectionSpec:
    """A section's items in priority order, its share of the budget, and its wrapping tags."""

    name: str
    items: Sequence[Item]
    share: float
    open: str = ""
    close: str = ""


@dataclass(slots=True)
class SectionResult:
    """What one section got: its budget, the tokens used, kept texts, included and dropped."""

    name: str
    budget: int
    tokens: int = 0
    texts: list[str] = field(default_factory=list)
    included: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    kept_indexes: list[int] = field(default_factory=list)
    wrap: tuple[str, str] = ("", "")

    def render(self) -> str:
        """The section's block, or "" when nothing was kept."""
        if not self.texts:
            return ""
        return self.wrap[0] + "\n".join(self.texts) + self.wrap[1]


def item_cost(text: str, counter: Counter) -> int:
    """Tokens of one item plus the newline that separates it from the next."""
    return counter.count(text) + 1


def trim_to_sentences(text: str, max_tokens: int, counter: Counter) -> str:
    """The longest prefix of whole sentences within ``max_tokens`` ("" when none fits)."""
    if counter.count(text) <= max_tokens:
        return text
    cuts = [m.start() for m in _SENTENCE_END.finditer(text)]
    low, high, best = 0, len(cuts) - 1, ""
    while low <= high:  # token counts grow with the prefix, so bisect the cut points
        middle = (low + high) // 2
        candidate = text[: cuts[middle]]
        if counter.count(candidate) <= max_tokens:
            best, low = candidate, middle + 1
        else:
            high = middle - 1
    return best


def _wrap_cost(spec: SectionSpec, counter: Counter) -> int:
    return (counter.count(spec.open) if spec.open else 0) + (
        counter.count(spec.close) if spec.close else 0
    )


def _fill(spec: SectionSpec, budget: int, counter: Counter) -> SectionResult:
    result = SectionResult(spec.name, budget, wrap=(spec.open, spec.close))
    wrap = _wrap_cost(spec, counter)
    used = wrap
    for index, item in enumerate(spec.items):
        text = item.full
        cost = item_cost(text, counter)
        if used + cost <= budget:
            result.texts.append(text)
            result.included.append(item.label)
            result.kept_indexes.append(index)
            used += cost
            continue
        if item.splittable:
            room = budget - used - 1 - counter.count(item.prefix) - counter.count(item.suffix)
            # Counting the parts apart may differ from counting the whole by a token at a seam.
            cut = trim_to_sentences(item.text, room - 2, counter) if room > 2 else ""
            trimmed = f"{item.prefix}{cut}{item.suffix}"
            if cut and used + item_cost(trimmed, counter) <= budget:
                result.texts.append(trimmed)
                result.included.append(item.label + TRIMMED)
                result.kept_indexes.append(index)
                used += item_cost(trimmed, counter)
                continue
        result.dropped.append(item.label)
    result.tokens = used if result.texts else 0
    return result


class _CountOnce:
    """One plan's counter: every item is counted for its need, its fill and any refill."""

    def __init__(self, counter: Counter) -> None:
        self._counter = counter
        self._seen: dict[str, int] = {}

    def count(self, text: str) -> int:
        """Tokens of ``text``, from tiktoken the first time in this plan."""
        tokens = self._seen.get(text)
        if tokens is None:
            tokens = self._seen[text] = self._counter.count(text)
        return tokens


def plan_budget(specs: Sequence[SectionSpec], budget: int, counter: Counter) -> list[SectionResult]:
    """Share ``budget`` among ``specs`` (highest priority first); never more than ``budget``.

    First each section gets up to its share; then, in priority order, sections that had to
    drop items are filled again with what is left (unused grants included), so a section
    keeps only what its items really use and the rest flows on to the next one.
    """
    budget = max(0, budget)
    counter = _CountOnce(counter)
    needs = [
        _wrap_cost(s, counter) + sum(item_cost(i.full, counter) for i in s.items) if s.items else 0
        for s in specs
    ]
    grants = []
    remaining = budget
    for spec, need in zip(specs, needs, strict=True):
        grant = min(need, math.floor(spec.share * budget), remaining)
        grants.append(grant)
        remaining -= grant
    results = [_fill(s, g, counter) for s, g in zip(specs, grants, strict=True)]
    pool = remaining
    for result in results:
        if result.dropped:  # a section that had to drop gives back what it could not use
            pool += result.budget - result.tokens
            result.budget = result.tokens
    for index, spec in enumerate(specs):
        result = results[index]
        if not result.dropped or pool <= 0:
            continue
        refilled = _fill(spec, result.tokens + pool, counter)
        refilled.budget = refilled.tokens
        pool -= refilled.tokens - result.tokens
        results[index] = refilled
    return results
