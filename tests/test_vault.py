"""The pseudonym vault: stable placeholders per conversation, and the way back to real values."""

from __future__ import annotations

from guardrails import REDACTED, PseudonymVault


def test_same_value_gets_the_same_placeholder_across_calls() -> None:
    vault = PseudonymVault()
    first = vault.placeholder_for("PERSON", "Jane Doe")
    vault.placeholder_for("EMAIL_ADDRESS", "jane@example.com")
    assert vault.placeholder_for("PERSON", "Jane Doe") == first == "<PERSON_1>"


def test_case_and_spacing_do_not_make_a_new_placeholder() -> None:
    vault = PseudonymVault()
    first = vault.placeholder_for("PERSON", "Jane Doe")
    assert vault.placeholder_for("PERSON", "JANE  doe") == first
    assert vault.placeholder_for("PERSON", " jane\ndoe ") == first
    assert vault.value_for(first) == "Jane Doe", "the first spelling seen is kept"


def test_phone_numbers_compare_by_digits() -> None:
    vault = PseudonymVault()
    first = vault.placeholder_for("PHONE_NUMBER", "555-010-2030")
    assert vault.placeholder_for("PHONE_NUMBER", "(555) 010 2030") == first


def test_different_values_never_share_a_placeholder_and_numbering_is_per_type() -> None:
    vault = PseudonymVault()
    placeholders = [
        vault.placeholder_for("PERSON", "Jane Doe"),
        vault.placeholder_for("PERSON", "John Doe"),
        vault.placeholder_for("EMAIL_ADDRESS", "jane@example.com"),
        vault.placeholder_for("PHONE_NUMBER", "555-010-2030"),
        vault.placeholder_for("EMAIL_ADDRESS", "john@example.com"),
    ]
    assert placeholders == [
        "<PERSON_1>",
        "<PERSON_2>",
        "<EMAIL_ADDRESS_1>",
        "<PHONE_NUMBER_1>",
        "<EMAIL_ADDRESS_2>",
    ]
    assert vault.known_values() == [
        "Jane Doe",
        "John Doe",
        "jane@example.com",
        "555-010-2030",
        "john@example.com",
    ]


def test_restore_replaces_every_known_placeholder() -> None:
    vault = PseudonymVault()
    person = vault.placeholder_for("PERSON", "Jane Doe")
    email = vault.placeholder_for("EMAIL_ADDRESS", "jane@example.com")
    text = f"Hi {person}, we wrote to {email}. Thanks, {person}!"
    assert vault.restore(text) == "Hi Jane Doe, we wrote to jane@example.com. Thanks, Jane Doe!"


def test_invented_placeholder_is_never_shown_raw() -> None:
    vault = PseudonymVault()
    vault.placeholder_for("PERSON", "Jane Doe")
    text = "Hi <PERSON_1> and <PERSON_7>, call <PHONE_NUMBER_1> or <SOMETHING_9>."
    restored = vault.restore(text)
    assert restored == f"Hi Jane Doe and {REDACTED}, call {REDACTED} or {REDACTED}."
    assert vault.value_for("<PERSON_7>") is None


def test_ordinary_angle_brackets_are_left_alone() -> None:
    vault = PseudonymVault()
    text = "Use <b>bold</b>, a < b, x<y, <USB_C> and <NOTE> as they are."
    assert vault.restore(text) == text


def test_json_roundtrip_keeps_mapping_and_numbering() -> None:
    vault = PseudonymVault()
    vault.placeholder_for("PERSON", "Jane Doe")
    vault.placeholder_for("PERSON", "Zoë Åberg")
    vault.placeholder_for("PHONE_NUMBER", "+44 20 7946 0958")

    loaded = PseudonymVault.from_json(vault.to_json())

    assert loaded.placeholder_for("PERSON", "jane doe") == "<PERSON_1>"
    assert loaded.placeholder_for("PHONE_NUMBER", "+44 (20) 7946-0958") == "<PHONE_NUMBER_1>"
    assert loaded.placeholder_for("PERSON", "Max Mustermann") == "<PERSON_3>"
    assert loaded.restore("<PERSON_2> here") == "Zoë Åberg here"
    assert loaded.known_values()[:3] == vault.known_values()
