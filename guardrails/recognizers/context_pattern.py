"""A Presidio recognizer whose regex holds its own context and reports only the ``value`` group.

Presidio's context words raise a score when a lemma sits within a few tokens of a match; a
phrase like "date of birth" or "account no." is better written into the regex itself, so the
context is exact and only the value ("12/03/1985", "88412093") is replaced, not the phrase.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

# Flags of every pattern here: case-insensitive unless a pattern says (?-i:...) for a part.
FLAGS = re.IGNORECASE


@dataclass(frozen=True)
class ValuePattern:
    """A named regex whose ``value`` group (or whole match) is the personal value, and its score."""

    name: str
    pattern: str
    score: float


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """Compile a recognizer pattern with the shared flags."""
    return re.compile(pattern, FLAGS)


class ContextPatternRecognizer(EntityRecognizer):
    """Finds one entity type by regexes; an optional check can reject a candidate value."""

    def __init__(
        self,
        entity_type: str,
        patterns: Sequence[ValuePattern],
        *,
        name: str,
        is_valid: Callable[[str], bool] | None = None,
    ) -> None:
        self._compiled = [(p, compile_pattern(p.pattern)) for p in patterns]
        self._is_valid = is_valid
        self._recognizer_name = name
        super().__init__(supported_entities=[entity_type], name=name)

    def load(self) -> None:
        """Nothing to load: the patterns are compiled in the constructor."""

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        """Every match of every pattern, as a result over its ``value`` group."""
        entity_type = self.supported_entities[0]
        if entities and entity_type not in entities:
            return []
        results: list[RecognizerResult] = []
        for pattern, compiled in self._compiled:
            for match in compiled.finditer(text):
                group = "value" if "value" in compiled.groupindex else 0
                start, end = match.span(group)
                if start < 0 or start == end:
                    continue
                if self._is_valid is not None and not self._is_valid(text[start:end]):
                    continue
                results.append(self._result(entity_type, start, end, pattern))
        return results

    def _result(
        self, entity_type: str, start: int, end: int, pattern: ValuePattern
    ) -> RecognizerResult:
        """A result that Presidio's context enhancer leaves alone (the context is in the regex)."""
        return RecognizerResult(
            entity_type,
            start,
            end,
            pattern.score,
            recognition_metadata={
                RecognizerResult.RECOGNIZER_NAME_KEY: self._recognizer_name,
                RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY: True,
            },
        )
