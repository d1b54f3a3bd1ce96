"""Semantic search over the knowledge base: embed the query, ask the store."""

from __future__ import annotations

from retrieval.embeddings import TextEmbedder
from retrieval.store import DocumentStore, Hit


class KnowledgeBase:
    """Query side of retrieval: a store plus the embedder its passages were embedded with."""

    def __init__(self, store: DocumentStore, embedder: TextEmbedder) -> None:
        """Use `store` for passages and `embedder` for queries."""
        self._store = store
        self._embedder = embedder

    @property
    def store(self) -> DocumentStore:
        """The underlying passage store."""
        return self._store

    def search(self, query: str, *, k: int = 4, audience: str | None = None) -> list[Hit]:
        """The `k` passages closest to `query`, best first; customers need `audience="public"`."""
        if not query.strip():
            return []
        return self._store.search(self._embedder.embed_query(query), k=k, audience=audience)
