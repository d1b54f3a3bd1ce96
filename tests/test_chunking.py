"""Parsing knowledge articles and splitting them into passages (no models, fast)."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from retrieval import Document, chunk_document, load_directory, parse_document

RETURNS = """\
---
title: Returns and refunds
audience: public
updated: 2026-10-02
tags: [returns, refunds]
---
# Returns and refunds

You can return any item within 30 days of delivery.

## Refund timing

Refunds are issued to the original payment method within 5 business days.

### Card payments

Card refunds can take another 3 days to show on your statement.

## Exchanges

We exchange faulty items for free.
"""


def _words(n: int, start: int = 0) -> str:
    return " ".join(f"w{i}" for i in range(start, start + n))


def _doc(body: str, source: str = "a.md", title: str = "A") -> Document:
    return Document(source, title, "public", None, body, content_hash="h")


def test_front_matter_is_parsed() -> None:
    doc = parse_document(RETURNS, "returns.md")
    assert doc.title == "Returns and refunds"
    assert doc.audience == "public"
    assert doc.updated == "2026-10-02"
    assert doc.tags == ("returns", "refunds")
    assert not doc.body.startswith("---")
    assert "title:" not in doc.body


def test_audience_defaults_to_public_and_title_falls_back_to_h1() -> None:
    doc = parse_document("# Pairing your headphones\n\nHold the button.", "pairing.md")
    assert doc.audience == "public"
    assert doc.title == "Pairing your headphones"
    assert doc.updated is None


def test_unknown_audience_is_rejected_not_published() -> None:
    with pytest.raises(ValueError, match="audience"):
        parse_document("---\naudience: staff-only\n---\nSecret.", "x.md")


def test_content_hash_changes_with_front_matter() -> None:
    public = parse_document("---\naudience: public\n---\nSame body.", "x.md")
    internal = parse_document("---\naudience: internal\n---\nSame body.", "x.md")
    assert public.content_hash != internal.content_hash


def test_headings_become_sections_without_the_title() -> None:
    passages = chunk_document(parse_document(RETURNS, "returns.md"))
    assert [p.section for p in passages] == [
        "",
        "Refund timing",
        "Refund timing > Card payments",
        "Exchanges",
    ]
    timing = passages[1]
    assert timing.text == (
        "Refunds are issued to the original payment method within 5 business days."
    )
    assert timing.title == "Returns and refunds"
    assert timing.source == "returns.md"
    assert timing.audience == "public"
    assert all(not p.text.startswith("#") for p in passages)


def test_small_paragraphs_are_merged_within_a_section() -> None:
    body = "## Shipping\n\nFirst paragraph here.\n\nSecond paragraph here.\n\n## Other\n\nThird."
    passages = chunk_document(_doc(body))
    assert [p.text for p in passages] == [
        "First paragraph here.\n\nSecond paragraph here.",
        "Third.",
    ]


def test_long_section_is_split_with_overlap_and_no_word_lost() -> None:
    passages = chunk_document(_doc("## Long\n\n" + _words(100)), max_words=40, overlap_words=10)
    windows = [p.text.split() for p in passages]
    assert all(len(w) <= 40 for w in windows)
    assert len(windows) == 3
    for previous, current in itertools.pairwise(windows):
        assert previous[-10:] == current[:10]
    joined = windows[0] + [w for window in windows[1:] for w in window[10:]]
    assert joined == _words(100).split()  # whole words only, in order, none dropped
    assert {p.section for p in passages} == {"Long"}


def test_paragraphs_that_do_not_fit_start_a_new_passage() -> None:
    body = f"{_words(30)}\n\n{_words(30, 30)}\n\n{_words(30, 60)}"
    passages = chunk_document(_doc(body), max_words=64, overlap_words=8)
    assert [len(p.text.split()) for p in passages] == [60, 30]


def test_no_empty_or_markup_only_passages() -> None:
    body = (
        "# A\n\n## Empty section\n\n## Images\n\n<div>\n<img src={x('a.png')} />\n</div>\n\n"
        ":::\n\n   \n\n## Real\n\nText."
    )
    passages = chunk_document(_doc(body))
    assert [(p.section, p.text) for p in passages] == [("Real", "Text.")]


def test_headings_inside_code_fences_are_not_sections() -> None:
    body = "## Install\n\n```bash\n# not a heading\n\nnpm install\n```\n"
    passages = chunk_document(_doc(body))
    assert len(passages) == 1
    assert passages[0].section == "Install"
    assert "# not a heading" in passages[0].text


def test_ids_are_stable_and_unique() -> None:
    first = chunk_document(parse_document(RETURNS, "returns.md"))
    second = chunk_document(parse_document(RETURNS, "returns.md"))
    assert [p.id for p in first] == [p.id for p in second]
    assert len({p.id for p in first}) == len(first)
    assert first[0].id == "returns.md#0"


def test_invalid_sizes_are_rejected() -> None:
    with pytest.raises(ValueError):
        chunk_document(_doc("x"), max_words=10, overlap_words=10)


def test_load_directory_recurses_sorts_and_reports_errors(tmp_path: Path) -> None:
    (tmp_path / "guides").mkdir()
    (tmp_path / "b.md").write_text("# B\n\nBee.", encoding="utf-8")
    (tmp_path / "guides" / "a.txt").write_text("Plain text.", encoding="utf-8")
    (tmp_path / "broken.md").write_bytes(b"\xff\xfe\x00bad")
    (tmp_path / "bad-front.md").write_text("---\naudience: [\n---\nx", encoding="utf-8")
    (tmp_path / "image.png").write_bytes(b"\x89PNG")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "x.md").write_text("hidden", encoding="utf-8")

    result = load_directory(tmp_path)

    assert [d.source for d in result.documents] == ["b.md", "guides/a.txt"]
    assert result.documents[1].title == "A"
    assert sorted(source for source, _ in result.errors) == ["bad-front.md", "broken.md"]
