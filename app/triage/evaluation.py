"""Triage accuracy on a labelled set: urgency and category accuracy and confusion matrices.

The set is JSONL, one ticket a line: ``{"id", "source", "subject", "text", "urgency",
"category"}`` with the labels a support lead gave (see tests/data/triage_eval.md).
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args

from app.errors import DeskpilotError
from app.triage.schemas import Category, Classification, Urgency

Classify = Callable[[str], Awaitable[Classification]]
LABELS: dict[str, tuple[str, ...]] = {
    "urgency": get_args(Urgency),
    "category": get_args(Category),
}


@dataclass(frozen=True, slots=True)
class LabelledTicket:
    """One ticket of the evaluation set and its true labels."""

    id: str
    source: str
    text: str
    urgency: str
    category: str


@dataclass(slots=True)
class FieldScore:
    """Accuracy and confusion (true label -> predicted label -> count) of one field."""

    correct: int = 0
    total: int = 0
    confusion: dict[str, Counter[str]] = field(default_factory=dict)

    @property
    def accuracy(self) -> float:
        """Share of tickets labelled correctly."""
        return self.correct / self.total if self.total else 0.0

    def add(self, truth: str, predicted: str) -> None:
        """Count one prediction."""
        self.total += 1
        self.correct += truth == predicted
        self.confusion.setdefault(truth, Counter())[predicted] += 1


@dataclass(slots=True)
class TriageEvaluation:
    """Scores over the whole set and per source, and the misses."""

    path: str
    fields: dict[str, FieldScore] = field(default_factory=dict)
    by_source: dict[str, dict[str, FieldScore]] = field(default_factory=dict)
    misses: list[dict[str, str]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready report."""
        return {
            "path": self.path,
            "tickets": self.fields["urgency"].total,
            **{f"{name}_accuracy": round(s.accuracy, 4) for name, s in self.fields.items()},
            "by_source": {
                source: {f"{n}_accuracy": round(s.accuracy, 4) for n, s in scores.items()}
                | {"tickets": scores["urgency"].total}
                for source, scores in self.by_source.items()
            },
            "confusion": {
                name: {t: dict(c) for t, c in s.confusion.items()}
                for name, s in self.fields.items()
            },
            "misses": self.misses,
        }


def load_labelled(path: Path) -> list[LabelledTicket]:
    """Read the labelled set; DeskpilotError naming the line of a bad entry."""
    if not path.is_file():
        raise DeskpilotError(f"{path}: no such file (give a labelled JSONL set)")
    tickets = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            ticket = LabelledTicket(
                id=str(row["id"]),
                source=str(row.get("source", "")),
                text=f"Subject: {row.get('subject', '')}\n\n{row['text']}",
                urgency=str(row["urgency"]),
                category=str(row["category"]),
            )
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise DeskpilotError(f"{path.name}:{number}: not a labelled ticket ({exc})") from None
        for name, allowed in LABELS.items():
            if getattr(ticket, name) not in allowed:
                raise DeskpilotError(
                    f"{path.name}:{number}: unknown {name} {getattr(ticket, name)!r}"
                )
        tickets.append(ticket)
    if not tickets:
        raise DeskpilotError(f"{path}: no tickets")
    return tickets


async def evaluate_triage(
    tickets: Sequence[LabelledTicket],
    classify: Classify,
    *,
    path: str = "",
    concurrency: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> TriageEvaluation:
    """Classify every ticket (``concurrency`` at a time) and score urgency and category."""
    semaphore = asyncio.Semaphore(max(1, concurrency))
    finished = 0

    async def one(ticket: LabelledTicket) -> Classification:
        nonlocal finished
        async with semaphore:
            predicted = await classify(ticket.text)
        finished += 1
        if progress:
            progress(finished, len(tickets))
        return predicted

    predictions = await asyncio.gather(*(one(t) for t in tickets))
    report = TriageEvaluation(path, {name: FieldScore() for name in LABELS})
    for ticket, predicted in zip(tickets, predictions, strict=True):
        per_source = report.by_source.setdefault(
            ticket.source, {name: FieldScore() for name in LABELS}
        )
        for name in LABELS:
            truth, guess = getattr(ticket, name), getattr(predicted, name)
            report.fields[name].add(truth, guess)
            per_source[name].add(truth, guess)
        if (predicted.urgency, predicted.category) != (ticket.urgency, ticket.category):
            report.misses.append(
                {
                    "id": ticket.id,
                    "expected": f"{ticket.urgency} {ticket.category}",
                    "predicted": f"{predicted.urgency} {predicted.category}",
                }
            )
    return report


def confusion_table(score: FieldScore, labels: Sequence[str]) -> list[list[str]]:
    """Rows of a confusion matrix (true label per row, predicted per column) with a header."""
    used = [label for label in labels if label in score.confusion] or list(labels)
    predicted = {p for c in score.confusion.values() for p in c}
    columns = [label for label in labels if label in predicted or label in score.confusion]
    rows = [["true \\ predicted", *columns]]
    for truth in used:
        counts = score.confusion.get(truth, Counter())
        rows.append([truth, *(str(counts.get(c, 0) or ".") for c in columns)])
    return rows
