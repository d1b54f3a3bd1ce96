"""Passages and their vectors in a ChromaDB collection (cosine space)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from retrieval.chunking import Passage
from retrieval.documents import AUDIENCES

DEFAULT_COLLECTION = "knowledge"
_OVERFETCH = 4  # unfiltered results read per wanted one when filtering by audience here


@dataclass(frozen=True)
class Hit:
    """A passage found by search, best = highest `score` (see `KnowledgeBase.search`)."""

    source: str
    title: str
    section: str
    audience: str
    text: str
    score: float
    updated: str = ""


@dataclass(frozen=True)
class StoredPassage:
    """A passage as stored: its id, metadata and text (no vector)."""

    id: str
    source: str
    title: str
    section: str
    audience: str
    text: str
    updated: str

    def hit(self, score: float) -> Hit:
        """This passage as a search hit with `score`."""
        return Hit(
            self.source, self.title, self.section, self.audience, self.text, score, self.updated
        )


def http_client_args(url: str) -> dict[str, Any]:
    """`chromadb.HttpClient` arguments for a Chroma server URL like http://host:8000."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"CHROMA_URL must look like http://host:8000, got {url!r}")
    ssl = parts.scheme == "https"
    return {"host": parts.hostname, "port": parts.port or (443 if ssl else 8000), "ssl": ssl}


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
    def open(
        cls, path: Path, collection: str = DEFAULT_COLLECTION, *, chroma_url: str | None = None
    ) -> DocumentStore:
        """The store of one knowledge base: on a Chroma server if `chroma_url`, else in `path`."""
        if not chroma_url:
            return cls.persistent(path, collection)
        import chromadb
        from chromadb.config import Settings

        args = http_client_args(chroma_url)
        try:
            client = chromadb.HttpClient(**args, settings=Settings(anonymized_telemetry=False))
            return cls._open(client, collection)
        except Exception as exc:  # chromadb raises bare ValueError/httpx errors when unreachable
            raise ConnectionError(f"cannot use the Chroma server at {chroma_url}: {exc}") from exc

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
        """The `k` nearest passages, best first, `score` = cosine similarity.

        `audience` keeps only passages of that audience: customer-facing callers must pass
        `audience="public"`; `None` (agents) searches all.
        """
        nearest = self.nearest_ids(query_embedding, k=k, audience=audience)
        passages = self.get([pid for pid, _ in nearest])
        hits = [passages[pid].hit(score) for pid, score in nearest if pid in passages]
        # Defence in depth: the audience check is the guarantee, this one makes a regression loud.
        if audience is not None and any(hit.audience != audience for hit in hits):
            raise RuntimeError("audience filter returned a passage of another audience")
        return hits

    def nearest_ids(
        self, query_embedding: Sequence[float], *, k: int, audience: str | None = None
    ) -> list[tuple[str, float]]:
        """Ids of the `k` nearest passages of `audience` (None: any), with cosine similarity.

        Chroma's metadata filter makes a query tens of times slower (about 90 ms instead of
        2 ms at 30,000 passages, measured here), so an audience is first filtered here over an
        over-fetched unfiltered result, and Chroma filters only when that leaves too few.
        """
        if k < 1:
            raise ValueError("k must be at least 1")
        check_audience(audience)
        # No count() first: it costs as much as the query, and Chroma returns fewer results
        # (none for an empty collection) when fewer exist.
        if audience is None:
            result = self._collection.query(
                query_embeddings=[list(query_embedding)], n_results=k, include=["distances"]
            )
            return [
                (str(pid), 1.0 - float(d))
                for pid, d in zip(result["ids"][0], result["distances"][0], strict=True)
            ]
        fetched = k * _OVERFETCH
        kept, seen = self._query_audience(query_embedding, fetched, audience, where=False)
        if len(kept) < k and seen == fetched:  # too few here, and the store holds more
            kept, _ = self._query_audience(query_embedding, k, audience, where=True)
        return kept[:k]

    def _query_audience(
        self, query_embedding: Sequence[float], n: int, audience: str, *, where: bool
    ) -> tuple[list[tuple[str, float]], int]:
        """(nearest of `audience`, how many results Chroma returned before our check)."""
        result = self._collection.query(
            query_embeddings=[list(query_embedding)],
            n_results=n,
            where={"audience": audience} if where else None,
            include=["metadatas", "distances"],
        )
        ids = result["ids"][0]
        rows = zip(ids, result["metadatas"][0], result["distances"][0], strict=True)
        kept = [(str(pid), 1.0 - float(d)) for pid, meta, d in rows if meta["audience"] == audience]
        return kept, len(ids)

    def get(self, ids: Sequence[str]) -> dict[str, StoredPassage]:
        """The stored passages with these ids (missing ids are left out)."""
        if not ids:
            return {}
        page = self._collection.get(ids=list(ids), include=["documents", "metadatas"])
        rows = zip(page["ids"], page["documents"], page["metadatas"], strict=True)
        return {pid: _stored(pid, text, meta) for pid, text, meta in rows}

    def passages(self) -> Iterator[StoredPassage]:
        """Every stored passage, page by page (for rebuilding the keyword index)."""
        total = self.count()
        for offset in range(0, total, self._batch):
            page = self._collection.get(
                include=["documents", "metadatas"], limit=self._batch, offset=offset
            )
            for pid, text, meta in zip(
                page["ids"], page["documents"], page["metadatas"], strict=True
            ):
                yield _stored(pid, text, meta)

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


def check_audience(audience: str | None) -> None:
    """Raise ValueError unless `audience` is None or a known audience."""
    if audience is not None and audience not in AUDIENCES:
        raise ValueError(f"audience must be one of {AUDIENCES} or None, got {audience!r}")


def _metadata(passage: Passage) -> dict[str, str]:
    return {
        "source": passage.source,
        "title": passage.title,
        "section": passage.section,
        "audience": passage.audience,
        "content_hash": passage.content_hash,
        "updated": passage.updated,
    }


def _stored(pid: str, text: Any, meta: Any) -> StoredPassage:
    return StoredPassage(
        id=str(pid),
        source=str(meta["source"]),
        title=str(meta["title"]),
        section=str(meta["section"]),
        audience=str(meta["audience"]),
        text=str(text),
        # Stores written before the field existed have no "updated".
        updated=str(meta.get("updated") or ""),
    )
