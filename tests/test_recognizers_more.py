"""Phones by shape, IBANs by checksum, postcodes after streets, names by phrase, and echoes."""

from __future__ import annotations

import pytest

from guardrails import Pseudonymiser, PseudonymVault, build_analyzer
from guardrails.address_tails import postcodes_after_streets
from guardrails.known_values import Span
from guardrails.recognizers.iban import iban_checksum_ok
from guardrails.recognizers.phones import valid_in_a_region

PRODUCTS = ["Aero Buds Pro", "Orbit 8 Smartphone"]


@pytest.fixture(scope="module")
def pseudonymiser() -> Pseudonymiser:
    return Pseudonymiser(build_analyzer(), allow_list=PRODUCTS)


def _redact(pseudonymiser: Pseudonymiser, text: str, vault: PseudonymVault | None = None) -> str:
    return pseudonymiser.anonymise(text, vault if vault is not None else PseudonymVault()).text


@pytest.mark.parametrize(
    "phone",
    [
        "+31(0)20 123 4567",
        "0049 30 1234567",
        "(01475) 154982",
        "05 17 08 18 70",
        "212.555.0188",
        "001-212-555-0188",
        "+44 20 7946 0958",
    ],
)
def test_phone_numbers_in_the_shapes_people_type_are_replaced(
    pseudonymiser: Pseudonymiser, phone: str
) -> None:
    redacted = _redact(pseudonymiser, f"You can reach me at {phone} after six.")
    assert phone not in redacted
    assert "<PHONE_NUMBER_1>" in redacted


def test_dates_prices_and_quantities_are_not_phone_numbers(pseudonymiser: Pseudonymiser) -> None:
    text = "Ordered 2026-10-02, paid 1299.00, delivered 12-03-2024 in 3 boxes of 250 units."
    assert _redact(pseudonymiser, text) == text


def test_a_bare_digit_run_counts_only_if_a_numbering_plan_accepts_it() -> None:
    assert valid_in_a_region("0481498381")  # an Italian landline
    assert not valid_in_a_region("1234")
    assert not valid_in_a_region("0000000000")


def test_iban_checksum_accepts_valid_and_rejects_one_changed_digit() -> None:
    assert iban_checksum_ok("ES25 2359 6422 6646 2676 1204")
    assert iban_checksum_ok("GB82WEST12345698765432")
    assert not iban_checksum_ok("ES25 2359 6422 6646 2676 1205")
    assert not iban_checksum_ok("GB82WEST1234")


def test_an_iban_in_a_layout_presidio_misses_is_replaced(pseudonymiser: Pseudonymiser) -> None:
    redacted = _redact(pseudonymiser, "please use IBAN ES25 2359 6422 6646 2676 1204 instead.")
    assert redacted == "please use IBAN <IBAN_CODE_1> instead."


def test_a_number_right_after_a_street_is_its_postcode() -> None:
    text = "gate code 4521, 7002 Max Light, Suite 3, 73367. Thanks"
    street = text.index("7002")
    spans = [Span(street, street + len("7002 Max Light"), "STREET_ADDRESS", 0.6)]
    (postcode,) = postcodes_after_streets(text, spans)
    assert text[postcode.start : postcode.end] == "73367"
    assert postcodes_after_streets("I ordered 12345 units", []) == []


@pytest.mark.slow
@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Thanks anastasio, that fixed it!", "anastasio"),
        ("Hi, it's balduino again, about the refund", "balduino"),
        ("The driver can call veerle on 060-5126020 on arrival", "veerle"),
        ("I'm frédéric verdier and my Aero Buds Pro has a defect.", "verdier"),
        ("I bought it as a gift for ikshita and got the wrong colour.", "ikshita"),
        ("Callback requested by thijn passchiers at 10:00", "passchiers"),
        ("Tom Appelman - ORD-265521 - parcel was left outside", "Appelman"),
        ("Please lock my account - Cameron Peacock", "Peacock"),
        ("account holder jasmit balan, IBAN to follow", "balan"),
    ],
)
def test_names_introduced_addressed_or_signed_are_replaced(
    pseudonymiser: Pseudonymiser, text: str, name: str
) -> None:
    assert name.casefold() not in _redact(pseudonymiser, text).casefold()


@pytest.mark.slow
@pytest.mark.parametrize(
    "text",
    [
        "I'm confused, this is urgent: it's broken again.",
        "Thanks again, that fixed it!",
        "Please call me on Monday at the office.",
        "THE ORBIT 8 SMARTPHONE KEEPS DISCONNECTING, THIS IS THE THIRD TIME",
        "I can't log in - the app keeps logging me out.",
    ],
)
def test_ordinary_phrases_around_names_stay_readable(
    pseudonymiser: Pseudonymiser, text: str
) -> None:
    assert _redact(pseudonymiser, text) == text


@pytest.mark.slow
def test_a_name_found_once_is_replaced_everywhere_and_in_later_turns(
    pseudonymiser: Pseudonymiser,
) -> None:
    vault = PseudonymVault()
    first = _redact(pseudonymiser, "I'm Kevin Day. Kevin Day - ORD-203896 - parcel lost", vault)
    assert "Kevin" not in first
    assert first.count("<PERSON_1>") == 2
    later = _redact(pseudonymiser, "any news for kevin day? It has been a day.", vault)
    assert "kevin" not in later
    assert later.endswith("It has been a day.")  # a lower-case ordinary part is left alone
