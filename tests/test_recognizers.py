"""Recognizers beyond Presidio's defaults: what they remove, and ordinary text they leave alone."""

from __future__ import annotations

import re
from typing import Any

import pytest

from guardrails import DEFAULT_ENTITIES, Pseudonymiser, PseudonymVault, build_analyzer
from guardrails.recognizers.addresses import postcode_recognizer, street_address_recognizer
from guardrails.recognizers.cards import luhn_valid
from guardrails.recognizers.names import truecase
from guardrails.recognizers.personal_numbers import account_number_recognizer

PRODUCTS = ["Voltra X2 Headphones", "Voltra X2", "Nimbus Pro Speaker", "Nimbus 14", "Orla Buds"]


@pytest.fixture(scope="module")
def analyzer() -> Any:
    return build_analyzer()


@pytest.fixture(scope="module")
def pseudonymiser(analyzer: Any) -> Pseudonymiser:
    return Pseudonymiser(analyzer, allow_list=PRODUCTS)


def _redact(pseudonymiser: Pseudonymiser, text: str) -> str:
    return pseudonymiser.anonymise(text, PseudonymVault()).text


def test_new_types_are_in_the_default_entities() -> None:
    for entity in ("STREET_ADDRESS", "POSTCODE", "DATE_OF_BIRTH", "ACCOUNT_NUMBER"):
        assert entity in DEFAULT_ENTITIES
    for entity in ("IBAN_CODE", "IP_ADDRESS", "CREDIT_CARD"):
        assert entity in DEFAULT_ENTITIES


@pytest.mark.slow
@pytest.mark.parametrize(
    ("text", "secret", "entity"),
    [
        ("Please ship it to 1234 Elm Street, Apt 5, Springfield.", "1234 Elm Street", "STREET"),
        ("My flat is at 221B Baker Street now.", "221B Baker Street", "STREET"),
        ("I moved to Hauptstraße 12 in the spring.", "Hauptstraße 12", "STREET"),
        ("Send the replacement to 12 rue de la Paix please.", "12 rue de la Paix", "STREET"),
        ("deliver to calle mayor 5 tomorrow", "calle mayor 5", "STREET"),
        ("New address: Via Roma 10, top floor.", "Via Roma 10", "STREET"),
        ("I live at Kerkstraat 4 since June.", "Kerkstraat 4", "STREET"),
        ("the parcel went to 42 oak avenue instead", "42 oak avenue", "STREET"),
        ("Billing address 77 Harbor Crossing Suite 210, thanks.", "77 Harbor Crossing", "STREET"),
        ("Write to P.O. Box 4411 instead.", "Box 4411", "STREET"),
        ("Springfield, IL 62704 is where it should go.", "62704", "POSTCODE"),
        ("London NW1 6XE, near the station", "NW1 6XE", "POSTCODE"),
        ("It went to 10115 Berlin by mistake.", "10115", "POSTCODE"),
        ("Amsterdam, 1012 JS, second floor", "1012 JS", "POSTCODE"),
        ("my zip is 94105-1234 if that helps", "94105-1234", "POSTCODE"),
        ("postcode sw1a 1aa", "sw1a 1aa", "POSTCODE"),
        ("I was born on 3 March 1985, can you check?", "1985", "DATE_OF_BIRTH"),
        ("DOB: 12/03/1985", "12/03/1985", "DATE_OF_BIRTH"),
        ("my date of birth is 1985-03-12", "1985-03-12", "DATE_OF_BIRTH"),
        ("Date of birth: March 3rd, 1990.", "1990", "DATE_OF_BIRTH"),
        ("07.11.1979 (date of birth)", "07.11.1979", "DATE_OF_BIRTH"),
        ("my account number is 88412093", "88412093", "ACCOUNT_NUMBER"),
        ("acct #: 5521-339-01, please refund there", "5521-339-01", "ACCOUNT_NUMBER"),
        ("Account no. GB0012 4455 7788.", "4455 7788", "ACCOUNT_NUMBER"),
        ("pay it into a/c 00124455", "00124455", "ACCOUNT_NUMBER"),
        ("Card 3782 822463 10005 was charged.", "822463", "CREDIT_CARD"),
    ],
)
def test_each_new_type_is_replaced_in_common_formats(
    pseudonymiser: Pseudonymiser, text: str, secret: str, entity: str
) -> None:
    redacted = _redact(pseudonymiser, text)
    assert secret.casefold() not in redacted.casefold()
    assert re.search(rf"<{entity}[A-Z_]*_1>", redacted), redacted


