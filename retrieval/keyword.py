"""Keyword (BM25) index over the stored passages, with bm25s; saved next to the vector store.

bm25s cannot update an index in place, so ingestion rebuilds it from the store (the single
source of truth) and swaps the saved directory; searches load it once and reload it only
when the saved copy changes.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from retrieval.store import StoredPassage, check_audience

if TYPE_CHECKING:
    import bm25s  # type: ignore[import-untyped]

_WORD = re.compile(r"\w+")
_IDS_FILE = "passages.json"  # written last: its presence marks a complete index
_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "can",
        "do",
        "does",
        "for",
        "from",
        "has",
        "have",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "me",
        "my",
        "no",
        "not",
        "of",
        "on",
        "or",
        "our",
        "so",
        "that",
        "the",
        "their",
        "then",
        "there",
        "these",
        "they",
        "this",
        "to",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "you",
        "your",
    ]
)


def keyword_tokens(text: str) -> list[str]:
    """Lower-cased, stop words removed, lightly stemmed words ("refunds" -> "refund")."""
    tokens = []
    for word in _WORD.findall(text.lower()):
        if word in _STOPWORDS or (len(word) < 2 and not word.isdigit()):
            continue
        tokens.append(stem(word))
    return tokens


def stem(word: str) -> str:
    """A small English suffix stripper: enough to match plurals and verb forms."""
    if len(word) <= 3 or word.isdigit():
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("sses"):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "lsz":
                word = word[:-1]  # shipping -> ship, but not install -> instal
            break
    if word.endswith("e") and len(word) > 3:
        word = word[:-1]  # charge / charged / charging all become "charg"
    return word


def passage_keywords(passage: StoredPassage) -> list[str]:
    """What BM25 indexes for a passage: its title and section count as words of it."""
    return keyword_tokens(f"{passage.title} {passage.section} {passage.text}")


@dataclass(frozen=True)
class _Loaded:
    retriever: bm25s.BM25 | None
    ids: list[str]
    public: np.ndarray[Any, np.dtype[np.bool_]]
    stamp: int


class KeywordIndex:
    """BM25 over every passage of one knowledge base; `directory=None` keeps it in memory."""

    def __init__(self, directory: Path | None = None) -> None:
        """Use the index saved in `directory` (loaded lazily), or an in-memory one."""
        self._directory = directory
        self._loaded: _Loaded | None = None
        self._lock = threading.Lock()

    @property
    def size(self) -> int:
        """Number of passages in the index (0 before any build)."""
        loaded = self._current()
        return len(loaded.ids) if loaded else 0

    def exists(self) -> bool:
        """Whether an index has been built (and saved, for a directory index)."""
        if self._directory is None:
            return self._loaded is not None
        return (self._directory / _IDS_FILE).is_file()

    def rebuild(self, passages: Iterable[StoredPassage]) -> int:
        """Index `passages` (replacing the old index) and save it; returns the passage count."""
        import bm25s

        ids: list[str] = []
        public: list[bool] = []
        corpus: list[list[str]] = []
        for passage in passages:
            ids.append(passage.id)
            public.append(passage.audience == "public")
            corpus.append(passage_keywords(passage))
        retriever = None
        if ids:
            retriever = bm25s.BM25()
            retriever.index(corpus, show_progress=False)
        loaded = _Loaded(retriever, ids, np.array(public, dtype=bool), 0)
        if self._directory is not None:
            loaded = _Loaded(retriever, ids, loaded.public, self._save(loaded))
        with self._lock:
            self._loaded = loaded
        return len(ids)

    def search(self, query: str, *, k: int, audience: str | None = None) -> list[tuple[str, float]]:
        """Up to `k` (passage id, BM25 score) pairs, best first; only words that occur count."""
        check_audience(audience)
        loaded = self._current()
        if loaded is None or loaded.retriever is None:
            return []
        vocab = loaded.retriever.vocab_dict
        tokens = [t for t in keyword_tokens(query) if t in vocab]
        if not tokens:
            return []
        mask = None
        if audience is not None:
            allowed = loaded.public if audience == "public" else ~loaded.public
            mask = allowed.astype(np.float32)
        limit = min(k, len(loaded.ids))
        docs, scores = loaded.retriever.retrieve(
            [tokens], k=limit, show_progress=False, weight_mask=mask, n_threads=0
        )
        found = []
        for index, score in zip(docs[0].tolist(), scores[0].tolist(), strict=True):
            # A zero score is a passage sharing no word with the query (or masked out).
            if score > 0:
                found.append((loaded.ids[index], float(score)))
        return found

    def _current(self) -> _Loaded | None:
        """The loaded index, reloaded if another process saved a newer one."""
        if self._directory is None:
            return self._loaded
        marker = self._directory / _IDS_FILE
        try:
            stamp = marker.stat().st_mtime_ns
        except FileNotFoundError:
            return None
        with self._lock:
            if self._loaded is None or self._loaded.stamp != stamp:
                self._loaded = self._load(stamp)
            return self._loaded

    def _load(self, stamp: int) -> _Loaded:
        import bm25s

        assert self._directory is not None
        meta = json.loads((self._directory / _IDS_FILE).read_text(encoding="utf-8"))
        ids = [str(i) for i in meta["ids"]]
        public = np.array(meta["public"], dtype=bool)
        retriever = None
        if ids:
            retriever = bm25s.BM25.load(str(self._directory / "bm25"), show_progress=False)
        return _Loaded(retriever, ids, public, stamp)

    def _save(self, loaded: _Loaded) -> int:
        """Write to a fresh directory, then swap it in: readers never see half an index."""
        assert self._directory is not None
        target = self._directory
        target.parent.mkdir(parents=True, exist_ok=True)
        fresh = target.with_name(f"{target.name}.new-{os.getpid()}")
        shutil.rmtree(fresh, ignore_errors=True)
        fresh.mkdir()
        if loaded.retriever is not None:
            loaded.retriever.save(str(fresh / "bm25"), show_progress=False)
        meta = {"ids": loaded.ids, "public": loaded.public.tolist()}
        (fresh / _IDS_FILE).write_text(json.dumps(meta), encoding="utf-8")
        old = target.with_name(f"{target.name}.old-{os.getpid()}")
        if target.exists():
            target.rename(old)
        fresh.rename(target)
        shutil.rmtree(old, ignore_errors=True)
        return (target / _IDS_FILE).stat().st_mtime_ns
