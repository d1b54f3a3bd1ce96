"""Find the CRM's known personal values and allow-listed words in a text (regexes, no NLP)."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

# Name parts shorter than this are too ambiguous to replace on their own ("Al", "Jo").
MIN_NAME_PART_LETTERS = 3
_MIN_PHONE_DIGITS = 7
# A run of digits with the separators people type in phone numbers: "+1 (555) 010-2030".
_PHONE_RUN_RE = re.compile(r"(?<![\w+])\+?\(?\d(?:[ .\-/()]{0,3}\d)+(?!\d)")


@dataclass(frozen=True, slots=True)
class Span:
    """A stretch ``text[start:end]`` to replace; ``value`` is what the vault files it under."""

    start: int
    end: int
    entity_type: str
    score: float
    value: str | None = None  # None: the matched text itself


def _phrase_pattern(phrase: str) -> str:
    """Regex for ``phrase`` as whole words, any run of whitespace between its words."""
    body = r"\s+".join(re.escape(word) for word in phrase.split())
    return rf"(?<!\w){body}(?!\w)"


def _significant_digits(text: str) -> str:
    """Digits of a phone number without leading zeros (trunk prefix), for suffix comparison."""
    return "".join(ch for ch in text if ch.isdigit()).lstrip("0")


def _same_phone(a: str, b: str) -> bool:
    """True if two digit strings are the same number, with or without a country code."""
    shorter, longer = sorted((a, b), key=len)
    return len(shorter) >= _MIN_PHONE_DIGITS and longer.endswith(shorter)


def find_known_values(
    text: str,
    known_values: Mapping[str, Sequence[str]],
    *,
    common_words: Collection[str] = frozenset(),
) -> list[Span]:
    """Every occurrence of a known value, case-insensitive; PERSON also matches single name parts.

    A single name part that is a common word ("will", "may") is matched only when capitalised, so
    "I will call" survives for a customer called Will Baker, while "Will" and "WILL" are replaced.
    """
    spans: list[Span] = []
    phone_runs: list[re.Match[str]] | None = None
    for entity_type, values in known_values.items():
        for raw in values:
            value = " ".join(raw.split())
            if not value:
                continue
            if entity_type == "PHONE_NUMBER":
                if phone_runs is None:
                    phone_runs = list(_PHONE_RUN_RE.finditer(text))
                digits = _significant_digits(value)
                spans.extend(
                    Span(m.start(), m.end(), entity_type, 1.0, value)
                    for m in phone_runs
                    if _same_phone(_significant_digits(m.group(0)), digits)
                )
            for m in re.finditer(_phrase_pattern(value), text, re.IGNORECASE):
                spans.append(Span(m.start(), m.end(), entity_type, 1.0, value))
            if entity_type == "PERSON":
                spans.extend(_name_part_spans(text, value, common_words))
    return spans


def _name_part_spans(text: str, full_name: str, common_words: Collection[str]) -> list[Span]:
    """Occurrences of the first name or last name alone, filed under the full name."""
    spans: list[Span] = []
    parts = full_name.split()
    if len(parts) < 2:
        return spans
    for part in parts:
        if sum(ch.isalpha() for ch in part) < MIN_NAME_PART_LETTERS:
            continue
        is_common = part.casefold() in common_words
        for m in re.finditer(_phrase_pattern(part), text, re.IGNORECASE):
            if is_common and m.group(0).islower():
                continue
            spans.append(Span(m.start(), m.end(), "PERSON", 1.0, full_name))
    return spans


def allow_list_pattern(allow_list: Collection[str]) -> re.Pattern[str] | None:
    """One case-insensitive regex matching any allow-listed phrase as whole words, longest first."""
    phrases = sorted({" ".join(p.split()) for p in allow_list if p.strip()}, key=len, reverse=True)
    if not phrases:
        return None
    return re.compile("|".join(_phrase_pattern(p) for p in phrases), re.IGNORECASE)


def subtract(span: Span, holes: Sequence[tuple[int, int]], text: str) -> list[Span]:
    """The parts of ``span`` outside ``holes``, trimmed of punctuation; crumbs are dropped."""
    pieces = [(span.start, span.end)]
    for h_start, h_end in holes:
        next_pieces: list[tuple[int, int]] = []
        for p_start, p_end in pieces:
            if h_end <= p_start or h_start >= p_end:
                next_pieces.append((p_start, p_end))
                continue
            next_pieces.extend((a, b) for a, b in ((p_start, h_start), (h_end, p_end)) if a < b)
        pieces = next_pieces
    result: list[Span] = []
    for p_start, p_end in pieces:
        while p_start < p_end and not text[p_start].isalnum():
            p_start += 1
        while p_end > p_start and not text[p_end - 1].isalnum():
            p_end -= 1
        # A leftover like "'s" next to a removed name is not worth a placeholder.
        if sum(ch.isalnum() for ch in text[p_start:p_end]) >= 2:
            result.append(Span(p_start, p_end, span.entity_type, span.score, span.value))
    return result


def pick_non_overlapping(candidates: Sequence[Span], taken: Sequence[Span] = ()) -> list[Span]:
    """Greedy: longest first, then highest score; a span overlapping a chosen one is dropped."""
    chosen = list(taken)
    for span in sorted(candidates, key=lambda s: (s.start - s.end, -s.score, s.start)):
        if all(span.end <= c.start or span.start >= c.end for c in chosen):
            chosen.append(span)
    return chosen[len(taken) :]
