"""Passages and their vectors in a ChromaDB collection (cosine space)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from retrieval.chunking import Passage
from retrieval.documents import AUDIENCES

DEFAULT_COLLECTION = "knowledge"


@dataclass(frozen=True)
class Hit:
    """A passage found by search; `score` is cosine similarity (1 = same direction)."""

    source: str
    title: str
    section: str
    audience: str
    text: str
    score: float


class DocumentStore:
    """Passages with embeddings in one Chroma collection; search can filter by audience."""

    def __init__(self, collection: Any, *, max_batch_size: int = 1000) -> None:
        """Wrap an open Chroma collection that was created with cosine distance."""
        space = (collection.configuration.get("hnsw") or {}).get("space")
        if space != "cosine":
            raise ValueError(f"collection {collection.name!r} uses {space!r} space, not cosine")
        self._collection = collection
        self._batch = max(1, max_batch_size)

    @classmethod
    def persistent(cls, path: Path, collection: str = DEFAULT_COLLECTION) -> DocumentStore:
        """Open (or create) a store in the directory `path`."""
        import chromadb
        from chromadb.config import Settings

        path.mkdir(parents=True, exist_ok=True)
        client = chromadb.PersistentClient(
            path=str(path), settings=Settings(anonymized_telemetry=False)
        )
        return cls._open(client, collection)

    @classmethod
    def ephemeral(cls, collection: str | None = None) -> DocumentStore:
        """An in-memory store; every call gets a fresh collection unless `collection` is named."""
        import chromadb
        from chromadb.config import Settings

        # In-memory Chroma clients share one process-wide system: a unique name isolates callers.
        name = collection or f"ephemeral-{uuid.uuid4().hex}"
        client = chromadb.EphemeralClient(settings=Settings(anonymized_telemetry=False))
        return cls._open(client, name)

    @classmethod
    def _open(cls, client: Any, name: str) -> DocumentStore:
        collection = client.get_or_create_collection(
            name,
            configuration={"hnsw": {"space": "cosine"}},
            # We always pass vectors; Chroma's default function would try to download a model.
            embedding_function=None,
        )
        return cls(collection, max_batch_size=min(1000, int(client.get_max_batch_size())))

    def add(self, passages: Sequence[Passage], embeddings: Sequence[Sequence[float]]) -> None:
        """Insert or replace (by id) passages with their embeddings."""
        if len(passages) != len(embeddings):
            raise ValueError(f"{len(passages)} passages but {len(embeddings)} embeddings")
        for start in range(0, len(passages), self._batch):
            batch = passages[start : start + self._batch]
            self._collection.upsert(
                ids=[p.id for p in batch],
                embeddings=[list(e) for e in embeddings[start : start + self._batch]],
                documents=[p.text for p in batch],
                metadatas=[_metadata(p) for p in batch],
            )

    def search(
        self, query_embedding: Sequence[float], *, k: int, audience: str | None = None
    ) -> list[Hit]:
        """The `k` nearest passages, best first; `audience` keeps only passages of that audience.

        Customer-facing callers must pass `audience="public"`; `None` (agents) searches all.
        """
        if k < 1:
            raise ValueError("k must be at least 1")
        if audience is not None and audience not in AUDIENCES:
            raise ValueError(f"audience must be one of {AUDIENCES} or None, got {audience!r}")
        if self.count() == 0:
            return []
        result = self._collection.query(
            query_embeddings=[list(query_embedding)],
            n_results=k,
            where={"audience": audience} if audience else None,
            include=["documents", "metadatas", "distances"],
        )
        hits = [
            Hit(
                source=str(meta["source"]),
                title=str(meta["title"]),
                section=str(meta["section"]),
                audience=str(meta["audience"]),
                text=str(text),
                score=1.0 - float(distance),
            )
            for text, meta, distance in zip(
                result["documents"][0], result["metadatas"][0], result["distances"][0], strict=True
            )
        ]
        # Defence in depth: the filter is the guarantee, this check makes a regression loud.
        if audience is not None and any(hit.audience != audience for hit in hits):
            raise RuntimeError("audience filter returned a passage of another audience")
        return hits

    def count(self) -> int:
        """Number of passages stored."""
        return int(self._collection.count())

    def delete_source(self, source: str) -> None:
        """Remove every passage of one document."""
        self._collection.delete(where={"source": source})

    def sources(self) -> dict[str, str]:
        """Map each stored document's source to the content hash its passages came from."""
        found: dict[str, str] = {}
        total = self.count()
        for offset in range(0, total, self._batch):
            page = self._collection.get(include=["metadatas"], limit=self._batch, offset=offset)
            for meta in page["metadatas"]:
                source, digest = str(meta["source"]), str(meta["content_hash"])
                # Mixed hashes mean an interrupted update: report none, so it is redone.
                found[source] = digest if found.get(source, digest) == digest else ""
        return found


def _metadata(passage: Passage) -> dict[str, str]:
    return {
        "source": passage.source,
        "title": passage.title,
        "section": passage.section,
        "audience": passage.audience,
        "content_hash": passage.content_hash,
    }
