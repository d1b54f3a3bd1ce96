"""Read the context blocks of Deskpilot's prompt format back out of the messages.

The format (see the brief) puts tagged blocks in the system message: ``<audience>``,
``<customer>`` (``key: value`` lines), ``<orders>`` and ``<tickets>`` (``- ID: key=value; ...``
lines) and ``<passage ...>`` blocks. The last user message is the question. Passages are quoted
data: they are cut out before the other blocks are looked for, so a passage that contains
``<orders>`` cannot pose as account data.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from providers.base import Message

_PASSAGE = re.compile(r"<passage\s([^>]*)>(.*?)</passage>", re.DOTALL)
_ATTRIBUTE = re.compile(r'(\w+)\s*=\s*"([^"]*)"')
# A record id is the company's own (ORD-200001) or, once pseudonymised, a placeholder.
_RECORD_LINE = re.compile(r"^\s*-\s*([A-Z]+-\d+|<[A-Z]+(?:_[A-Z]+)*_\d+>)\s*:\s*(.*)$")
# Split fields only at a semicolon that starts a new ``key=``, so values may contain ``;``.
_FIELD_SPLIT = re.compile(r";\s*(?=[a-z_]+=)")


@dataclass(frozen=True, slots=True)
class Record:
    """One order or ticket line: its id and its ``key=value`` fields (empty values dropped)."""

    id: str
    fields: dict[str, str] = field(default_factory=dict)

    def get(self, key: str) -> str:
        """The field's value, or ``""`` when it is missing or empty."""
        return self.fields.get(key, "")


@dataclass(frozen=True, slots=True)
class Passage:
    """One retrieved knowledge-base passage."""

    source: str
    title: str
    section: str
    score: float | None
    text: str


@dataclass(frozen=True, slots=True)
class ParsedPrompt:
    """Everything the local responder needs from one prompt."""

    audience: str = "customer"
    customer: dict[str, str] = field(default_factory=dict)
    orders: tuple[Record, ...] = ()
    tickets: tuple[Record, ...] = ()
    passages: tuple[Passage, ...] = ()
    question: str = ""
    history: tuple[Message, ...] = ()


def parse_prompt(messages: Sequence[Message]) -> ParsedPrompt:
    """Parse the system context blocks and the current question out of chat messages."""
    system = "\n".join(m.content for m in messages if m.role == "system")
    passages = tuple(_parse_passage(m.group(1), m.group(2)) for m in _PASSAGE.finditer(system))
    rest = _PASSAGE.sub("", system)
    audience = _block(rest, "audience").strip().lower()
    user_indexes = [i for i, m in enumerate(messages) if m.role == "user"]
    last_user = user_indexes[-1] if user_indexes else None
    return ParsedPrompt(
        audience="agent" if audience == "agent" else "customer",
        customer=_parse_key_values(_block(rest, "customer")),
        orders=_parse_records(_block(rest, "orders")),
        tickets=_parse_records(_block(rest, "tickets")),
        passages=passages,
        question=messages[last_user].content.strip() if last_user is not None else "",
        history=tuple(m for i, m in enumerate(messages) if m.role != "system" and i != last_user),
    )


def _block(text: str, tag: str) -> str:
    """The inside of the first ``<tag>...</tag>`` block, or ``""``."""
    found = re.search(rf"<{tag}>(.*?)</{tag}>", text, re.DOTALL)
    return found.group(1) if found else ""


def _parse_key_values(block: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in block.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() and value.strip():
            values[key.strip().lower()] = value.strip()
    return values


def _parse_records(block: str) -> tuple[Record, ...]:
    records: list[Record] = []
    for line in block.splitlines():
        found = _RECORD_LINE.match(line)
        if not found:
            continue
        fields: dict[str, str] = {}
        for part in _FIELD_SPLIT.split(found.group(2)):
            key, sep, value = part.partition("=")
            if sep and value.strip():
                fields[key.strip().lower()] = value.strip().rstrip(";").strip()
        records.append(Record(found.group(1), fields))
    return tuple(records)


def _parse_passage(raw_attributes: str, body: str) -> Passage:
    attributes = {k.lower(): html.unescape(v) for k, v in _ATTRIBUTE.findall(raw_attributes)}
    try:
        score: float | None = float(attributes.get("score", ""))
    except ValueError:
        score = None
    source = attributes.get("source", "")
    return Passage(
        source=source,
        title=attributes.get("title", "") or source,
        section=attributes.get("section", ""),
        score=score,
        text=body.strip(),
    )
