"""Retrieval quality on a labelled question set: recall@k and MRR per search mode."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import yaml

from retrieval.search import SEARCH_MODES, KnowledgeBase, SearchMode

DEMO_QUESTIONS = "eval/demo_questions.yaml"
"""The packaged question set over the demo company's knowledge base."""

RECALL_AT = 5
MRR_DEPTH = 10


@dataclass(frozen=True)
class Question:
    """A question as a user would ask it, and the article(s) that answer it."""

    question: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class ModeResult:
    """Scores of one search mode over the whole set."""

    mode: str
    recall_at_5: float
    mrr: float
    misses: list[tuple[str, str]] = field(default_factory=list)  # (question, top source)

    def as_dict(self) -> dict[str, object]:
        """JSON-ready figures (misses as {question, expected, top})."""
        return {"mode": self.mode, "recall@5": self.recall_at_5, "mrr": self.mrr}


def load_questions(path: Path | None = None) -> list[Question]:
    """Questions from a YAML list or JSONL file of {question, source | sources}; default: demo."""
    if path is None:
        text = resources.files("retrieval").joinpath(DEMO_QUESTIONS).read_text(encoding="utf-8")
        rows = yaml.safe_load(text)
    elif path.suffix.lower() == ".jsonl":
        lines = path.read_text(encoding="utf-8").splitlines()
        rows = [json.loads(line) for line in lines if line.strip()]
    else:
        rows = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(rows, list):
        raise ValueError("a question set is a list of {question, source} entries")
    questions = []
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, dict) or not str(row.get("question", "")).strip():
            raise ValueError(f"entry {number}: needs a non-empty 'question'")
        sources = row.get("sources") or [row.get("source")]
        if not all(isinstance(s, str) and s for s in sources):
            raise ValueError(f"entry {number}: needs 'source' (or a 'sources' list)")
        questions.append(Question(str(row["question"]).strip(), tuple(sources)))
    return questions


def first_rank(found: Sequence[str], expected: Sequence[str]) -> int | None:
    """1-based rank of the first hit from an expected article, or None."""
    for rank, source in enumerate(found, start=1):
        if source in expected:
            return rank
    return None


def evaluate(
    kb: KnowledgeBase,
    questions: Sequence[Question],
    *,
    modes: Sequence[SearchMode] = SEARCH_MODES,
    progress: Callable[[int, int], None] | None = None,
) -> list[ModeResult]:
    """Recall@5 (an answering article among the top 5 passages) and MRR@10, per mode."""
    results = []
    total = len(questions) * len(modes)
    done = 0
    for mode in modes:
        hits_at_5 = 0
        reciprocal = 0.0
        misses = []
        for question in questions:
            hits = kb.search(question.question, k=MRR_DEPTH, mode=mode)
            sources = [hit.source for hit in hits]
            rank = first_rank(sources, question.sources)
            if rank is not None and rank <= RECALL_AT:
                hits_at_5 += 1
            else:
                misses.append((question.question, sources[0] if sources else ""))
            reciprocal += 1.0 / rank if rank is not None else 0.0
            done += 1
            if progress is not None:
                progress(done, total)
        count = max(1, len(questions))
        results.append(ModeResult(mode, hits_at_5 / count, reciprocal / count, misses))
    return results
