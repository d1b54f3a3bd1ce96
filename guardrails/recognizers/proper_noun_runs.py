"""Two or more capitalised proper nouns in a row ("Jürgen Müller") that spaCy did not call a name.

spaCy's small model tags such words as proper nouns but often labels the pair an organisation or
a place, or nothing. In support text the products are allow-listed and cities, months and common
words are excluded here, so a run of capitalised proper nouns left over is most often a person.
"""

from __future__ import annotations

from collections.abc import Collection

from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

# Lower-case particles inside a name: "Ludwig van Beethoven", "Maria de la Cruz".
_PARTICLES = frozenset("van von der den de del della di da du la le bin ibn al el".split())  # noqa: SIM905
_MIN_WORDS = 2
_MAX_WORDS = 4


class ProperNounRunRecognizer(EntityRecognizer):
    """PERSON for a run of 2-4 capitalised, uncommon proper nouns (tagged by the main pass)."""

    def __init__(self, common_words: Collection[str]) -> None:
        self._common = frozenset(w.casefold() for w in common_words)
        super().__init__(supported_entities=["PERSON"], name="ProperNounRunRecognizer")

    def load(self) -> None:
        """Nothing to load: it reads the tags of the analyzer's own spaCy pass."""

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        """One result per run of capitalised proper nouns, particles allowed inside."""
        if (entities and "PERSON" not in entities) or nlp_artifacts is None:
            return []
        if nlp_artifacts.tokens is None:
            return []
        results: list[RecognizerResult] = []
        run: list[tuple[int, int]] = []
        for token in [*nlp_artifacts.tokens, None]:
            if token is not None and self._is_name_token(token.text, str(token.pos_)):
                run.append((int(token.idx), int(token.idx) + len(token.text)))
                continue
            if token is not None and run and token.text.casefold() in _PARTICLES:
                run.append((-1, -1))  # a particle may continue the run, never end it
                continue
            words = _strip_particles(run)
            if _MIN_WORDS <= len(words) <= _MAX_WORDS and _adjacent(text, words):
                results.append(self._result(words[0][0], words[-1][1]))
            run = []
        return results

    def _is_name_token(self, word: str, pos: str) -> bool:
        """A capitalised alphabetic proper noun that is not an ordinary word."""
        return (
            pos == "PROPN"
            and word[:1].isupper()
            and not word.isupper()
            and word.replace("-", "").replace("'", "").isalpha()
            and word.casefold() not in self._common
        )

    def _result(self, start: int, end: int) -> RecognizerResult:
        """A PERSON result left alone by Presidio's context enhancer."""
        return RecognizerResult(
            "PERSON",
            start,
            end,
            0.5,
            recognition_metadata={
                RecognizerResult.RECOGNIZER_NAME_KEY: "ProperNounRunRecognizer",
                RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY: True,
            },
        )


def _strip_particles(run: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The run without trailing particle markers (particles inside stay covered by the span)."""
    while run and run[-1] == (-1, -1):
        run = run[:-1]
    return [w for w in run if w != (-1, -1)] if run else []


def _adjacent(text: str, words: list[tuple[int, int]]) -> bool:
    """True when the run stays on one line (a name is not split over a line break)."""
    return "\n" not in text[words[0][0] : words[-1][1]]
