"""Restore placeholders in a streamed answer, even when a placeholder is split across chunks."""

from __future__ import annotations

import re

from guardrails.vault import PLACEHOLDER_MAX_LEN, PseudonymVault

# What the text from the last "<" must look like to possibly become a placeholder later.
_PREFIX_RE = re.compile(r"<(?:[A-Z][A-Z0-9_]*)?")


class StreamRestorer:
    """Turns pseudonymised chunks into displayable text, holding back only a placeholder prefix."""

    def __init__(self, vault: PseudonymVault) -> None:
        self._vault = vault
        self._pending = ""

    def feed(self, chunk: str) -> str:
        """Add a chunk; return the restored text that is safe to show now."""
        text = self._pending + chunk
        cut = self._hold_from(text)
        self._pending = text[cut:]
        # A placeholder never contains "<", so none can straddle a cut made at a "<".
        return self._vault.restore(text[:cut])

    def flush(self) -> str:
        """End of stream: return what is left; an unfinished placeholder is dropped, not shown."""
        text, self._pending = self._pending, ""
        cut = self._hold_from(text)
        tail = text[cut:]
        # A lone "<" is ordinary text; "<PERS" is a cut-off placeholder and would read as noise.
        return self._vault.restore(text[:cut]) + (tail if tail == "<" else "")

    @staticmethod
    def _hold_from(text: str) -> int:
        """Index from which ``text`` could still grow into a placeholder (len(text) if none)."""
        start = text.rfind("<")
        if start == -1:
            return len(text)
        tail = text[start:]
        if len(tail) < PLACEHOLDER_MAX_LEN and _PREFIX_RE.fullmatch(tail):
            return start
        return len(text)
