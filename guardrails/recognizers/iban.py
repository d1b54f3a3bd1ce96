"""IBANs in any country's format, checked by their ISO 7064 mod-97 check digits.

Presidio's IBAN recognizer matches a regex per country and misses some national layouts (Spain's,
written in groups of four); the check digits alone make a false match unlikely (1 in 97), so
any two letters, two digits and 11 to 30 letters or digits that pass mod 97 count.
"""

from __future__ import annotations

import re

from guardrails.recognizers.context_pattern import ContextPatternRecognizer, ValuePattern

_MIN_LENGTH, _MAX_LENGTH = 15, 34  # Norway's IBAN has 15 characters, Saint Lucia's 32; ISO says 34

IBAN_PATTERNS = [
    ValuePattern(
        "IBAN in groups or in one piece",
        r"(?<![\w-])(?P<value>(?-i:[A-Z]{2})\d{2}(?:[ ]?(?-i:[A-Z0-9]){4}){2,7}"
        r"(?:[ ]?(?-i:[A-Z0-9]){1,3})?)(?![\w-])",
        0.9,
    ),
]


def iban_checksum_ok(value: str) -> bool:
    """True if ``value`` (spaces allowed) has an IBAN's length and mod-97 check digits."""
    compact = re.sub(r"\s", "", value).upper()
    if not _MIN_LENGTH <= len(compact) <= _MAX_LENGTH or not compact.isalnum():
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(ch, 36)) for ch in rearranged)) % 97 == 1


def iban_recognizer() -> ContextPatternRecognizer:
    """IBAN_CODE: country code, check digits and account, valid by mod 97."""
    return ContextPatternRecognizer(
        "IBAN_CODE", IBAN_PATTERNS, name="IbanChecksumRecognizer", is_valid=iban_checksum_ok
    )
