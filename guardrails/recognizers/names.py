"""Names typed in lower case or in capitals, which spaCy's small model mostly misses.

Two recognizers: one reads the name after phrases that introduce or sign one ("my name is",
"this is", "regards,"); the other runs spaCy's NER again on a case-normalised copy of the text,
where words that are not common English are capitalised and shouted common words lowered, so
"john smith" and "JOHN SMITH" look like "John Smith" to the model. The copy has the same length
as the text (a word whose case change would alter its length is left alone), so offsets carry over.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts
from spacy.language import Language

from guardrails.recognizers.name_phrases import NAME_PHRASES

_WORD_RE = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
# Parts of speech a lower-case word after "this is" has when it is not a name ("this is urgent").
_NOT_NAME_POS = frozenset({"VERB", "AUX", "ADJ", "ADV", "ADP", "DET", "PRON", "PART", "NUM"})
_MAX_NAME_WORDS = 3
_INFLECTIONS = ("s", "ed", "ing")
_STOP_WORDS = frozenset(
    "a an and or but the of to in on at for with from by is are was were be i me my you your "  # noqa: SIM905
    "we our he she it they them his her their this that again too also please".split()
)
# On a re-cased copy spaCy often calls a name an organisation or a place; cities, products and
# common words are excluded later, so these labels count as a name in the case pass.
_NAME_LIKE_LABELS = frozenset({"PERSON", "ORG", "GPE", "NORP", "LOC", "FAC"})
_MIN_CASE_PASS_WORDS = 2
# Words of context either side of a candidate name run given to spaCy in the case pass.
_WINDOW_BEFORE = 6
_WINDOW_AFTER = 4


def truecase(text: str, common_words: Collection[str]) -> str:
    """``text`` with lower-case and shouted words re-cased: names capitalised, common words not."""
    parts: list[str] = []
    position = 0
    for match in _WORD_RE.finditer(text):
        word = match.group(0)
        if not (word.islower() or (word.isupper() and len(word) > 1)):
            continue
        if word.casefold() in common_words:
            new = word.lower()
        else:
            new = word[0].upper() + word[1:].lower()
        if new == word or len(new) != len(word):  # "ß".upper() is "SS": keep offsets exact
            continue
        parts += [text[position : match.start()], new]
        position = match.end()
    parts.append(text[position:])
    return "".join(parts)


def _result(recognizer: EntityRecognizer, start: int, end: int, score: float) -> RecognizerResult:
    """A PERSON result tagged with its recognizer, left alone by Presidio's context enhancer."""
    return RecognizerResult(
        "PERSON",
        start,
        end,
        score,
        recognition_metadata={
            RecognizerResult.RECOGNIZER_NAME_KEY: type(recognizer).__name__,
            RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: recognizer.id,
            RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY: True,
        },
    )


class NameContextRecognizer(EntityRecognizer):
    """PERSON after "my name is", "this is", "I'm", "spoke to", or alone after a sign-off."""

    def __init__(self, common_words: Collection[str], lexicon: Collection[str] = ()) -> None:
        self._common = frozenset(w.casefold() for w in common_words)
        self._lexicon = frozenset(lexicon)
        super().__init__(supported_entities=["PERSON"], name="NameContextRecognizer")

    def load(self) -> None:
        """Nothing to load."""

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        """Names introduced or signed in ``text``; the words must not be common or verb-like."""
        if entities and "PERSON" not in entities:
            return []
        pos_at = _pos_by_offset(nlp_artifacts)
        lemma_at = _lemma_by_offset(nlp_artifacts)
        results: list[RecognizerResult] = []
        for pattern, score, check_pos, min_words in NAME_PHRASES:
            for match in pattern.finditer(text):
                span = self._name_words(
                    match, pos_at if check_pos else {}, lemma_at, min_words=min_words
                )
                if span is not None:
                    results.append(_result(self, span[0], span[1], score))
        return results

    def _name_words(
        self,
        match: re.Match[str],
        pos_at: dict[int, str],
        lemma_at: dict[int, str],
        *,
        min_words: int,
    ) -> tuple[int, int] | None:
        """The leading run of words of the match that can be a name, or None.

        After the first name word, a capitalised ordinary word still belongs to the name ("Kevin
        Day", "Jordan Bird"); a lower-case or stop word ends it.
        """
        end = None
        start = match.start("value")
        accepted = 0
        for word in re.finditer(r"\S+", match.group("value")):
            offset = start + word.start()
            text = word.group(0)
            lowered = text.casefold()
            title_case = text[0].isupper() and not text.isupper()
            if accepted >= _MAX_NAME_WORDS or lowered in _STOP_WORDS:
                break
            if lowered in self._common and not (accepted > 0 and title_case):
                break
            if (
                not text[0].isupper()
                and pos_at.get(offset) in _NOT_NAME_POS
                and self._is_english(lowered, lemma_at.get(offset))
            ):
                break
            end = offset + len(text)
            accepted += 1
        if end is None or accepted < min_words:
            return None
        return start, end

    def _is_english(self, word: str, lemma: str | None) -> bool:
        """True if the word or its lemma is English (always, when there is no lexicon)."""
        word = word.strip(".,;:!?")
        if not self._lexicon or word in self._lexicon:
            return True
        # Only a regular inflection counts through its lemma: "locked" is English because "lock"
        # is, but "verdier" is not English because the lemmatizer guessed "verdi" for it.
        return lemma in self._lexicon and word.endswith(_INFLECTIONS)


