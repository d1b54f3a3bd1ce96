"""Input checks: what a user may send, and the polite refusals they see otherwise."""

from __future__ import annotations

import pytest

from guardrails import InputRejected, check_input


@pytest.mark.parametrize("text", ["", "   ", "\n\t \r\n  "])
def test_empty_or_blank_message_is_refused(text: str) -> None:
    with pytest.raises(InputRejected) as caught:
        check_input(text, max_chars=100)
    assert caught.value.reason == "empty"
    assert "empty" in str(caught.value)


def test_too_long_message_says_how_long_and_the_limit() -> None:
    with pytest.raises(InputRejected) as caught:
        check_input("a" * 5210, max_chars=4000)
    assert caught.value.reason == "too_long"
    assert str(caught.value) == (
        "Your message is 5,210 characters; the limit is 4,000. Please shorten it."
    )


def test_length_is_measured_after_trimming() -> None:
    assert check_input("  " + "a" * 10 + "\n\n", max_chars=10) == "a" * 10


@pytest.mark.parametrize(
    "text",
    ["hi\x00there", "bell\x07", "esc\x1b[31mred", "c1\x85x", "del\x7f", "\x0bvertical tab"],
)
def test_control_characters_are_refused(text: str) -> None:
    with pytest.raises(InputRejected) as caught:
        check_input(text, max_chars=100)
    assert caught.value.reason == "control_chars"
    assert "control character" in str(caught.value)


@pytest.mark.parametrize("text", ["lone \ud800 surrogate", "end \udfff", "nonchar \ufffe"])
def test_invalid_unicode_is_refused(text: str) -> None:
    with pytest.raises(InputRejected) as caught:
        check_input(text, max_chars=100)
    assert caught.value.reason == "control_chars"


def test_ordinary_text_with_newlines_tabs_and_emoji_passes() -> None:
    text = "Hello 👋🏽,\n\tmy order 🇩🇪 (👩‍👩‍👧) is late — ça va? 日本語"
    assert check_input(text, max_chars=100) == text


def test_windows_line_endings_and_surrounding_space_are_cleaned() -> None:
    assert check_input("  line one\r\nline two\rthree \r\n", max_chars=100) == (
        "line one\nline two\nthree"
    )


def test_rejection_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        check_input("", max_chars=10)
