"""A synthetic knowledge base of N chunks, built once and kept under the data dir's cache.

Built the way ``bench retrieval`` builds its stores (``synthetic_passages`` embedded with the
real MiniLM, then ``mixed_passages`` up to the size), so a 100k-chunk store takes minutes on two
cores the first time. A finished build leaves a ``built.json`` marker; later runs reuse the
directory and only link it into their temporary data directory.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from app.bench.synthetic_passages import mixed_passages, synthetic_passages

Progress = Callable[[str], None]
_VERSION = 1
_STEP = 5000


def kb_cache_dir(cache_root: Path, chunks: int, sample: int) -> Path:
    """Where the store of ``chunks`` chunks (grown from ``sample`` embedded ones) is kept."""
    return cache_root / f"kb-{chunks}-s{sample}-v{_VERSION}"


def ensure_kb(cache_root: Path, chunks: int, *, sample: int, progress: Progress) -> Path:
    """The cached store's directory (``chroma/`` and ``keyword/``), built if missing."""
    from retrieval import (
        DEFAULT_KB,
        DocumentStore,
        Embedder,
        KeywordIndex,
        KnowledgeBase,
        embedding_text,
    )
    from retrieval.knowledge_base import keyword_dir

    if chunks < 1 or sample < 1:
        raise ValueError("chunks and sample must be at least 1")
    sample = min(sample, chunks)
    target = kb_cache_dir(cache_root, chunks, sample)
    marker = target / "built.json"
    if marker.exists():
        progress(f"reusing the cached {chunks:,}-chunk knowledge base in {target}")
        return target
    target.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    embedder = Embedder.load()
    base = synthetic_passages(sample)
    progress(f"embedding {sample:,} synthetic passages with MiniLM")
    vectors = np.array(
        embedder.embed([embedding_text(p) for p in base], batch_size=32), dtype=np.float32
    )
    chroma = target / "chroma"
    store = DocumentStore.persistent(chroma, DEFAULT_KB)
    if store.count() == 0:
        store.add(base, vectors.tolist())
    # An interrupted build resumes where the store stopped.
    while store.count() < chunks:
        count = min(_STEP, chunks - store.count())
        passages, mixed = mixed_passages(base, vectors, store.count(), count, seed=store.count())
        store.add(passages, mixed.tolist())
        progress(f"knowledge base: {store.count():,} / {chunks:,} chunks")
    kb = KnowledgeBase(store, embedder, KeywordIndex(keyword_dir(chroma, DEFAULT_KB)))
    progress("building the keyword index")
    kb.rebuild_keywords()
    built_s = time.perf_counter() - started
    marker.write_text(json.dumps({"chunks": store.count(), "sample": sample, "build_s": built_s}))
    progress(f"knowledge base of {store.count():,} chunks built in {built_s:.0f} s")
    return target


def link_kb(kb_dir: Path, data_dir: Path) -> None:
    """Make ``data_dir`` use the cached store (``chroma`` and ``keyword`` as symlinks)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    for name in ("chroma", "keyword"):
        (data_dir / name).symlink_to(kb_dir / name, target_is_directory=True)
