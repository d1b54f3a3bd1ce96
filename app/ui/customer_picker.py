"""Choosing the customer an agent is helping: commands, exact keys and what a search leads to.

Pure decisions; the Chainlit handlers turn them into messages and action buttons.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from app.ui.rendering import CustomerLike, md_escape

PICK_ACTION = "pick_customer"
CHANGE_ACTION = "change_customer"
MAX_CHOICES = 8
MAX_ECHO_CHARS = 60  # a pasted paragraph is not echoed back whole

_CUSTOMER_ID = re.compile(r"^CUS-\d+$", re.IGNORECASE)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_COMMAND = re.compile(r"^/customer(?:\s+(?P<query>.*))?$", re.IGNORECASE | re.DOTALL)

C = TypeVar("C", bound=CustomerLike)


@dataclass(frozen=True, slots=True)
class Selected(Generic[C]):
    """The search named exactly one customer: start the conversation."""

    customer: C


@dataclass(frozen=True, slots=True)
class Choices(Generic[C]):
    """Several candidates (or a name search): let the agent pick one."""

    query: str
    customers: list[C]


@dataclass(frozen=True, slots=True)
class NoMatch:
    """Nothing matched the search."""

    query: str


PickOutcome = Selected[C] | Choices[C] | NoMatch


def customer_command(text: str) -> str | None:
    """The query of a `/customer <query>` command ("" when bare), or None if not the command."""
    match = _COMMAND.match(text.strip())
    if match is None:
        return None
    return (match.group("query") or "").strip()


def looks_like_exact_key(query: str) -> bool:
    """True for a customer id (CUS-10001) or an email address: a search meant to hit one."""
    text = query.strip()
    return bool(_CUSTOMER_ID.match(text) or _EMAIL.match(text))


def decide(query: str, matches: Sequence[C]) -> PickOutcome[C]:
    """What a search leads to: an id/email naming one customer selects it, else a choice."""
    key = query.strip()
    if not matches:
        return NoMatch(query=key)
    if looks_like_exact_key(key):
        if len(matches) == 1:
            return Selected(matches[0])
        exact = [c for c in matches if key.casefold() in (c.id.casefold(), c.email.casefold())]
        if len(exact) == 1:
            return Selected(exact[0])
    return Choices(query=key, customers=list(matches[:MAX_CHOICES]))


def echo(query: str) -> str:
    """The search as quoted back to the agent: one line, shortened, markdown-safe."""
    text = " ".join(query.split())
    if len(text) > MAX_ECHO_CHARS:
        text = text[: MAX_ECHO_CHARS - 1].rstrip() + "…"
    return md_escape(text)


def choice_label(customer: CustomerLike) -> str:
    """The text of a pick button: name and id."""
    return f"{customer.name} · {customer.id}"


def choice_tooltip(customer: CustomerLike) -> str:
    """The hover text of a pick button: email and tier."""
    return f"{customer.email} · tier {customer.tier}"


def choices_prompt(outcome: Choices[C]) -> str:
    """The message above the pick buttons."""
    count = len(outcome.customers)
    noun = "customer matches" if count == 1 else "customers match"
    return f"{count} {noun} “{echo(outcome.query)}”. Pick one, or type another search."


def no_match_message(outcome: NoMatch) -> str:
    """What to say when a search found nobody."""
    return (
        f"No customer matches “{echo(outcome.query)}”. Choose the customer first: type an id "
        "like `CUS-10001`, an email or part of a name."
    )


def empty_query_message() -> str:
    """What to say for `/customer` without a query."""
    return "Type the customer's id, email or part of their name, e.g. `/customer CUS-10001`."
