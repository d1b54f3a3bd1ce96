"""A postcode written straight after a street address: "7002 Max Light, 73367".

A bare four- to six-digit number is no postcode on its own, but right after a street line (and
its flat, floor or suite) it is the code of that address, whatever the country's layout.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from guardrails.known_values import Span

_TAIL = re.compile(
    r",?\s*(?:(?:apt|apartment|suite|ste|unit|flat|floor|piano|piso|puerta|planta|appartamento"
    r"|apartamento|etage|étage)\.?\s*\d{1,4}[a-z]?,?\s*)?(\d{4,6})(?![\w-]|[.,]\d)",
    re.IGNORECASE,
)
_SCORE = 0.6


def postcodes_after_streets(text: str, spans: Sequence[Span]) -> list[Span]:
    """POSTCODE spans for numbers that directly follow a STREET_ADDRESS span and are not taken."""
    taken = [(s.start, s.end) for s in spans]
    found: list[Span] = []
    for span in spans:
        if span.entity_type != "STREET_ADDRESS":
            continue
        match = _TAIL.match(text, span.end)
        if match is None:
            continue
        start, end = match.span(1)
        if all(end <= a or start >= b for a, b in taken):
            found.append(Span(start, end, "POSTCODE", _SCORE))
    return found
