"""Dates of birth and account numbers: values recognised by the words written next to them."""

from __future__ import annotations

import re

from guardrails.recognizers.context_pattern import ContextPatternRecognizer, ValuePattern

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_YEAR = r"(?:19|20)\d{2}"
_DATE = (
    r"(?:\d{1,2}[./-]\d{1,2}[./-](?:\d{4}|\d{2})"  # 12/03/1985, 3.12.85
    rf"|{_YEAR}[./-]\d{{1,2}}[./-]\d{{1,2}}"  # 1985-03-12
    rf"|{_DAY}(?:\s+of)?\s+{_MONTH},?\s+{_YEAR}"  # 3rd of March 1985
    rf"|{_MONTH}\s+{_DAY},?\s+{_YEAR})"  # March 3, 1985
)
_BIRTH_WORDS = (
    r"(?:born|date\s+of\s+birth|d\.?o\.?b\.?|birth\s?date|birth\s?day|b-?day|geburtsdatum"
    r"|geboren|né|née|fecha\s+de\s+nacimiento)"
)

DATE_OF_BIRTH_PATTERNS = [
    # "born on 3 March 1985", "DOB: 12/03/1985", "my date of birth is 1985-03-12"
    ValuePattern(
        "date after a birth word",
        rf"(?<!\w){_BIRTH_WORDS}(?!\w)[^\d\n]{{0,30}}?(?P<value>{_DATE})(?!\d)",
        0.85,
    ),
    # "12/03/1985 (date of birth)", "1985-03-12 is my birthday"
    ValuePattern(
        "date before a birth word",
        rf"(?<![\w/.-])(?P<value>{_DATE})(?!\d)[\s,(]{{1,3}}(?:is\s+my\s+|my\s+)?{_BIRTH_WORDS}\b",
        0.75,
    ),
]

# A group of an account number: up to four letters, then a digit, then letters or digits.
_GROUP = r"[a-z]{0,4}\d[a-z\d]*"
_ACCOUNT_WORDS = (
    r"(?:(?:bank\s+|customer\s+|member(?:ship)?\s+|loyalty\s+)?account|acct|acc|a/c|routing"
    r"|sort\s+code)"
)

ACCOUNT_NUMBER_PATTERNS = [
    # "account number 88412093", "acct #: 5521-339-01", "a/c no. 0012 4455 7788"
    ValuePattern(
        "value after an account word",
        rf"(?<!\w){_ACCOUNT_WORDS}\.?\s*(?:number|num|no|nr|#|id)?\.?\s*(?:is|was|:|=|-)?\s*"
        rf"(?:#\s*)?(?P<value>{_GROUP}(?:[\s-]{_GROUP}){{0,5}})(?![\w-])",
        0.85,  # above a phone finding boosted by "number" nearby
    ),
]

# Order, ticket and customer ids have their own types (not pseudonymised yet, by design).
_OWN_ID_PREFIX = re.compile(r"(?:ORD|TCK|CUS)-", re.IGNORECASE)
_MIN_ACCOUNT_DIGITS = 5


def _plausible_account(value: str) -> bool:
    """At least five digits, and not one of the product's own order/ticket/customer ids."""
    digits = sum(ch.isdigit() for ch in value)
    return digits >= _MIN_ACCOUNT_DIGITS and not _OWN_ID_PREFIX.match(value)


def date_of_birth_recognizer() -> ContextPatternRecognizer:
    """DATE_OF_BIRTH: a full date written next to "born", "DOB", "date of birth" or "birthday"."""
    return ContextPatternRecognizer(
        "DATE_OF_BIRTH", DATE_OF_BIRTH_PATTERNS, name="DateOfBirthRecognizer"
    )


def account_number_recognizer() -> ContextPatternRecognizer:
    """ACCOUNT_NUMBER: digits (and letters) written after "account number", "acct", "a/c"."""
    return ContextPatternRecognizer(
        "ACCOUNT_NUMBER",
        ACCOUNT_NUMBER_PATTERNS,
        name="AccountNumberRecognizer",
        is_valid=_plausible_account,
    )
