"""Deskpilot retrieval: knowledge-base loading, chunking, embeddings, vector store and search.

Nothing heavy happens on import: build an `Embedder` with `Embedder.load()` and a store with
`DocumentStore.persistent(path)` at start-up, then pass them in.
"""

from retrieval.chunking import Passage, chunk_document
from retrieval.documents import AUDIENCES, Document, LoadResult, load_directory, parse_document
from retrieval.embeddings import Embedder, TextEmbedder
from retrieval.ingest import IngestReport, embedding_text, ingest_directory
from retrieval.search import KnowledgeBase
from retrieval.store import DocumentStore, Hit

__all__ = [
    "AUDIENCES",
    "Document",
    "DocumentStore",
    "Embedder",
    "Hit",
    "IngestReport",
    "KnowledgeBase",
    "LoadResult",
    "Passage",
    "TextEmbedder",
    "chunk_document",
    "embedding_text",
    "ingest_directory",
    "load_directory",
    "parse_document",
]
