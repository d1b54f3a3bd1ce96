"""Open one named knowledge base: its Chroma collection and the keyword index beside it."""

from __future__ import annotations

import re
from pathlib import Path

from retrieval.embeddings import TextEmbedder
from retrieval.keyword import KeywordIndex
from retrieval.search import KnowledgeBase
from retrieval.store import DEFAULT_COLLECTION, DocumentStore

DEFAULT_KB = DEFAULT_COLLECTION
"""The knowledge base used when none is named (the demo company's articles live there)."""

# Chroma's rule for collection names, which our names become.
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,61}[A-Za-z0-9]$")


def check_kb_name(name: str) -> str:
    """Return `name` if it can name a knowledge base, else raise ValueError."""
    if not _NAME.match(name) or ".." in name:
        raise ValueError(
            f"knowledge-base name {name!r} must be 3-63 letters, digits, '.', '_' or '-', "
            "starting and ending with a letter or digit"
        )
    return name


def keyword_dir(chroma_dir: Path, name: str) -> Path:
    """Where the keyword index of knowledge base `name` is saved: beside the Chroma store."""
    return chroma_dir.with_name("keyword") / check_kb_name(name)


def open_knowledge_base(
    chroma_dir: Path,
    embedder: TextEmbedder,
    *,
    name: str = DEFAULT_KB,
    chroma_url: str | None = None,
) -> KnowledgeBase:
    """Knowledge base `name`: a Chroma collection (server at `chroma_url`, else on disk).

    The keyword index always lives on local disk next to `chroma_dir`; with a Chroma server,
    a process without it rebuilds it from the server on its first search.
    """
    store = DocumentStore.open(chroma_dir, check_kb_name(name), chroma_url=chroma_url)
    return KnowledgeBase(store, embedder, KeywordIndex(keyword_dir(chroma_dir, name)))
