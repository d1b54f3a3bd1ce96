"""Phone numbers: the shapes people type them in, and bare digit runs a numbering plan accepts.

Presidio's phone recognizer scans the text with libphonenumber's matcher once per region, which
is slow over many regions and misses numbers with a trunk "(0)" inside an international form or
in a plan it does not know. This module replaces it. The shapes are how phone numbers are written
in Europe, the UK, India and North America: an international prefix (+ or 00) and digit groups; a
national number starting with its trunk 0; "(area) number"; North American groups; digits right
after a word that says it is a phone number. A bare digit run counts when libphonenumber finds it
valid in one of the supported regions.
"""

from __future__ import annotations

import re

from guardrails.recognizers.context_pattern import ContextPatternRecognizer, ValuePattern

# Presidio's default phone regions plus the European ones support messages come from.
PHONE_REGIONS = ("US", "GB", "DE", "FR", "ES", "IT", "NL", "IE", "BE", "AT", "CH", "CA", "AU", "IN")

# E.164 allows at most 15 digits; the shortest subscriber numbers with area code have 7.
_MIN_DIGITS, _MAX_DIGITS = 7, 15
_SEP = r"[ \t.-]?"
_NOT_AFTER = r"(?<![\w+\-/.])"
_NOT_BEFORE = r"(?![\w-]|[./]\d)"
_PHONE_WORDS = (
    r"(?:phone|mobile|cell|tel|telephone|landline|call|ring|text|sms|whatsapp"
    r"|callback|reach\s+me|contact\s+me)"
)

PHONE_PATTERNS = [
    # +44 20 7946 0958, +31(0)20 123 4567, 0049 30 1234567, +1-212-555-0188
    ValuePattern(
        "international prefix and digit groups",
        rf"{_NOT_AFTER}(?P<value>(?:\+|00)[1-9]\d{{0,2}}{_SEP}(?:\(0\){_SEP})?\(?\d{{1,5}}\)?"
        rf"(?:{_SEP}\d{{2,8}}){{1,4}}){_NOT_BEFORE}",
        0.6,
    ),
    # (030) 1234567, (01475) 154982, (0441)-709244, (212) 555-0188
    ValuePattern(
        "area code in brackets",
        rf"(?<![\w)])(?P<value>\(\d{{2,5}}\)[ \t-]?\d{{3,8}}(?:[ \t-]\d{{2,6}})?){_NOT_BEFORE}",
        0.6,
    ),
    # 020 7946 0958, 06-12345678, 05 17 08 18 70, 0612 345678 (national numbers start with 0)
    ValuePattern(
        "national number with separators",
        rf"{_NOT_AFTER}(?P<value>0\d{{1,4}}(?:[ \t-]\d{{2,8}}){{1,4}}){_NOT_BEFORE}",
        0.55,
    ),
    # 212-555-0188, 001-212-555-0188, 212.555.0188 (North American groups)
    ValuePattern(
        "north american groups",
        rf"{_NOT_AFTER}(?P<value>(?:001-|1-)?\d{{3}}([-.])\d{{3}}\2\d{{4}}){_NOT_BEFORE}",
        0.6,
    ),
    # "phone 00952736370", "call me on 8788136562" ("number" alone is too often an account's)
    ValuePattern(
        "digits after a phone word",
        rf"(?<!\w){_PHONE_WORDS}(?!\w)[^\d\n+(]{{0,25}}?(?P<value>\+?\d{{8,15}})(?!\w)",
        0.5,
    ),
]

# A run of digits as people type a number: "0481498381", "(0441) 709244", "805 654 7025".
DIGIT_RUN_PATTERNS = [
    ValuePattern(
        "digit run valid as a phone number in a region",
        rf"{_NOT_AFTER}(?P<value>\(?\d[\d \t().-]{{5,18}}\d){_NOT_BEFORE}",
        0.45,
    ),
]

# 12-03-2024, 03.12.85, 2024-03-12: dates share the shape of short national numbers.
_DATE_RE = re.compile(r"\d{1,4}[ .-]\d{1,2}[ .-]\d{2,4}")


def _plausible_phone(value: str) -> bool:
    """Seven to fifteen digits, and not a date."""
    digits = sum(ch.isdigit() for ch in value)
    return _MIN_DIGITS <= digits <= _MAX_DIGITS and _DATE_RE.fullmatch(value) is None


def phone_shape_recognizer() -> ContextPatternRecognizer:
    """PHONE_NUMBER by the shapes phone numbers are written in, valid for a region or not."""
    return ContextPatternRecognizer(
        "PHONE_NUMBER", PHONE_PATTERNS, name="PhoneShapeRecognizer", is_valid=_plausible_phone
    )


def valid_in_a_region(value: str) -> bool:
    """True if libphonenumber finds ``value`` a valid number in one of the supported regions."""
    import phonenumbers

    if not _plausible_phone(value):
        return False
    for region in PHONE_REGIONS:
        try:
            number = phonenumbers.parse(value, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return True
    return False


def validated_digit_run_recognizer() -> ContextPatternRecognizer:
    """PHONE_NUMBER: a bare run of digits that a region's numbering plan accepts.

    Presidio's own recognizer scans the whole text once per region with libphonenumber's
    matcher (about 10 ms for 500 characters over 14 regions); parsing only the digit runs is
    as strict and a hundred times cheaper.
    """
    return ContextPatternRecognizer(
        "PHONE_NUMBER",
        DIGIT_RUN_PATTERNS,
        name="ValidatedPhoneRecognizer",
        is_valid=valid_in_a_region,
    )
