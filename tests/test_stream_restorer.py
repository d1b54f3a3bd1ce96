"""Streaming restore: placeholders split across chunks come out exactly as a whole restore."""

from __future__ import annotations

import pytest

from guardrails import REDACTED, PseudonymVault, StreamRestorer

TEXT = (
    "Hi <PERSON_1>, I emailed <EMAIL_ADDRESS_1> and will call <PHONE_NUMBER_1>.<PERSON_2> "
    "agrees; <UNKNOWN_9> stays hidden, 3 < 4 and x<y hold, <b>bold</b>. Bye <PERSON_1>"
)


@pytest.fixture()
def vault() -> PseudonymVault:
    vault = PseudonymVault()
    vault.placeholder_for("PERSON", "Jane Doe")
    vault.placeholder_for("EMAIL_ADDRESS", "jane@example.com")
    vault.placeholder_for("PHONE_NUMBER", "+1 555 010 2030")
    vault.placeholder_for("PERSON", "Ali <Admin>")
    return vault


def stream(vault: PseudonymVault, chunks: list[str]) -> str:
    restorer = StreamRestorer(vault)
    return "".join(restorer.feed(chunk) for chunk in chunks) + restorer.flush()


def test_expected_restore(vault: PseudonymVault) -> None:
    restored = vault.restore(TEXT)
    assert "Jane Doe" in restored and "<PERSON" not in restored and REDACTED in restored


def test_split_into_two_chunks_at_every_position(vault: PseudonymVault) -> None:
    expected = vault.restore(TEXT)
    for cut in range(len(TEXT) + 1):
        assert stream(vault, [TEXT[:cut], TEXT[cut:]]) == expected, f"split at {cut}"


def test_fed_one_character_at_a_time(vault: PseudonymVault) -> None:
    assert stream(vault, list(TEXT)) == vault.restore(TEXT)


def test_no_raw_placeholder_is_ever_shown_mid_stream(vault: PseudonymVault) -> None:
    restorer = StreamRestorer(vault)
    shown = ""
    for ch in TEXT:
        shown += restorer.feed(ch)
        assert "<PERSON" not in shown and "<EMAIL" not in shown and "<UNKNOWN" not in shown


def test_ordinary_angle_brackets_pass_through(vault: PseudonymVault) -> None:
    text = "a < b and x<y"
    assert stream(vault, [text]) == text
    assert stream(vault, list(text)) == text


def test_holds_back_only_what_could_be_a_placeholder(vault: PseudonymVault) -> None:
    restorer = StreamRestorer(vault)
    assert restorer.feed("Hello ") == "Hello "
    assert restorer.feed("dear <PER") == "dear "
    assert restorer.feed("SON_1> and <") == "Jane Doe and "
    assert restorer.feed("3") == "<3"
    assert restorer.flush() == ""


def test_unfinished_placeholder_at_the_end_is_dropped(vault: PseudonymVault) -> None:
    assert stream(vault, ["Thanks, <PERSON_", "1"]) == "Thanks, "
    assert stream(vault, ["a <"]) == "a <"


def test_long_uppercase_text_after_angle_bracket_is_not_held_forever(
    vault: PseudonymVault,
) -> None:
    restorer = StreamRestorer(vault)
    long_tag = "<" + "A" * 60
    shown = "".join(restorer.feed(ch) for ch in long_tag)
    assert shown.startswith("<" + "A" * 30)
    assert shown + restorer.flush() == long_tag
