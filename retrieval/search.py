"""Hybrid search over the knowledge base: vector and BM25 rankings fused by reciprocal rank."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from retrieval.embeddings import TextEmbedder
from retrieval.keyword import KeywordIndex
from retrieval.store import DocumentStore, Hit, check_audience

SearchMode = Literal["hybrid", "vector", "keyword"]
SEARCH_MODES: tuple[SearchMode, ...] = ("hybrid", "vector", "keyword")

RRF_K = 60
"""The constant of reciprocal rank fusion (Cormack et al.): 1 / (RRF_K + rank)."""

CANDIDATES = 20
"""Passages each ranking contributes to the fusion (at least; more when k is larger)."""


def fuse(rankings: Sequence[Sequence[str]], *, k: int = RRF_K) -> list[tuple[str, float]]:
    """Reciprocal rank fusion of id rankings, best first; scores scaled so 1.0 = top of all."""
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, pid in enumerate(ranking, start=1):
            scores[pid] = scores.get(pid, 0.0) + 1.0 / (k + rank)
    best = len(rankings) / (k + 1)
    # Ties (same fused score) keep the first ranking's order: the vector side is listed first.
    order: dict[str, int] = {}
    for pid in (pid for ranking in rankings for pid in ranking):
        order.setdefault(pid, len(order))
    fused = sorted(scores.items(), key=lambda item: (-item[1], order[item[0]]))
    return [(pid, score / best) for pid, score in fused]


class KnowledgeBase:
    """Query side of retrieval: the vector store, its keyword index, and the query embedder."""

    def __init__(
        self,
        store: DocumentStore,
        embedder: TextEmbedder,
        keywords: KeywordIndex | None = None,
    ) -> None:
        """Search `store` with `embedder`; `keywords` defaults to an in-memory index."""
        self._store = store
        self._embedder = embedder
        self._keywords = keywords if keywords is not None else KeywordIndex()

    @property
    def store(self) -> DocumentStore:
        """The underlying passage store."""
        return self._store

    @property
    def embedder(self) -> TextEmbedder:
        """The embedder of queries and passages."""
        return self._embedder

    @property
    def keywords(self) -> KeywordIndex:
        """The keyword (BM25) index."""
        return self._keywords

    def rebuild_keywords(self) -> int:
        """Rebuild the keyword index from the store (after ingestion); returns its size."""
        return self._keywords.rebuild(self._store.passages())

    def search(
        self,
        query: str,
        *,
        k: int = 4,
        audience: str | None = None,
        mode: SearchMode = "hybrid",
    ) -> list[Hit]:
        """The `k` best passages for `query`, best first; customers need `audience="public"`.

        `score` depends on `mode`: hybrid is the fused reciprocal-rank score scaled to 0..1
        (1.0 = first in both rankings, about 0.5 = first in one and absent from the other);
        vector is cosine similarity; keyword is the raw BM25 score.
        """
        if k < 1:
            raise ValueError("k must be at least 1")
        check_audience(audience)
        if mode not in SEARCH_MODES:
            raise ValueError(f"mode must be one of {SEARCH_MODES}, got {mode!r}")
        if not query.strip():
            return []
        if mode == "vector":
            nearest = self._store.nearest_ids(
                self._embedder.embed_query(query), k=k, audience=audience
            )
            return self._hits(nearest, audience)
        if not self._keywords.exists() and self._store.count():
            # A store filled before keyword search existed (or by another host): index it once.
            self.rebuild_keywords()
        if mode == "keyword":
            return self._hits(self._keywords.search(query, k=k, audience=audience), audience)
        wanted = max(CANDIDATES, 2 * k)
        vector = self._embedder.embed_query(query)
        nearest = self._store.nearest_ids(vector, k=wanted, audience=audience)
        keyword = self._keywords.search(query, k=wanted, audience=audience)
        fused = fuse([[pid for pid, _ in nearest], [pid for pid, _ in keyword]])[:k]
        return self._hits(fused, audience)

    def _hits(self, ranked: Sequence[tuple[str, float]], audience: str | None) -> list[Hit]:
        """Hits for ranked ids: text and metadata read from the store for these only."""
        passages = self._store.get([pid for pid, _ in ranked])
        # The keyword index can lag the store (an ingest running in another process): an id
        # may be gone, or its article's audience changed. The store's metadata is the truth.
        return [
            passages[pid].hit(score)
            for pid, score in ranked
            if pid in passages and audience in (None, passages[pid].audience)
        ]
