"""Per-conversation mapping between real personal values and placeholders like ``<PERSON_1>``."""

from __future__ import annotations

import json
import re
import unicodedata

# A placeholder is at most 40 characters: "<" + type (1-31 chars) + "_" + number (1-6 digits) + ">".
# The stream restorer relies on this bound to know how much text it may have to hold back.
PLACEHOLDER_MAX_LEN = 40
PLACEHOLDER_RE = re.compile(r"<([A-Z][A-Z0-9_]{0,30})_(\d{1,6})>")
REDACTED = "[redacted]"

_ENTITY_TYPE_RE = re.compile(r"[A-Z][A-Z0-9_]{0,30}")
_JSON_VERSION = 1


def normalise_value(entity_type: str, value: str) -> str:
    """The comparison key of a value: digits only for phones, else casefolded with single spaces."""
    if entity_type == "PHONE_NUMBER":
        digits = "".join(ch for ch in value if ch.isdigit())
        if digits:
            return digits
    return " ".join(unicodedata.normalize("NFKC", value).casefold().split())


class PseudonymVault:
    """Stable placeholders for the real values seen in one conversation, and the way back."""

    def __init__(self) -> None:
        self._by_key: dict[tuple[str, str], str] = {}
        self._values: dict[str, str] = {}
        self._types: dict[str, str] = {}
        self._counts: dict[str, int] = {}

    def placeholder_for(self, entity_type: str, value: str) -> str:
        """The placeholder of ``value``; the same (normalised) value always gets the same one."""
        if not _ENTITY_TYPE_RE.fullmatch(entity_type):
            raise ValueError(f"entity type must be upper-case letters, digits, _: {entity_type!r}")
        key = (entity_type, normalise_value(entity_type, value))
        existing = self._by_key.get(key)
        if existing is not None:
            return existing
        number = self._counts.get(entity_type, 0) + 1
        placeholder = f"<{entity_type}_{number}>"
        self._counts[entity_type] = number
        self._by_key[key] = placeholder
        self._values[placeholder] = value
        self._types[placeholder] = entity_type
        return placeholder

    def value_for(self, placeholder: str) -> str | None:
        """The real value behind ``placeholder``, or None if this vault never issued it."""
        return self._values.get(placeholder)

    def restore(self, text: str) -> str:
        """Replace known placeholders by their values and unknown placeholder-like tokens."""
        return PLACEHOLDER_RE.sub(self._replacement, text)

    def _replacement(self, match: re.Match[str]) -> str:
        # A placeholder the model invented must never reach the reader as a raw token.
        return self._values.get(match.group(0), REDACTED)

    def values_by_type(self) -> dict[str, list[str]]:
        """Every real value in the vault by entity type (to find them again in new text)."""
        grouped: dict[str, list[str]] = {}
        for placeholder, value in self._values.items():
            grouped.setdefault(self._types[placeholder], []).append(value)
        return grouped

    def known_values(self) -> list[str]:
        """Every real value in the vault, in order of first appearance (for egress checks)."""
        return list(self._values.values())

    def __len__(self) -> int:
        return len(self._values)

    def to_json(self) -> str:
        """Serialise for storage (the caller encrypts it: it holds raw personal data)."""
        entries = [
            {"placeholder": p, "entity_type": self._types[p], "value": v}
            for p, v in self._values.items()
        ]
        return json.dumps({"version": _JSON_VERSION, "entries": entries}, ensure_ascii=False)

    @classmethod
    def from_json(cls, data: str) -> PseudonymVault:
        """Rebuild a vault saved by ``to_json``; placeholders keep their numbers."""
        payload = json.loads(data)
        if not isinstance(payload, dict) or payload.get("version") != _JSON_VERSION:
            raise ValueError("not a pseudonym vault (unknown format or version)")
        vault = cls()
        for entry in payload["entries"]:
            placeholder, entity_type, value = (
                str(entry["placeholder"]),
                str(entry["entity_type"]),
                str(entry["value"]),
            )
            match = PLACEHOLDER_RE.fullmatch(placeholder)
            if match is None or match.group(1) != entity_type:
                raise ValueError("pseudonym vault entry has a malformed placeholder")
            number = int(match.group(2))
            vault._by_key[(entity_type, normalise_value(entity_type, value))] = placeholder
            vault._values[placeholder] = value
            vault._types[placeholder] = entity_type
            vault._counts[entity_type] = max(vault._counts.get(entity_type, 0), number)
        return vault