@pytest.mark.slow
def test_a_date_of_birth_keeps_its_month_inside_one_placeholder(
    pseudonymiser: Pseudonymiser,
) -> None:
    # "March" is on the built-in allow-list for names; it must not split a date of birth.
    assert _redact(pseudonymiser, "born 3 March 1985") == "born <DATE_OF_BIRTH_1>"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("hi, my name is john smith and my headphones crackle", "john smith"),
        ("please ask daniel kowalski to call me back", "daniel kowalski"),
        ("my wife emma chen placed the order", "emma chen"),
        ("hello, i'm fatima zahra el amrani, writing about my refund", "fatima zahra el amrani"),
        ("thanks, priya raman", "priya raman"),
        ("this is sarah, the earbuds arrived broken", "sarah"),
        ("HI THIS IS JOHN SMITH, MY ORDER IS LATE", "JOHN SMITH"),
        ("PLEASE FORWARD THIS TO OLIVER BENNETT IN BILLING", "OLIVER BENNETT"),
        ("I spoke to Jürgen Müller on the phone yesterday.", "Jürgen Müller"),
        ("Regards,\nTomasz Nowak", "Tomasz Nowak"),
        ("Hi Anneliese,\nwhere is the parcel?", "Anneliese"),
    ],
)
def test_names_in_any_case_are_replaced(pseudonymiser: Pseudonymiser, text: str, name: str) -> None:
    redacted = _redact(pseudonymiser, text)
    for part in name.split():
        assert not re.search(rf"(?<!\w){re.escape(part)}(?!\w)", redacted), redacted
    assert "<PERSON_1>" in redacted


# Ordinary support messages: products, model numbers, weekdays, plain dates, cities, totals,
# quantities, shouting and lower case. None holds personal data; all must come through unchanged.
ORDINARY = [
    "My Voltra X2 headphones won't pair, what should I do?",
    "The Nimbus 14 arrived on 3 March but the screen flickers.",
    "I ordered 2 x USB-C Cable 1m on Monday and nothing has shipped since.",
    "Can I return the Orla Buds after 30 days?",
    "My order total was 129.00 USD, why was I charged 149.00?",
    "We are based in Chicago, do you ship to Toronto as well?",
    "The parcel is stuck in the Berlin depot since Tuesday.",
    "is the voltra x2 compatible with my laptop?",
    "WHERE IS MY PARCEL? I PAID ON FRIDAY AND IT STILL HAS NOT SHIPPED",
    "my nimbus pro speaker stopped charging after the update",
    "Is there a store in London or Paris where I can try it?",
    "Delivery was expected on 12 June, today is 15 June.",
    "I bought 3 units in 2024 and one of them is faulty.",
    "i waited 3 hours at the post office on saturday",
    "Do you deliver on Sundays in Madrid?",
    "The left ear cup crackles when I turn up the volume.",
    "hi, the app keeps logging me out since the last update",
    "This is urgent, the gift is for a birthday on Saturday.",
    "I'm having trouble with the bluetooth pairing on the Voltra X2.",
    "THE BOX WAS DAMAGED AND THE CHARGER IS MISSING",
    "The firmware update 2.4.1 bricked my speaker, help!",
    "I paid 45 euros for express delivery and it took 6 days.",
    "My account was charged twice in October.",
    "Is the Nimbus 14 still in stock in the 512 GB version?",
    "it took 5 days to drive there and back, so please hurry",
    "Our office in Milan needs 20 more headsets by next Wednesday.",
    "My birthday gift never arrived, can you check?",
    "I'M SO ANGRY, THIS IS THE THIRD TIME THE ORDER IS LATE",
    "this is ridiculous, the replacement is broken too",
    "thanks, that fixed it",
    "The 1000 MB data plan is not what I bought.",
    "I sent it via email 2 days ago.",
    "Regards, Customer Support",
    "The Voltra X2 3rd gen sounds better than the 2nd gen.",
]


@pytest.mark.slow
@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_messages_come_through_unchanged(pseudonymiser: Pseudonymiser, text: str) -> None:
    redaction = pseudonymiser.anonymise(text, PseudonymVault())
    assert redaction.text == text, [
        (e.entity_type, text[e.start : e.end]) for e in redaction.entities
    ]


def test_truecase_capitalises_uncommon_words_and_keeps_offsets() -> None:
    common = {"hi", "my", "name", "is", "and", "order", "late"}
    assert truecase("hi my name is john smith", common) == "hi my name is John Smith"
    assert truecase("MY ORDER IS LATE, JOHN", common) == "my order is late, John"
    # Case changes that alter the length ("ß" -> "SS", dotted "İ") leave the word as it was.
    for text in ("STRAßE weg", "İSTANBUL office", "ǆemal ﬁsher"):
        assert len(truecase(text, common)) == len(text)


def _values(recognizer: Any, text: str) -> list[str]:
    return [text[r.start : r.end] for r in recognizer.analyze(text, [], None)]


def test_postcode_checks_reject_units_and_product_codes() -> None:
    postcodes = postcode_recognizer()
    assert _values(postcodes, "The 1000 MB plan and the 1080 HD screen") == []
    assert _values(postcodes, "the Voltra X2 3RD edition") == []  # X is no UK postcode area
    assert _values(postcodes, "Leeds LS1 4AP") == ["LS1 4AP"]


def test_street_check_rejects_quantities() -> None:
    streets = street_address_recognizer()
    assert _values(streets, "it took 5 days drive and 3 hours at the park") == []
    assert _values(streets, "My Notepad 2 crashed") == []


def test_account_numbers_leave_the_products_own_ids_alone() -> None:
    accounts = account_number_recognizer()
    assert _values(accounts, "my account CUS-10001 shows order ORD-200001") == []
    assert _values(accounts, "account number: 0044 1234 5678") == ["0044 1234 5678"]


def test_luhn_check() -> None:
    assert luhn_valid("4111 1111 1111 1111")
    assert luhn_valid("3782-822463-10005")
    assert not luhn_valid("4111 1111 1111 1112")
    assert not luhn_valid("1234")
