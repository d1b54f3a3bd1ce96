"""Deskpilot retrieval: knowledge-base loading, chunking, embeddings, stores and hybrid search.

Nothing heavy happens on import: build an `Embedder` with `Embedder.load()` and a knowledge base
with `open_knowledge_base(...)` at start-up, then pass them in.
"""

from retrieval.chunking import ChunkSize, Passage, chunk_document
from retrieval.documents import AUDIENCES, Document, LoadResult, load_directory, parse_document
from retrieval.embeddings import Embedder, TextEmbedder
from retrieval.ingest import IngestReport, embedding_text, ingest_paths
from retrieval.keyword import KeywordIndex
from retrieval.knowledge_base import DEFAULT_KB, open_knowledge_base
from retrieval.search import SEARCH_MODES, KnowledgeBase, SearchMode
from retrieval.store import DocumentStore, Hit

__all__ = [
    "AUDIENCES",
    "DEFAULT_KB",
    "SEARCH_MODES",
    "ChunkSize",
    "Document",
    "DocumentStore",
    "Embedder",
    "Hit",
    "IngestReport",
    "KeywordIndex",
    "KnowledgeBase",
    "LoadResult",
    "Passage",
    "SearchMode",
    "TextEmbedder",
    "chunk_document",
    "embedding_text",
    "ingest_paths",
    "load_directory",
    "open_knowledge_base",
    "parse_document",
]
