"""The last check before a prompt leaves the process: no known personal value may be in it."""

from __future__ import annotations

from collections.abc import Sequence

from context.customer_history import CustomerHistory
from providers import Message


def known_values(history: CustomerHistory) -> dict[str, list[str]]:
    """The customer's own personal values, to find in messages and refuse in prompts."""
    c = history.customer
    known: dict[str, list[str]] = {"PERSON": [c.name], "EMAIL_ADDRESS": [c.email]}
    if c.phone:
        known["PHONE_NUMBER"] = [c.phone]
    return known


def assert_no_raw_values(messages: Sequence[Message], known: dict[str, list[str]]) -> None:
    """Last line of defence: refuse to send a prompt that still holds a known personal value."""
    for message in messages:
        lowered = message.content.casefold()
        for values in known.values():
            for value in values:
                if value and value.casefold() in lowered:
                    raise RuntimeError("refusing to send: a personal value survived redaction")
