"""Pseudonymisation with real Presidio and spaCy: nothing personal leaves, text stays readable."""

from __future__ import annotations

import re
from typing import Any

import pytest

from guardrails import (
    PseudonymisationError,
    Pseudonymiser,
    PseudonymVault,
    build_analyzer,
)

PRODUCTS = ["Voltra X2 Headphones", "Nimbus Pro Speaker", "Orla Buds", "Juno Max"]
# spaCy's small model reads these product names as people.
MISREAD_AS_PEOPLE = ["My Orla Buds stopped charging.", "Can Juno Max pair with my laptop?"]
KNOWN = {
    "PERSON": ["Margaret Oyelaran"],
    "EMAIL_ADDRESS": ["m.oyelaran@example.org"],
    "PHONE_NUMBER": ["+1 415 555 0142"],
}
PLACEHOLDER = re.compile(r"<[A-Z_]+_\d+>")


@pytest.fixture(scope="module")
def analyzer() -> Any:
    return build_analyzer()


@pytest.fixture(scope="module")
def pseudonymiser(analyzer: Any) -> Pseudonymiser:
    return Pseudonymiser(analyzer, allow_list=PRODUCTS)


@pytest.mark.slow
def test_name_email_phone_and_card_are_all_replaced(pseudonymiser: Pseudonymiser) -> None:
    vault = PseudonymVault()
    text = (
        "Hello, my name is John Smith. You can reach me at john.smith@example.com or on "
        "+1 (202) 555-0173. I paid with card 4111 1111 1111 1111 and was charged twice."
    )
    redaction = pseudonymiser.anonymise(text, vault)
    for raw in ("John", "Smith", "john.smith@example.com", "555-0173", "4111 1111 1111 1111"):
        assert raw not in redaction.text
    assert {"<PERSON_1>", "<EMAIL_ADDRESS_1>", "<PHONE_NUMBER_1>", "<CREDIT_CARD_1>"} <= set(
        PLACEHOLDER.findall(redaction.text)
    )
    assert "was charged twice" in redaction.text
    assert vault.restore(redaction.text) == text
    assert {e.entity_type for e in redaction.entities} >= {"PERSON", "CREDIT_CARD"}


@pytest.mark.slow
def test_known_values_are_caught_in_any_case_and_form(pseudonymiser: Pseudonymiser) -> None:
    vault = PseudonymVault()
    text = (
        "this is margaret oyelaran. MARGARET OYELARAN again! Oyelaran is my surname, write to "
        "M.Oyelaran@Example.org or call 415-555-0142."
    )
    redaction = pseudonymiser.anonymise(text, vault, known_values=KNOWN)
    lowered = redaction.text.casefold()
    for raw in ("margaret", "oyelaran", "415", "0142"):
        assert raw not in lowered, f"{raw!r} survived"
    assert redaction.text.count("<PERSON_1>") == 3
    assert "<EMAIL_ADDRESS_1>" in redaction.text and "<PHONE_NUMBER_1>" in redaction.text
    assert vault.value_for("<PERSON_1>") == "Margaret Oyelaran", "filed under the CRM value"


@pytest.mark.slow
def test_known_first_name_alone_is_replaced_but_common_words_survive(
    analyzer: Any,
) -> None:
    vault = PseudonymVault()
    text = "Hi, Will here. I will wait for the parcel, will you tell Baker?"
    redaction = Pseudonymiser(analyzer).anonymise(
        text, vault, known_values={"PERSON": ["Will Baker"]}
    )
    assert redaction.text == (
        "Hi, <PERSON_1> here. I will wait for the parcel, will you tell <PERSON_1>?"
    )


@pytest.mark.slow
def test_same_name_in_two_messages_gets_the_same_placeholder(
    pseudonymiser: Pseudonymiser,
) -> None:
    vault = PseudonymVault()
    first = pseudonymiser.anonymise("Please ask Daniel Kowalski to call me back.", vault)
    second = pseudonymiser.anonymise("Did Daniel Kowalski reply? Jane Porter asked too.", vault)
    assert "<PERSON_1>" in first.text and "<PERSON_1>" in second.text
    assert "Daniel" not in second.text and "Kowalski" not in second.text
    assert vault.value_for("<PERSON_1>") == "Daniel Kowalski"


