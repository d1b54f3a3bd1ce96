"""Ingest knowledge-base files into a knowledge base; unchanged documents are skipped."""

from __future__ import annotations

import dataclasses
import hashlib
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from retrieval.chunking import ChunkSize, Passage, chunk_document
from retrieval.documents import Document, load_directory
from retrieval.embeddings import TextEmbedder
from retrieval.search import KnowledgeBase
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
    """What an ingest run did, file by file, and the passages it embedded."""

    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)
    passages: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def documents(self) -> int:
        """Documents (re)indexed: added plus replaced."""
        return len(self.added) + len(self.replaced)

    @property
    def skipped_unchanged(self) -> int:
        """Documents skipped because they did not change since the last ingest."""
        return self.unchanged

    def summary(self) -> str:
        """One line: files added/replaced/unchanged/removed, passages, errors."""
        rate = f" in {self.seconds:.1f} s" if self.seconds else ""
        return (
            f"{len(self.added)} added, {len(self.replaced)} replaced, {self.unchanged} unchanged, "
            f"{len(self.removed)} removed; {self.passages} passages embedded{rate}; "
            f"{len(self.errors)} failed"
        )


def index_version(embedder: TextEmbedder, size: ChunkSize | None) -> str:
    """What, besides a file's content, decides its passages and vectors."""
    size = size or ChunkSize()
    model = getattr(embedder, "name", type(embedder).__name__)
    counter = getattr(size.count_tokens, "__qualname__", "words") if size.count_tokens else "words"
    return f"{model}|{counter}|{size.max_tokens}|{size.overlap_tokens}"


def embedding_text(passage: Passage) -> str:
    """The text embedded for a passage: topic first, Markdown link targets and tags removed."""
    # Title and section give short passages their topic; URLs and markup only spend the
    # model's 256-token window without adding meaning.
    heading = f"{passage.title}: {passage.section}" if passage.section else passage.title
    text = _LINK.sub(r"\1", passage.text)
    text = _URL.sub(" ", _TAG.sub(" ", text))
    return f"{heading}\n{_SPACES.sub(' ', text).strip()}"


def ingest_paths(
    paths: Sequence[Path],
    kb: KnowledgeBase,
    *,
    size: ChunkSize | None = None,
    default_audience: str = "public",
    sync: bool = False,
    progress: Progress | None = None,
    batch_size: int = 64,
) -> IngestReport:
    """Load, chunk, embed and store every new or changed document under `paths`.

    Each path is a directory (sources relative to it) or a file (source = its name). A changed
    document's old passages are replaced; a file that cannot be read is reported in `errors`
    and the rest still go in. With `sync`, documents no longer under `paths` (and not merely
    unreadable) are deleted. The keyword index is rebuilt when anything changed.
    """
    started = time.perf_counter()
    documents: dict[str, Document] = {}
    errors: list[tuple[str, str]] = []
    for path in paths:
        loaded = load_directory(path, default_audience=default_audience)
        errors += loaded.errors
        for doc in loaded.documents:
            if doc.source in documents:
                errors.append((doc.source, f"same source name as another file (in {path})"))
            else:
                documents[doc.source] = doc
    store = kb.store
    stored = store.sources()
    version = index_version(kb.embedder, size)
    work: list[tuple[Document, list[Passage]]] = []
    unchanged = 0
    for doc in documents.values():
        # Same file, same model, same chunk sizes: the stored passages are still right.
        digest = hashlib.sha256(f"{doc.content_hash}|{version}".encode()).hexdigest()
        doc = dataclasses.replace(doc, content_hash=digest)
        if stored.get(doc.source) == digest:
            unchanged += 1
            continue
        passages = chunk_document(doc, size)
        if passages:
            work.append((doc, passages))
        else:
            errors.append((doc.source, "no text to index"))
    total = sum(len(passages) for _, passages in work)
    if progress is not None:
        progress(0, total)

    done = 0
    pending: list[tuple[Document, list[Passage]]] = []
    for item in work:
        pending.append(item)
        if sum(len(passages) for _, passages in pending) >= _WRITE_EVERY:
            done = _write(pending, store, kb.embedder, batch_size, done, total, progress)
            pending = []
    _write(pending, store, kb.embedder, batch_size, done, total, progress)

    removed: list[str] = []
    if sync:
        present = set(documents) | {source for source, _ in errors}
        for source in sorted(set(stored) - present):
            store.delete_source(source)
            removed.append(source)

    if work or removed or not kb.keywords.exists():
        kb.rebuild_keywords()
    return IngestReport(
        added=[doc.source for doc, _ in work if doc.source not in stored],
        replaced=[doc.source for doc, _ in work if doc.source in stored],
        unchanged=unchanged,
        removed=removed,
        passages=total,
        errors=errors,
        seconds=time.perf_counter() - started,
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
