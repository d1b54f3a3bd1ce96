"""Ingest a knowledge-base directory into a DocumentStore; unchanged documents are skipped."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from retrieval.chunking import Passage, chunk_document
from retrieval.documents import Document, load_directory
from retrieval.embeddings import TextEmbedder
from retrieval.store import DocumentStore

Progress = Callable[[int, int], None]
"""Called with (passages embedded so far, passages to embed in total)."""

_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_TAG = re.compile(r"<[^>]*>")
_URL = re.compile(r"https?://\S+")
_SPACES = re.compile(r"[ \t]+")
_WRITE_EVERY = 256  # passages embedded before they are written, bounding memory on big corpora


@dataclass(frozen=True)
class IngestReport:
    """What an ingest run did: documents/passages (re)indexed, unchanged skipped, load errors."""

    documents: int
    passages: int
    skipped_unchanged: int
    errors: list[tuple[str, str]] = field(default_factory=list)
    removed: int = 0


def embedding_text(passage: Passage) -> str:
    """The text embedded for a passage: topic first, Markdown link targets and tags removed."""
    # Title and section give short passages their topic; URLs and markup only spend the
    # model's 256-token window without adding meaning.
    heading = f"{passage.title}: {passage.section}" if passage.section else passage.title
    text = _LINK.sub(r"\1", passage.text)
    text = _URL.sub(" ", _TAG.sub(" ", text))
    return f"{heading}\n{_SPACES.sub(' ', text).strip()}"


def ingest_directory(
    path: Path,
    store: DocumentStore,
    embedder: TextEmbedder,
    *,
    progress: Progress | None = None,
    batch_size: int = 64,
    remove_missing: bool = False,
) -> IngestReport:
    """Load, chunk, embed and store every new or changed document under `path`.

    A changed document's old passages are replaced. With `remove_missing`, documents no longer
    in the directory (and not merely unreadable) are deleted from the store.
    """
    loaded = load_directory(path)
    stored = store.sources()
    changed = [doc for doc in loaded.documents if stored.get(doc.source) != doc.content_hash]
    work = [(doc, chunk_document(doc)) for doc in changed]
    total = sum(len(passages) for _, passages in work)
    done = 0
    if progress is not None:
        progress(0, total)

    pending: list[tuple[Document, list[Passage]]] = []
    for item in work:
        pending.append(item)
        if sum(len(passages) for _, passages in pending) >= _WRITE_EVERY:
            done = _write(pending, store, embedder, batch_size, done, total, progress)
            pending = []
    done = _write(pending, store, embedder, batch_size, done, total, progress)

    removed = 0
    if remove_missing:
        present = {doc.source for doc in loaded.documents} | {src for src, _ in loaded.errors}
        for source in sorted(set(stored) - present):
            store.delete_source(source)
            removed += 1

    return IngestReport(
        documents=len(changed),
        passages=total,
        skipped_unchanged=len(loaded.documents) - len(changed),
        errors=list(loaded.errors),
        removed=removed,
    )


def _write(
    pending: Sequence[tuple[Document, list[Passage]]],
    store: DocumentStore,
    embedder: TextEmbedder,
    batch_size: int,
    done: int,
    total: int,
    progress: Progress | None,
) -> int:
    """Embed the pending documents' passages, then replace each document in the store."""
    passages = [p for _, doc_passages in pending for p in doc_passages]
    vectors: list[list[float]] = []
    for start in range(0, len(passages), batch_size):
        batch = passages[start : start + batch_size]
        vectors.extend(embedder.embed([embedding_text(p) for p in batch], batch_size=batch_size))
        done += len(batch)
        if progress is not None:
            progress(done, total)
    offset = 0
    # Embed first, then swap: a failure while embedding leaves the old passages searchable.
    for doc, doc_passages in pending:
        store.delete_source(doc.source)
        store.add(doc_passages, vectors[offset : offset + len(doc_passages)])
        offset += len(doc_passages)
    return done
