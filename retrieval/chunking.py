"""Split a document into passages: by heading, then paragraph, with word-based sizes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from retrieval.documents import Document

SECTION_SEPARATOR = " > "

_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_TAG = re.compile(r"<[^>]*>")
_WORD_CHAR = re.compile(r"\w")
_TOKEN = re.compile(r"\S+\s*")


@dataclass(frozen=True)
class Passage:
    """A retrievable piece of a document; `id` is stable (source + index) across runs."""

    id: str
    source: str
    title: str
    section: str
    audience: str
    text: str
    content_hash: str


def chunk_document(
    doc: Document, *, max_words: int = 180, overlap_words: int = 30
) -> list[Passage]:
    """Split `doc` into passages of at most `max_words` words, never across a heading."""
    if max_words < 1:
        raise ValueError("max_words must be at least 1")
    if not 0 <= overlap_words < max_words:
        raise ValueError("overlap_words must be >= 0 and smaller than max_words")
    pieces = [
        (section, text)
        for section, blocks in _sections(doc.body, doc.title)
        for text in _pack(blocks, max_words, overlap_words)
    ]
    return [
        Passage(
            id=f"{doc.source}#{index}",
            source=doc.source,
            title=doc.title,
            section=section,
            audience=doc.audience,
            text=text,
            content_hash=doc.content_hash,
        )
        for index, (section, text) in enumerate(pieces)
    ]


def word_count(text: str) -> int:
    """Number of whitespace-separated words in `text`."""
    return len(text.split())


def _sections(body: str, title: str) -> Iterator[tuple[str, list[str]]]:
    """Yield (heading path, paragraph blocks) per section; fenced code stays one block."""
    path: list[tuple[int, str]] = []
    blocks: list[str] = []
    current: list[str] = []
    fence: str | None = None

    def flush_block() -> None:
        if current:
            block = "\n".join(current).strip("\n")
            if _has_words(block):
                blocks.append(block)
            current.clear()

    section = ""
    for line in body.splitlines():
        fence_match = _FENCE.match(line)
        if fence is not None:
            current.append(line)
            if fence_match and fence_match.group(1).startswith(fence):
                fence = None
            continue
        if fence_match:
            fence = fence_match.group(1)
            current.append(line)
            continue
        heading = _HEADING.match(line)
        if heading:
            flush_block()
            if blocks:
                yield section, blocks
                blocks = []
            level, text = len(heading.group(1)), heading.group(2).strip()
            path = [(lvl, txt) for lvl, txt in path if lvl < level] + [(level, text)]
            section = _section_name(path, title)
        elif line.strip():
            current.append(line)
        else:
            flush_block()
    flush_block()
    if blocks:
        yield section, blocks


def _section_name(path: list[tuple[int, str]], title: str) -> str:
    # The article's own H1 is its title, already carried by Passage.title.
    names = [
        text for level, text in path if text and not (level == 1 and text.lower() == title.lower())
    ]
    return SECTION_SEPARATOR.join(names)


def _has_words(block: str) -> bool:
    # Blocks made only of markup (image tags, <div> wrappers, ":::" fences) carry no meaning.
    return bool(_WORD_CHAR.search(_TAG.sub(" ", block)))


def _pack(blocks: list[str], max_words: int, overlap_words: int) -> Iterator[str]:
    """Merge small blocks up to `max_words`; split an oversized block into overlapping windows."""
    current: list[str] = []
    count = 0
    for block in blocks:
        size = word_count(block)
        if current and count + size > max_words:
            yield "\n\n".join(current)
            current, count = [], 0
        if size > max_words:
            yield from _windows(block, max_words, overlap_words)
            continue
        current.append(block)
        count += size
    if current:
        yield "\n\n".join(current)


def _windows(block: str, max_words: int, overlap_words: int) -> Iterator[str]:
    """Windows of `max_words` words sharing `overlap_words`; original spacing is kept."""
    tokens = _TOKEN.findall(block.strip())
    start = 0
    while True:
        end = min(start + max_words, len(tokens))
        yield "".join(tokens[start:end]).strip()
        if end == len(tokens):
            return
        start = end - overlap_words
