"""Pick the passage sentences that best answer a question, by plain word overlap.

No model is involved: words are lower-cased, stop words dropped and suffixes lightly stemmed, and a
sentence scores by how many of the question's words it shares (words in its passage's title or
section count a little too). The result is deterministic for the same input.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from providers.prompt_parsing import Passage

_STOP_WORDS_TEXT = """
    a about above after again all also am an and any are as at be been before being below
    between both but by can could did do does doing done down during each else ever few for from
    further get gets got had has have having he her here hers him his how i if in into is it its
    just know let like me might more most much must my need no nor not now of off on once only or
    other our ours out over own please same she should so some such than thank thanks that the
    their them then there these they this those through to too under until up us very want was
    we were what when where which while who whom why will with would yes yet you your yours hi
    hello hey dear regards tell help ask asked question still really one two isn aren wasn
    weren hasn haven hadn doesn don didn won wouldn can cannot couldn shouldn ve ll re im take
    takes long usually usual often"""
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())

_PLACEHOLDER = re.compile(r"<[A-Z][A-Z_]*_\d+>")
_WORD = re.compile(r"[a-z0-9]+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])")
_MD_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_LINE_MARKER = re.compile(r"^\s*(?:[-*+>]|\d+[.)])\s+")
# Sentences are kept while they score at least this share of the best one; the runner-up gets
# a lower bar, since one sentence alone rarely answers a question.
_KEEP_RATIO = 0.7
_SECOND_RATIO = 0.4
_DOUBLE_END = re.compile(r"([b-df-hj-np-rtv-z])\1$")  # not "ss": business, address


@dataclass(frozen=True, slots=True)
class Selection:
    """The chosen sentences (in reading order) and the passages they came from."""

    sentences: tuple[str, ...]
    passages: tuple[Passage, ...]


def stem(word: str) -> str:
    """A light suffix-stripping stem (``returned`` -> ``return``, ``shipping`` -> ``ship``)."""
    w = word.lower()
    if len(w) > 4 and w.endswith("ies"):
        w = w[:-3] + "y"
    elif len(w) > 6 and w.endswith("ing"):
        w = w[:-3]
    elif len(w) > 5 and w.endswith("ed"):
        w = w[:-2]
    elif len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    if len(w) > 5 and w.endswith("y"):  # delivery -> deliver
        w = w[:-1]
    if len(w) > 4 and w.endswith("e"):  # arrive/arrived -> arriv
        w = w[:-1]
    if _DOUBLE_END.search(w):  # shipp(ing) -> ship, cancell(ed) -> cancel
        w = w[:-1]
    return w


def content_stems(text: str) -> frozenset[str]:
    """The stems of the meaningful words of a text (placeholders and stop words left out)."""
    words = _WORD.findall(_PLACEHOLDER.sub(" ", text).lower())
    return frozenset(stem(w) for w in words if w not in STOP_WORDS and len(w) > 1)


def split_sentences(text: str) -> list[str]:
    """Split passage text into clean sentences (markdown headings and list markers removed)."""
    sentences: list[str] = []
    for paragraph in _paragraphs(text):
        for sentence in _SENTENCE_END.split(paragraph):
            sentence = sentence.strip()
            # A lead-in ending with ":" says nothing without the list or table it introduces,
            # whose items are sentences of their own.
            if len(sentence.split()) >= 3 and not sentence.endswith(":"):
                sentences.append(sentence if sentence[-1] in ".!?" else sentence + ".")
    return sentences


def _paragraphs(text: str) -> list[str]:
    """Join hard-wrapped lines; blank lines, headings and list items start a new paragraph.

    A Markdown table row becomes a paragraph of its own, read with the header ("PayPal: 1-3
    business days."), since help-centre articles often keep their key facts in tables.
    """
    paragraphs: list[list[str]] = [[]]
    header: list[str] | None = None
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("|"):
            cells = [_plain(c.strip()) for c in stripped.strip("|").split("|")]
            if header is None:
                header = cells
            elif not all(set(c) <= set("-: ") for c in cells):
                paragraphs.append([_table_row(header, cells)])
            paragraphs.append([])
            continue
        header = None
        if not stripped or stripped.startswith(("#", "```")):
            paragraphs.append([])
            continue
        if _LINE_MARKER.match(line):
            paragraphs.append([])
            stripped = _LINE_MARKER.sub("", line).strip()
        paragraphs[-1].append(_plain(stripped))
    return [" ".join(lines) for lines in paragraphs if lines]


def select_sentences(
    question: str,
    passages: Sequence[Passage],
    *,
    max_passages: int = 4,
    max_sentences: int = 3,
    ignore: frozenset[str] = frozenset(),
) -> Selection:
    """The best-overlapping sentences of the top passages; empty when nothing overlaps.

    A sentence qualifies only by sharing a word outside ``ignore`` (stems of topics the caller
    answered otherwise, such as "order" when the order's facts are already stated); ignored words
    still add to the score of a sentence that qualifies.
    """
    wanted = content_stems(question)
    fresh = wanted - ignore
    if not fresh:
        return Selection((), ())
    scored: list[tuple[float, int, int, str]] = []
    for p_index, passage in enumerate(passages[:max_passages]):
        heading = content_stems(f"{passage.title} {passage.section}") & wanted
        for s_index, sentence in enumerate(split_sentences(passage.text)):
            words = content_stems(sentence)
            if not words & fresh:
                continue
            # Heading words help a sentence along; earlier passages win ties.
            score = len(words & wanted) + 0.5 * len(heading) - 0.01 * p_index
            scored.append((score, p_index, s_index, sentence))
    if not scored:
        return Selection((), ())
    scored.sort(key=lambda item: (-item[0], item[1], item[2]))
    best = scored[0][0]
    chosen = [
        item
        for rank, item in enumerate(scored[:max_sentences])
        if item[0] >= best * (_KEEP_RATIO if rank >= 2 else _SECOND_RATIO)
    ]
    chosen.sort(key=lambda item: (item[1], item[2]))
    used = sorted({item[1] for item in chosen})
    return Selection(
        sentences=tuple(_dedupe(item[3] for item in chosen)),
        passages=tuple(passages[i] for i in used),
    )


def _table_row(header: Sequence[str], cells: Sequence[str]) -> str:
    """A table row as a sentence: the first cell, then each other cell (with its column name
    when the table has more than two columns)."""
    if len(cells) < 2:
        return " ".join(cells)
    if len(cells) == 2:
        return f"{cells[0]}: {cells[1]}."
    rest = "; ".join(f"{h.lower()} {c}" for h, c in zip(header[1:], cells[1:], strict=False))
    return f"{cells[0]}: {rest}."


def _plain(markdown: str) -> str:
    """Markdown inline markup reduced to its text: links keep their words, images go."""
    text = _MD_IMAGE.sub("", markdown)
    text = _MD_LINK.sub(r"\1", text)
    return " ".join(text.replace("**", "").replace("`", "").split())


def _dedupe(sentences: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    unique: list[str] = []
    for sentence in sentences:
        if sentence not in seen:
            seen.add(sentence)
            unique.append(sentence)
    return unique
