"""Recognizers beyond Presidio's defaults: addresses, postcodes, birth dates, accounts, names."""

from __future__ import annotations

from presidio_analyzer import EntityRecognizer
from spacy.language import Language

from guardrails.everyday_terms import ordinary_words
from guardrails.recognizers.addresses import postcode_recognizer, street_address_recognizer
from guardrails.recognizers.cards import card_recognizer
from guardrails.recognizers.english_lexicon import english_lexicon
from guardrails.recognizers.iban import iban_recognizer
from guardrails.recognizers.names import CaseNormalisedNameRecognizer, NameContextRecognizer
from guardrails.recognizers.personal_numbers import (
    account_number_recognizer,
    date_of_birth_recognizer,
)
from guardrails.recognizers.phones import phone_shape_recognizer, validated_digit_run_recognizer
from guardrails.recognizers.proper_noun_runs import ProperNounRunRecognizer
from guardrails.recognizers.record_ids import record_id_recognizers


def extra_recognizers(nlp: Language | None) -> list[EntityRecognizer]:
    """The recognizers to add to the analyzer; ``nlp`` (its spaCy pipeline) adds the case pass."""
    words = ordinary_words()
    recognizers: list[EntityRecognizer] = [
        street_address_recognizer(),
        postcode_recognizer(),
        date_of_birth_recognizer(),
        account_number_recognizer(),
        card_recognizer(),
        iban_recognizer(),
        validated_digit_run_recognizer(),
        phone_shape_recognizer(),
        *record_id_recognizers(),
        NameContextRecognizer(words, english_lexicon(nlp)),
        ProperNounRunRecognizer(words),
    ]
    if nlp is not None:
        recognizers.append(CaseNormalisedNameRecognizer(nlp, words))
    return recognizers
