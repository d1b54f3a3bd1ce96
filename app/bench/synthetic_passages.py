"""Synthetic knowledge-base passages for the retrieval benchmark: varied, realistic words."""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from retrieval import Passage

_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def synthetic_passages(count: int, seed: int = 7) -> list[Passage]:
    """Varied passages made from the demo articles' sentences, shuffled across topics."""
    from app.demo import KNOWLEDGE_DIR
    from retrieval import Passage, load_directory

    docs = load_directory(KNOWLEDGE_DIR).documents
    sentences = [
        s.strip()
        for doc in docs
        for s in _SENTENCE.split(re.sub(r"[#|*`>-]+", " ", doc.body))
        if len(s.split()) >= 5
    ]
    rng = random.Random(seed)
    passages = []
    for i in range(count):
        doc = rng.choice(docs)
        text = " ".join(rng.sample(sentences, rng.randint(3, 7)))
        passages.append(
            Passage(
                id=f"bench-{i}.md#0",
                source=f"bench-{i}.md",
                title=f"{doc.title} ({i})",
                section=rng.choice(["", "Overview", "Troubleshooting", "Warranty", "Costs"]),
                audience="internal" if rng.random() < 0.2 else "public",
                text=text,
                content_hash="bench",
            )
        )
    return passages


def mixed_passages(
    sample: Sequence[Passage], vectors: np.ndarray, start: int, count: int, seed: int
) -> tuple[list[Passage], np.ndarray]:
    """`count` passages beyond the sample: two sampled passages joined, vectors averaged."""
    from retrieval import Passage

    rng = np.random.default_rng(seed)
    left = rng.integers(0, len(sample), count)
    right = rng.integers(0, len(sample), count)
    mixed = vectors[left] + vectors[right]
    mixed /= np.linalg.norm(mixed, axis=1, keepdims=True)
    passages = []
    for n, (a, b) in enumerate(zip(left.tolist(), right.tolist(), strict=True)):
        pa, pb = sample[a], sample[b]
        wa, wb = pa.text.split(), pb.text.split()
        i = start + n
        passages.append(
            Passage(
                id=f"bench-{i}.md#0",
                source=f"bench-{i}.md",
                title=pa.title,
                section=pb.section,
                audience=pa.audience,
                text=" ".join(wa[: len(wa) // 2] + wb[len(wb) // 2 :]),
                content_hash="bench",
            )
        )
    return passages, mixed
