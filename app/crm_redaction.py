"""Personal data in CRM free text (contact notes, ticket subjects) before it enters a prompt.

The customer's own values and record ids are masked by the context step itself; a third party's
name or number typed into a note by a colleague is not known to it. Presidio finds those once per
distinct text (cached: the same notes come back every turn) and the turn's vault masks them, so a
value gets the same placeholder in the note as anywhere else in the conversation.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from guardrails import Pseudonymiser, PseudonymVault

Found = tuple[tuple[str, int, int], ...]  # (entity type, start, end) per finding


class CrmTextRedactor:
    """``redact(text, mask)`` for the context step, with the findings cached per text."""

    def __init__(self, pseudonymiser: Pseudonymiser, *, max_texts: int = 4096) -> None:
        self._pseudonymiser = pseudonymiser
        self._find: Callable[[str], Found] = functools.lru_cache(maxsize=max_texts)(self._detect)

    def _detect(self, text: str) -> Found:
        """Where personal data is in ``text`` (PseudonymisationError when analysis fails)."""
        redaction = self._pseudonymiser.anonymise(text, PseudonymVault())
        return tuple((e.entity_type, e.start, e.end) for e in redaction.entities)

    def __call__(self, text: str, mask: Callable[[str, str], str]) -> str:
        """``text`` with each finding replaced by ``mask(type, value)``."""
        parts: list[str] = []
        position = 0
        for entity_type, start, end in self._find(text):
            parts += [text[position:start], mask(entity_type, text[start:end])]
            position = end
        parts.append(text[position:])
        return "".join(parts)
