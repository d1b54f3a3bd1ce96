"""Split a document into passages: by heading, then paragraph, sized in tokens with overlap.

Sizes are counted with an injected `count_tokens` (the embedding model's own tokenizer at
ingest, so a passage fits the model's window); without one, a word counts as one token.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from retrieval.documents import Document

SECTION_SEPARATOR = " > "

_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_TAG = re.compile(r"<[^>]*>")
_WORD_CHAR = re.compile(r"\w")
_TOKEN = re.compile(r"\S+\s*")

CountTokens = Callable[[str], int]
"""Number of tokens in a text."""


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
    updated: str = ""


@dataclass(frozen=True)
class ChunkSize:
    """Passage size limits in tokens, and how to count them."""

    max_tokens: int = 200
    overlap_tokens: int = 40
    count_tokens: CountTokens | None = None

    def __post_init__(self) -> None:
        """Reject sizes that cannot make progress."""
        if self.max_tokens < 1:
            raise ValueError("max_tokens must be at least 1")
        if not 0 <= self.overlap_tokens < self.max_tokens:
            raise ValueError("overlap_tokens must be >= 0 and smaller than max_tokens")


def chunk_document(doc: Document, size: ChunkSize | None = None) -> list[Passage]:
    """Split `doc` into passages of at most `size.max_tokens` tokens, never across a heading.

    A single word longer than the limit still becomes (part of) a passage: nothing is dropped.
    """
    size = size or ChunkSize()
    count = size.count_tokens or word_count
    pieces = [
        (section, text)
        for section, blocks in _sections(doc.body, doc.title)
        for text in _pack(blocks, size.max_tokens, size.overlap_tokens, count)
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
            updated=doc.updated or "",
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


def _pack(blocks: list[str], limit: int, overlap: int, count: CountTokens) -> Iterator[str]:
    """Merge small blocks up to `limit` tokens; cut an oversized block into overlapping windows."""
    current: list[str] = []
    used = 0
    for block in blocks:
        size = count(block)
        if current and used + size > limit:
            yield "\n\n".join(current)
            current, used = [], 0
        if size > limit:
            yield from _windows(block, limit, overlap, count)
            continue
        current.append(block)
        used += size
    if current:
        yield "\n\n".join(current)


def _windows(block: str, limit: int, overlap: int, count: CountTokens) -> Iterator[str]:
    """Windows of whole words of at most `limit` tokens, the next one repeating about `overlap`.

    Tokens are counted per word, which can differ by a token or two from counting the joined
    text; the default limits leave that margin below the embedding model's window.
    """
    words = _TOKEN.findall(block.strip())
    sizes = [count(word) for word in words]
    start = 0
    while True:
        end, used = start, 0
        while end < len(words) and (end == start or used + sizes[end] <= limit):
            used += sizes[end]
            end += 1
        yield "".join(words[start:end]).strip()
        if end == len(words):
            return
        back, shared = end, 0
        while back - 1 > start and shared + sizes[back - 1] <= overlap:
            back -= 1
            shared += sizes[back]
        start = back
