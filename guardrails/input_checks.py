"""Checks on a user's message before anything else sees it: size, emptiness, control characters."""

from __future__ import annotations

from typing import Literal

RejectReason = Literal["empty", "too_long", "control_chars"]

# Line feed and tab are ordinary typing; carriage returns are normalised to line feeds below.
_ALLOWED_CONTROLS = frozenset("\n\t\r")


class InputRejected(ValueError):
    """A user's message that cannot be processed; ``str(exc)`` is a polite message for the user."""

    def __init__(self, reason: RejectReason, message: str) -> None:
        super().__init__(message)
        self.reason: RejectReason = reason


def _is_forbidden(ch: str) -> bool:
    """True for C0/C1 controls (except newline, tab, CR), surrogates and Unicode noncharacters."""
    cp = ord(ch)
    if cp < 0x20 or 0x7F <= cp <= 0x9F:
        return ch not in _ALLOWED_CONTROLS
    if 0xD800 <= cp <= 0xDFFF:  # a lone surrogate: not valid text, cannot be encoded as UTF-8
        return True
    return 0xFDD0 <= cp <= 0xFDEF or (cp & 0xFFFE) == 0xFFFE


def check_input(text: str, *, max_chars: int) -> str:
    """Return the cleaned message (trimmed, ``\\n`` line endings) or raise ``InputRejected``."""
    if max_chars < 1:
        raise ValueError("max_chars must be at least 1")
    bad = next((ch for ch in text if _is_forbidden(ch)), None)
    if bad is not None:
        raise InputRejected(
            "control_chars",
            f"Your message contains an invisible control character (U+{ord(bad):04X}) that "
            "cannot be processed. Please remove it, or retype the message, and try again.",
        )
    cleaned = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not cleaned:
        raise InputRejected("empty", "Your message is empty. Please type a question or request.")
    if len(cleaned) > max_chars:
        raise InputRejected(
            "too_long",
            f"Your message is {len(cleaned):,} characters; the limit is {max_chars:,}. "
            "Please shorten it.",
        )
    return cleaned
