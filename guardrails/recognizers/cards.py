"""Payment cards in groupings Presidio's pattern misses (4-6-5 Amex, 4-6-4 Diners, 19 digits)."""

from __future__ import annotations

from guardrails.recognizers.context_pattern import ContextPatternRecognizer, ValuePattern

CARD_PATTERNS = [
    ValuePattern(
        "4-6-5 or 4-6-4 groups", r"(?<![\d-])[3-6]\d{3}[ -]\d{6}[ -]\d{4,5}(?![\d-])", 0.6
    ),
    ValuePattern(
        "four-digit groups or one run",
        r"(?<![\d-])(?:[2-6]\d{3}(?:[ -]\d{4}){2}[ -]\d{1,7}|[2-6]\d{12,18})(?![\d-])",
        0.55,
    ),
]
_MIN_DIGITS, _MAX_DIGITS = 13, 19
_DOUBLED = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)


def luhn_valid(value: str) -> bool:
    """True for 13 to 19 digits (separators ignored) with a valid Luhn check digit."""
    digits = [int(ch) for ch in value if ch.isdigit()]
    if not _MIN_DIGITS <= len(digits) <= _MAX_DIGITS:
        return False
    total = sum(d if i % 2 == 0 else _DOUBLED[d] for i, d in enumerate(reversed(digits)))
    return total % 10 == 0


def card_recognizer() -> ContextPatternRecognizer:
    """CREDIT_CARD: Luhn-valid card numbers in any common grouping."""
    return ContextPatternRecognizer(
        "CREDIT_CARD", CARD_PATTERNS, name="CardGroupingRecognizer", is_valid=luhn_valid
    )