def _windows(text: str, runs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Stretches of ``text`` around each run (a few words either side), merged where they meet."""
    if not runs:
        return []
    tokens = [m.span() for m in re.finditer(r"\S+", text)]
    windows: list[tuple[int, int]] = []
    for run_start, run_end in runs:
        first = next(i for i, (a, b) in enumerate(tokens) if b > run_start)
        last = max(i for i, (a, b) in enumerate(tokens) if a < run_end)
        start = tokens[max(0, first - _WINDOW_BEFORE)][0]
        end = tokens[min(len(tokens) - 1, last + _WINDOW_AFTER)][1]
        if windows and start <= windows[-1][1]:
            windows[-1] = (windows[-1][0], max(end, windows[-1][1]))
        else:
            windows.append((start, end))
    return windows


def _lemma_by_offset(nlp_artifacts: NlpArtifacts | None) -> dict[int, str]:
    """Lemma of each token of the main spaCy pass, by its start offset."""
    if nlp_artifacts is None or nlp_artifacts.tokens is None:
        return {}
    return {
        int(idx): str(lemma).casefold()
        for idx, lemma in zip(nlp_artifacts.tokens_indices, nlp_artifacts.lemmas, strict=False)
    }


def _pos_by_offset(nlp_artifacts: NlpArtifacts | None) -> dict[int, str]:
    """Part-of-speech tag of each token of the main spaCy pass, by its start offset."""
    if nlp_artifacts is None or nlp_artifacts.tokens is None:
        return {}
    doc = nlp_artifacts.tokens
    # One array read instead of a Token object per word (a third of this recognizer's time).
    strings = doc.vocab.strings
    return {int(idx): strings[int(pos)] for idx, pos in doc.to_array(["IDX", "POS"])}


class CaseNormalisedNameRecognizer(EntityRecognizer):
    """PERSON found by spaCy in a case-normalised copy where the text was not capitalised."""

    def __init__(self, nlp: Language, common_words: Collection[str]) -> None:
        self._nlp = nlp
        self._common = frozenset(w.casefold() for w in common_words)
        # Only the entity recognizer is needed on the copy: skip tagging and parsing (time).
        self._disabled = [p for p in nlp.pipe_names if p not in ("tok2vec", "ner")]
        super().__init__(supported_entities=["PERSON"], name="CaseNormalisedNameRecognizer")

    def load(self) -> None:
        """Nothing to load: the spaCy pipeline is the analyzer's own."""

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        """PERSON entities of the re-cased copy that were lower-case or shouted in ``text``."""
        if entities and "PERSON" not in entities:
            return []
        pos_at = _pos_by_offset(nlp_artifacts)
        windows = _windows(text, self._candidate_runs(text, pos_at))
        if not windows:
            return []  # no two uncapitalised uncommon words in a row: nothing for this pass
        copies = [truecase(text[start:end], self._common) for start, end in windows]
        results: list[RecognizerResult] = []
        docs = self._nlp.pipe(copies, disable=self._disabled)
        for (offset, _), doc in zip(windows, docs, strict=True):
            for ent in doc.ents:
                if ent.label_ not in _NAME_LIKE_LABELS:
                    continue
                span = self._name_span(text, offset + ent.start_char, offset + ent.end_char, pos_at)
                if span is not None:
                    results.append(_result(self, span[0], span[1], 0.6))
        return results

    def _candidate_runs(self, text: str, pos_at: dict[int, str]) -> list[tuple[int, int]]:
        """Stretches of two or more adjacent lower-case or shouted words that could be a name."""
        runs: list[tuple[int, int]] = []
        run: list[tuple[int, int]] = []
        for match in _WORD_RE.finditer(text):
            start, end = match.span()
            if not self._could_be_name_word(text, start, end, pos_at):
                run = []
                continue
            if run and not text[run[-1][1] : start].isspace():
                run = []
            run.append((start, end))
            if len(run) == _MIN_CASE_PASS_WORDS:
                runs.append((run[0][0], end))
            elif len(run) > _MIN_CASE_PASS_WORDS:
                runs[-1] = (runs[-1][0], end)
        return runs

    def _could_be_name_word(self, text: str, start: int, end: int, pos_at: dict[int, str]) -> bool:
        """A lower-case or shouted word, not common, not a verb-like word, not in an address."""
        word = text[start:end]
        if not (word.islower() or (word.isupper() and len(word) > 1)):
            return False
        if word.casefold() in self._common or (
            word.islower() and pos_at.get(start) in _NOT_NAME_POS
        ):
            return False
        before = text[start - 1] if start > 0 else " "
        after = text[end] if end < len(text) else " "
        return (
            before not in "@./_"
            and after not in "@/_"
            and not (after == "." and text[end + 1 : end + 2].isalnum())
        )

    def _name_span(
        self, text: str, start: int, end: int, pos_at: dict[int, str]
    ) -> tuple[int, int] | None:
        """The entity without common words at its edges, if it is a new lower/upper-case name."""
        words = [(start + m.start(), start + m.end()) for m in _WORD_RE.finditer(text[start:end])]
        while words and text[words[0][0] : words[0][1]].casefold() in self._common:
            words.pop(0)
        while words and text[words[-1][0] : words[-1][1]].casefold() in self._common:
            words.pop()
        if len(words) < _MIN_CASE_PASS_WORDS or any(ch.isdigit() for ch in text[start:end]):
            return None
        originals = [text[a:b] for a, b in words]
        if all(w[:1].isupper() and not w.isupper() for w in originals):
            return None  # written capitalised: the main pass already judged it
        if any(w.casefold() in self._common for w in originals):
            return None
        # The main pass tagged the lower-case text: "keeps logging" is a verb phrase, not a name.
        if any(text[a:b].islower() and pos_at.get(a) in _NOT_NAME_POS for a, b in words):
            return None
        return words[0][0], words[-1][1]
