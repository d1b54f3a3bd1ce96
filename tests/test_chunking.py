"""Parsing knowledge articles and splitting them into passages (no models, fast)."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from retrieval import ChunkSize, Document, chunk_document, load_directory, parse_document

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
    size = ChunkSize(max_tokens=40, overlap_tokens=10)
    passages = chunk_document(_doc("## Long\n\n" + _words(100)), size)
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
    passages = chunk_document(_doc(body), ChunkSize(max_tokens=64, overlap_tokens=8))
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
        ChunkSize(max_tokens=10, overlap_tokens=10)
    with pytest.raises(ValueError):
        ChunkSize(max_tokens=0, overlap_tokens=0)


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
    assert all(d.updated for d in result.documents)  # file time when no front matter says
    assert result.documents[1].title == "A"
    assert sorted(source for source, _ in result.errors) == ["bad-front.md", "broken.md"]


def _chars_as_tokens(text: str) -> int:
    """A stand-in tokenizer: one token per 4 characters (long words cost more)."""
    return max(1, len(text.strip()) // 4)


def test_sizes_are_counted_with_the_injected_tokenizer() -> None:
    long_words = " ".join(f"internationalisation{i:03d}" for i in range(60))  # 5 tokens each
    size = ChunkSize(max_tokens=60, overlap_tokens=12, count_tokens=_chars_as_tokens)
    passages = chunk_document(_doc("## Words\n\n" + long_words), size)
    # Counted in words, the 60 words would fit one 60-token passage; in tokens, 12 words do.
    assert [len(p.text.split()) for p in passages] == [12, 12, 12, 12, 12, 10]
    for previous, current in itertools.pairwise(p.text.split() for p in passages):
        assert previous[-2:] == current[:2]  # 12 tokens of overlap hold two 5-token words
    assert passages[-1].text.split()[-1] == "internationalisation059"


def test_a_word_longer_than_the_limit_is_kept_not_dropped() -> None:
    size = ChunkSize(max_tokens=3, overlap_tokens=1, count_tokens=_chars_as_tokens)
    passages = chunk_document(_doc("short " + "x" * 40 + " tail"), size)
    assert "x" * 40 in " ".join(p.text for p in passages)
    assert passages[-1].text.endswith("tail")


HTML = """<!doctype html><html><head><title>Shipping | Help</title>
<meta name="audience" content="internal"><meta name="updated" content="2026-09-01">
<style>.x { color: red }</style><script>var secret = "do not index";</script></head>
<body><nav><a href="/">Home</a> Menu entries</nav>
<h1>Shipping guide</h1><p>We ship <b>worldwide</b>.</p>
<h2>Express
delivery</h2><p>Next day before 2 pm.</p><ul><li>UPS</li><li>DHL</li></ul>
<h3>Costs</h3><p>Express costs 12&nbsp;EUR &amp; more.</p></body></html>"""


def test_html_headings_become_sections_and_chrome_is_dropped(tmp_path: Path) -> None:
    (tmp_path / "shipping.html").write_text(HTML, encoding="utf-8")
    result = load_directory(tmp_path)
    assert result.errors == []
    doc = result.documents[0]
    assert (doc.title, doc.audience, doc.updated) == ("Shipping guide", "internal", "2026-09-01")
    passages = chunk_document(doc)
    text = " ".join(p.text for p in passages)
    assert "do not index" not in text and "color" not in text and "Menu entries" not in text
    assert [p.section for p in passages] == [
        "",
        "Express delivery",
        "Express delivery > Costs",
    ]
    assert "Express costs 12\xa0EUR & more." in passages[-1].text
    assert "UPS" in passages[1].text and "DHL" in passages[1].text


def _pdf(pages: list[str], title: str | None = None) -> bytes:
    """A minimal valid PDF with one line of Helvetica text per page."""
    objects = ["<< /Type /Catalog /Pages 2 0 R >>", ""]
    kids = []
    for text in pages:
        content = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
        objects.append(f"<< /Length {len(content)} >>\nstream\n{content.decode()}\nendstream")
        content_id = len(objects)
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {content_id} 0 R "
            "/Resources << /Font << /F1 "
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >> >>"
        )
        kids.append(f"{len(objects)} 0 R")
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(kids)} >>"
    info = ""
    if title:
        objects.append(f"<< /Title ({title}) >>")
        info = f" /Info {len(objects)} 0 R"
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R{info} >>\n".encode()
    out += f"startxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def test_pdf_pages_are_read_and_broken_pdfs_reported(tmp_path: Path) -> None:
    (tmp_path / "manual.pdf").write_bytes(
        _pdf(["Hold the power button for five seconds.", "Reset with the pin hole."], "X2 manual")
    )
    (tmp_path / "untitled-guide.pdf").write_bytes(_pdf(["Charge it overnight."]))
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4\nthis is not a pdf")
    (tmp_path / "notes.md").write_text("# Notes\n\nStill loaded.", encoding="utf-8")

    result = load_directory(tmp_path, default_audience="internal")

    docs = {d.source: d for d in result.documents}
    assert sorted(docs) == ["manual.pdf", "notes.md", "untitled-guide.pdf"]
    assert [source for source, _ in result.errors] == ["broken.pdf"]
    manual = docs["manual.pdf"]
    assert manual.title == "X2 manual"
    assert "five seconds" in manual.body and "pin hole" in manual.body
    assert docs["untitled-guide.pdf"].title == "Untitled guide"
    assert {d.audience for d in docs.values()} == {"internal"}


def test_default_audience_is_part_of_the_content_hash(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("# A\n\nText.", encoding="utf-8")
    public = load_directory(tmp_path).documents[0]
    internal = load_directory(tmp_path, default_audience="internal").documents[0]
    assert (public.audience, internal.audience) == ("public", "internal")
    assert public.content_hash != internal.content_hash
    with pytest.raises(ValueError, match="audience"):
        parse_document("Body.", "x.md", default_audience="staff")
