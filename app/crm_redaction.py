"""Personal data in CRM free text (contact notes, ticket subjects) before it enters a prompt.

The customer's own values and record ids are masked by the context step itself; a third party's
name or number typed into a note by a colleague is not known to it. Presidio finds those once per
distinct text (cached: the same notes come back every turn) and the turn's vault masks them, so a
value gets the same placeholder in the note as anywhere else in the conversation.

The cache holds where the findings are, never replaced text: placeholders are numbered by each
conversation's vault. It is keyed by a digest of the text, bounded, and shared by threads: a
text already being analysed by one thread (the turn's early warm-up) is waited for, not analysed
twice.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable

from guardrails import Pseudonymiser, PseudonymVault

Found = tuple[tuple[str, int, int], ...]  # (entity type, start, end) per finding


def _key(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


class CrmTextRedactor:
    """``redact(text, mask)`` for the context step, with the findings cached per text."""

    def __init__(self, pseudonymiser: Pseudonymiser, *, max_texts: int = 4096) -> None:
        self._pseudonymiser = pseudonymiser
        self._max_texts = max_texts
        self._found: OrderedDict[bytes, Found] = OrderedDict()  # least recently used first
        self._running: dict[bytes, threading.Event] = {}
        self._lock = threading.Lock()

    def _detect(self, text: str) -> Found:
        """Where personal data is in ``text`` (PseudonymisationError when analysis fails)."""
        redaction = self._pseudonymiser.anonymise(text, PseudonymVault())
        return tuple((e.entity_type, e.start, e.end) for e in redaction.entities)

    def _find(self, text: str) -> Found:
        """The cached findings, else this thread's analysis, else another thread's."""
        key = _key(text)
        while True:
            with self._lock:
                found = self._found.get(key)
                if found is not None:
                    self._found.move_to_end(key)
                    return found
                running = self._running.get(key)
                if running is None:
                    running = self._running[key] = threading.Event()
                    break
            running.wait()  # then the result is cached, or that analysis failed: try ourselves
        try:
            found = self._detect(text)
            with self._lock:
                self._found[key] = found
                if len(self._found) > self._max_texts:
                    self._found.popitem(last=False)
            return found
        finally:
            with self._lock:
                del self._running[key]
            running.set()

    def __call__(self, text: str, mask: Callable[[str, str], str]) -> str:
        """``text`` with each finding replaced by ``mask(type, value)``."""
        parts: list[str] = []
        position = 0
        for entity_type, start, end in self._find(text):
            parts += [text[position:start], mask(entity_type, text[start:end])]
            position = end
        parts.append(text[position:])
        return "".join(parts)
