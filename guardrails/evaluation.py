"""Score a redactor against labelled messages: values removed, span precision and recall."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

# Ids in the product's own formats; reported apart because they are not pseudonymised yet.
ID_TYPES: tuple[str, ...] = ("ORDER_ID", "TICKET_ID", "CUSTOMER_ID")
# Lower-case name particles ("van der", "de") that do not identify anyone on their own.
_NAME_PARTICLES = frozenset("van der den de del della di da von le la du des y el ten ter".split())  # noqa: SIM905
_MIN_NAME_PART_LETTERS = 3


@dataclass(frozen=True)
class LabelledEntity:
    """One labelled personal value: ``text[start:end] == value``."""

    entity_type: str
    start: int
    end: int
    value: str


@dataclass(frozen=True)
class LabelledMessage:
    """A message of the evaluation set and its labelled personal values (none: no PII)."""

    id: int
    locale: str
    text: str
    entities: tuple[LabelledEntity, ...]


class SpanLike(Protocol):
    """A detected stretch of the input: its type and offsets into the input text."""

    @property
    def entity_type(self) -> str:
        """The detected entity type, e.g. PERSON."""

    @property
    def start(self) -> int:
        """Offset of the first character in the input."""

    @property
    def end(self) -> int:
        """Offset just past the last character in the input."""


class RedactionLike(Protocol):
    """What a redactor returns: the redacted text and the spans it detected."""

    @property
    def text(self) -> str:
        """The redacted text."""

    @property
    def entities(self) -> Sequence[SpanLike]:
        """The detected spans, offsets into the input."""


@dataclass
class TypeFigures:
    """Counts for one entity type (or all of them); the rates are None when undefined."""

    entity_type: str
    labelled: int = 0
    removed: int = 0  # labelled values no longer in the redacted text
    found: int = 0  # labelled spans overlapped by a detection of the same type
    found_any: int = 0  # labelled spans overlapped by a detection of any type
    detected: int = 0
    correct: int = 0  # detections overlapping a labelled span of the same type

    @property
    def removal_rate(self) -> float | None:
        """Share of labelled values gone from the redacted text."""
        return self.removed / self.labelled if self.labelled else None

    @property
    def recall(self) -> float | None:
        """Share of labelled spans overlapped by a detection of the same type."""
        return self.found / self.labelled if self.labelled else None

    @property
    def any_type_recall(self) -> float | None:
        """Share of labelled spans overlapped by any detection."""
        return self.found_any / self.labelled if self.labelled else None

    @property
    def precision(self) -> float | None:
        """Share of detections that overlap a labelled span of their type."""
        return self.correct / self.detected if self.detected else None

    def add(self, other: TypeFigures) -> None:
        """Add the counts of ``other`` to these."""
        self.labelled += other.labelled
        self.removed += other.removed
        self.found += other.found
        self.found_any += other.found_any
        self.detected += other.detected
        self.correct += other.correct


@dataclass(frozen=True)
class EvalReport:
    """Figures of one redactor over a labelled set."""

    by_type: dict[str, TypeFigures]
    messages: int
    clean_messages: int  # messages without personal data
    clean_unchanged: int  # ... that came through unchanged
    timings: tuple[tuple[int, float], ...] = field(default=())  # (characters, seconds) per message

    def total(self, exclude: Iterable[str] = ()) -> TypeFigures:
        """All types added up, but those in ``exclude``."""
        skip = set(exclude)
        total = TypeFigures("overall")
        for figures in self.by_type.values():
            if figures.entity_type not in skip:
                total.add(figures)
        return total

    @property
    def unchanged_share(self) -> float | None:
        """Share of messages without personal data that came through unchanged."""
        return self.clean_unchanged / self.clean_messages if self.clean_messages else None


def load_labelled(path: Path | str) -> list[LabelledMessage]:
    """Read a JSONL set; raises ValueError on a label whose offsets do not match its value."""
    messages: list[LabelledMessage] = []
    with Path(path).open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            row = json.loads(line)
            text = str(row["text"])
            entities = tuple(
                LabelledEntity(str(e["type"]), int(e["start"]), int(e["end"]), str(e["value"]))
                for e in row["entities"]
            )
            for e in entities:
                if text[e.start : e.end] != e.value:
                    raise ValueError(f"line {number}: {e.entity_type} offsets do not match value")
            messages.append(LabelledMessage(int(row["id"]), str(row["locale"]), text, entities))
    return messages


def _overlaps(a_start: int, a_end: int, b_start: int, b_end: int) -> bool:
    """True if the half-open ranges share at least one character."""
    return a_start < b_end and b_start < a_end


def still_present(entity: LabelledEntity, redacted: str) -> bool:
    """True if the value (any case) is still in ``redacted``; for names, any name word of it."""
    if entity.entity_type != "PERSON":
        return entity.value.casefold() in redacted.casefold()
    parts = [
        part
        for part in re.findall(r"[^\W\d_]+(?:['’-][^\W\d_]+)*", entity.value)
        if len(part) >= _MIN_NAME_PART_LETTERS and part.casefold() not in _NAME_PARTICLES
    ] or [entity.value]
    return any(
        re.search(rf"(?<!\w){re.escape(part)}(?!\w)", redacted, re.IGNORECASE) for part in parts
    )


def evaluate(
    messages: Iterable[LabelledMessage], redact: Callable[[str], RedactionLike]
) -> EvalReport:
    """Run ``redact`` on every message and count what it removed and detected."""
    by_type: dict[str, TypeFigures] = {}
    count = clean = unchanged = 0
    timings: list[tuple[int, float]] = []
    for message in messages:
        started = time.perf_counter()
        redaction = redact(message.text)
        timings.append((len(message.text), time.perf_counter() - started))
        count += 1
        if not message.entities:
            clean += 1
            unchanged += redaction.text == message.text
        for label in message.entities:
            figures = by_type.setdefault(label.entity_type, TypeFigures(label.entity_type))
            figures.labelled += 1
            figures.removed += not still_present(label, redaction.text)
            hits = [
                d for d in redaction.entities if _overlaps(d.start, d.end, label.start, label.end)
            ]
            figures.found += any(d.entity_type == label.entity_type for d in hits)
            figures.found_any += bool(hits)
        for detection in redaction.entities:
            figures = by_type.setdefault(detection.entity_type, TypeFigures(detection.entity_type))
            figures.detected += 1
            figures.correct += any(
                label.entity_type == detection.entity_type
                and _overlaps(detection.start, detection.end, label.start, label.end)
                for label in message.entities
            )
    ordered = dict(sorted(by_type.items(), key=lambda kv: (-kv[1].labelled, kv[0])))
    return EvalReport(ordered, count, clean, unchanged, tuple(timings))


@dataclass(frozen=True)
class Latency:
    """Percentiles of the redact time, in milliseconds, over a stated range of message lengths."""

    messages: int
    chars: str  # "400-600", or "all" when too few messages had that length
    p50_ms: float
    p95_ms: float


def latency(
    report: EvalReport, *, min_chars: int = 400, max_chars: int = 600, min_samples: int = 20
) -> Latency | None:
    """p50/p95 of the redact time over messages of min..max characters (all if too few)."""
    sample = sorted(s for n, s in report.timings if min_chars <= n <= max_chars)
    chars = f"{min_chars}-{max_chars}"
    if len(sample) < min_samples:
        sample, chars = sorted(s for _, s in report.timings), "all"
    if not sample:
        return None

    def percentile(q: float) -> float:
        return round(sample[min(len(sample) - 1, int(q * len(sample)))] * 1000, 2)

    return Latency(len(sample), chars, percentile(0.5), percentile(0.95))


def _figures_dict(figures: TypeFigures) -> dict[str, Any]:
    """The counts and rates of one row."""
    return {
        "labelled": figures.labelled,
        "removed": figures.removed,
        "removal_rate": figures.removal_rate,
        "recall": figures.recall,
        "any_type_recall": figures.any_type_recall,
        "detected": figures.detected,
        "precision": figures.precision,
    }


def report_as_dict(report: EvalReport) -> dict[str, Any]:
    """The report as plain JSON-ready data."""
    return {
        "messages": report.messages,
        "clean_messages": report.clean_messages,
        "clean_unchanged": report.clean_unchanged,
        "unchanged_share": report.unchanged_share,
        "overall": _figures_dict(report.total()),
        "overall_without_ids": _figures_dict(report.total(ID_TYPES)),
        "by_type": {name: _figures_dict(f) for name, f in report.by_type.items()},
    }


def _rate(value: float | None) -> str:
    """A rate to three decimals, or a dash when undefined."""
    return "-" if value is None else f"{value:.3f}"


_COLUMNS = (
    ("removed", "removal_rate"),
    ("recall", "recall"),
    ("any-type recall", "any_type_recall"),
    ("precision", "precision"),
)


def format_comparison(reports: Sequence[tuple[str, EvalReport]], *, title: str) -> str:
    """One aligned table of several redactors on the same set; a cell holds each one's figure."""
    types = list(dict.fromkeys(t for _, r in reports for t in r.by_type))
    labelled = {
        t: max(r.by_type[t].labelled if t in r.by_type else 0 for _, r in reports) for t in types
    }
    types.sort(key=lambda t: (labelled[t] == 0, t in ID_TYPES, -labelled[t], t))
    rows: list[tuple[str, list[TypeFigures]]] = [
        (t, [r.by_type.get(t, TypeFigures(t)) for _, r in reports]) for t in types
    ]
    rows += [
        ("overall", [r.total() for _, r in reports]),
        ("overall (no ids)", [r.total(ID_TYPES) for _, r in reports]),
    ]
    table = [
        [name, str(figures[0].labelled)]
        + [" / ".join(_rate(getattr(f, attr)) for f in figures) for _, attr in _COLUMNS]
        + [" / ".join(str(f.detected) for f in figures)]
        for name, figures in rows
    ]
    header = ["type", "n", *(label for label, _ in _COLUMNS), "detected"]
    widths = [max(len(row[i]) for row in [header, *table]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    rule = "-" * len(line(header))
    lines = [title]
    if len(reports) > 1:
        lines.append("each cell: " + " / ".join(name for name, _ in reports))
    lines += [line(header), rule]
    for row in table:
        if row[0] == "overall":
            lines.append(rule)
        lines.append(line(row))
    lines.append("")
    for name, report in reports:
        lines.append(
            f"{name + ': ' if name else ''}messages without personal data unchanged "
            f"{_rate(report.unchanged_share)} ({report.clean_unchanged}/{report.clean_messages})"
            f" of {report.messages} messages"
        )
    return "\n".join(lines)