@pytest.mark.slow
@pytest.mark.parametrize(
    "text",
    [
        "My Voltra X2 headphones won't pair, what should I do?",
        "How long does a refund take after I return an item?",
        *MISREAD_AS_PEOPLE,
    ],
)
def test_ordinary_support_text_comes_through_unchanged(
    pseudonymiser: Pseudonymiser, text: str
) -> None:
    vault = PseudonymVault()
    redaction = pseudonymiser.anonymise(text, vault)
    assert redaction.text == text
    assert redaction.entities == []
    assert vault.known_values() == []


@pytest.mark.slow
@pytest.mark.parametrize("text", MISREAD_AS_PEOPLE)
def test_without_the_allow_list_product_names_would_be_redacted(analyzer: Any, text: str) -> None:
    redaction = Pseudonymiser(analyzer).anonymise(text, PseudonymVault())
    assert "<PERSON_1>" in redaction.text


@pytest.mark.slow
def test_allow_list_does_not_shield_a_real_name_next_to_a_product(
    pseudonymiser: Pseudonymiser,
) -> None:
    vault = PseudonymVault()
    text = "Daniel Kowalski says his Orla Buds crackle."
    redaction = pseudonymiser.anonymise(text, vault)
    assert redaction.text == "<PERSON_1> says his Orla Buds crackle."


@pytest.mark.slow
def test_email_check_never_fetches_the_suffix_list(
    pseudonymiser: Pseudonymiser, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As if tldextract had been imported before TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS was set.
    import socket

    import tldextract.tldextract

    online = tldextract.tldextract.TLDExtract(
        cache_dir=None, suffix_list_urls=["http://192.0.2.1/"]
    )
    monkeypatch.setattr(tldextract.tldextract, "TLD_EXTRACTOR", online)
    attempts: list[object] = []

    def refuse(self: socket.socket, address: object) -> None:
        attempts.append(address)
        raise OSError("no network in tests")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    redaction = pseudonymiser.anonymise("Write to ana.lima@example.com.br", PseudonymVault())
    assert redaction.text == "Write to <EMAIL_ADDRESS_1>"
    assert attempts == []


class _BrokenAnalyzer:
    def analyze(self, text: str, **kwargs: Any) -> list[Any]:
        raise ValueError(f"could not process {text!r}")


def test_analyzer_failure_fails_closed_without_quoting_the_text() -> None:
    secret = "Ring Priya Raman on 0207 946 0958"
    pseudonymiser = Pseudonymiser(_BrokenAnalyzer())  # type: ignore[arg-type]
    with pytest.raises(PseudonymisationError) as caught:
        pseudonymiser.anonymise(secret, PseudonymVault())
    message = str(caught.value)
    assert "Priya" not in message and "0207" not in message
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_an_international_phone_number_is_replaced_with_its_plus(
    pseudonymiser: Pseudonymiser,
) -> None:
    vault = PseudonymVault()
    redaction = pseudonymiser.anonymise("Call me on +44 20 7946 0018 after six.", vault)
    assert redaction.text == "Call me on <PHONE_NUMBER_1> after six."
    assert vault.restore(redaction.text) == "Call me on +44 20 7946 0018 after six."


def test_record_ids_are_pseudonymised_and_the_rest_stays_readable(
    pseudonymiser: Pseudonymiser,
) -> None:
    vault = PseudonymVault()
    text = "Order ORD-200001 for the Nimbus Pro speaker is late; ticket tck-300001 is open."
    redaction = pseudonymiser.anonymise(text, vault)
    assert redaction.text == (
        "Order <ORDER_ID_1> for the Nimbus Pro speaker is late; ticket <TICKET_ID_1> is open."
    )
    assert vault.restore(redaction.text) == text
    assert pseudonymiser.anonymise("Any news on ORD-200001?", vault).text == (
        "Any news on <ORDER_ID_1>?"
    ), "the same order keeps its placeholder for the whole conversation"
