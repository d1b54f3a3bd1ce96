"""Token counting with tiktoken, for budgets and for the call ledger's estimates."""

from __future__ import annotations

import tiktoken


class TokenCounter:
    """Counts tokens the way the target model family does (``o200k_base`` for current models)."""

    def __init__(self, encoding: str = "o200k_base") -> None:
        self._encoding = tiktoken.get_encoding(encoding)
        self.encoding_name = encoding

    def count(self, text: str) -> int:
        """Number of tokens in ``text``."""
        return len(self._encoding.encode(text, disallowed_special=()))

    def count_messages(self, contents: list[str]) -> int:
        """Tokens of a chat request: contents plus the per-message overhead chat formats add."""
        return sum(self.count(c) + 4 for c in contents) + 3
