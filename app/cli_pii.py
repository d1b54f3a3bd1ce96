"""The ``deskpilot pii`` subcommands: redact stdin line by line, evaluate on a labelled set."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.errors import DeskpilotError

if TYPE_CHECKING:
    from presidio_analyzer import AnalyzerEngine

    from app.settings import Settings
    from guardrails import Pseudonymiser
    from guardrails.evaluation import EvalReport, LabelledMessage, RedactionLike

WARMUP_MESSAGES = 5


def _settings(args: argparse.Namespace) -> Settings:
    """Settings from the environment, with the global ``--data-dir`` if given."""
    from app.settings import load_settings

    data_dir = getattr(args, "data_dir", None)
    return load_settings(data_dir=data_dir) if data_dir is not None else load_settings()


def _analyzer(settings: Settings) -> AnalyzerEngine:
    """Presidio's analyzer on the configured offline spaCy model (takes seconds)."""
    from app.log_setup import quiet_libraries
    from app.offline import enforce_offline
    from guardrails import build_analyzer

    enforce_offline()
    quiet_libraries()
    try:
        return build_analyzer(settings.spacy_model)
    except LookupError as exc:
        raise DeskpilotError(str(exc)) from None


def _pseudonymiser(analyzer: AnalyzerEngine) -> Pseudonymiser:
    """Deskpilot's pseudonymiser, with the catalog's product names allowed through."""
    from app.demo.catalog import PRODUCTS
    from guardrails import Pseudonymiser

    return Pseudonymiser(analyzer, allow_list=[p.name for p in PRODUCTS])


def redact_lines(lines: Iterable[str], pseudonymiser: Pseudonymiser) -> Iterator[str]:
    """One JSON object per input line: the redacted text and the entities replaced in it."""
    from guardrails import PseudonymVault

    for line in lines:
        text = line.rstrip("\r\n")
        redaction = pseudonymiser.anonymise(text, PseudonymVault())
        entities = [
            {"type": e.entity_type, "start": e.start, "end": e.end, "score": e.score}
            for e in redaction.entities
        ]
        yield json.dumps({"redacted": redaction.text, "entities": entities}, ensure_ascii=False)


def cmd_pii_redact(args: argparse.Namespace) -> int:
    """Read messages from stdin, one per line; write one JSON object per line."""
    from guardrails import PseudonymisationError

    pseudonymiser = _pseudonymiser(_analyzer(_settings(args)))
    try:
        for output in redact_lines(sys.stdin, pseudonymiser):
            print(output, flush=True)
    except PseudonymisationError as exc:
        # Fail closed: stop rather than write a line that may still hold personal data.
        print(f"deskpilot: {exc}", file=sys.stderr)
        return 1
    return 0


@dataclass(frozen=True)
class _Detection:
    """A span vanilla Presidio detected."""

    entity_type: str
    start: int
    end: int


@dataclass(frozen=True)
class _VanillaRedaction:
    """Vanilla Presidio's output: every detected span replaced by ``<TYPE>``."""

    text: str
    entities: list[_Detection]


def vanilla_redactor(analyzer: AnalyzerEngine) -> Callable[[str], _VanillaRedaction]:
    """Presidio as shipped (default recognizers and threshold) on ``analyzer``'s spaCy model."""
    from presidio_analyzer import AnalyzerEngine
    from presidio_anonymizer import AnonymizerEngine
    from presidio_anonymizer.entities import RecognizerResult

    # A fresh engine builds the default registry; only the loaded spaCy pipeline is shared.
    vanilla = AnalyzerEngine(nlp_engine=analyzer.nlp_engine, supported_languages=["en"])
    anonymizer = AnonymizerEngine()  # type: ignore[no-untyped-call]

    def redact(text: str) -> _VanillaRedaction:
        found = vanilla.analyze(text=text, language="en")
        spans = [_Detection(str(r.entity_type), int(r.start), int(r.end)) for r in found]
        # The anonymizer resolves overlapping detections (by score) the way vanilla Presidio does.
        results = [RecognizerResult(r.entity_type, r.start, r.end, r.score) for r in found]
        redacted = anonymizer.anonymize(text=text, analyzer_results=results).text
        return _VanillaRedaction(str(redacted), spans)

    return redact


def _run(
    name: str,
    messages: Sequence[LabelledMessage],
    redact: Callable[[str], RedactionLike],
) -> EvalReport:
    """Warm ``redact`` up, then evaluate it with a progress bar on stderr."""
    from rich.console import Console
    from rich.progress import Progress

    from guardrails.evaluation import evaluate

    for message in messages[:WARMUP_MESSAGES]:
        redact(message.text)
    with Progress(console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task(f"Redacting with {name}", total=len(messages))

        def tracked(text: str) -> RedactionLike:
            result = redact(text)
            progress.advance(task)
            return result

        return evaluate(messages, tracked)


def cmd_pii_eval(args: argparse.Namespace) -> int:
    """Print removal, precision and recall per entity type, ours next to vanilla Presidio."""
    from guardrails import PseudonymVault
    from guardrails.evaluation import (
        format_comparison,
        latency,
        load_labelled,
        report_as_dict,
    )

    try:
        messages = load_labelled(args.file)
    except (OSError, ValueError, KeyError) as exc:
        raise DeskpilotError(f"cannot read labelled set {args.file}: {exc}") from None
    analyzer = _analyzer(_settings(args))
    pseudonymiser = _pseudonymiser(analyzer)
    reports = [
        (
            "deskpilot",
            _run("Deskpilot", messages, lambda t: pseudonymiser.anonymise(t, PseudonymVault())),
        )
    ]
    if args.baseline:
        reports.append(("vanilla", _run("vanilla Presidio", messages, vanilla_redactor(analyzer))))
    timing = latency(reports[0][1])
    if args.json:
        payload: dict[str, Any] = {name: report_as_dict(report) for name, report in reports}
        payload["latency_ms"] = None if timing is None else asdict(timing)
        print(json.dumps(payload))
        return 0
    print(format_comparison(reports, title=f"PII evaluation on {args.file}"))
    if timing is not None:
        print(
            f"deskpilot redact latency over {timing.messages} messages ({timing.chars} chars): "
            f"p50 {timing.p50_ms:.1f} ms, p95 {timing.p95_ms:.1f} ms"
        )
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``pii redact`` and ``pii eval`` to the ``deskpilot`` subcommands."""
    pii = subparsers.add_parser("pii", help="find and replace personal data")
    pii_sub = pii.add_subparsers(dest="pii_command", required=True)
    redact = pii_sub.add_parser(
        "redact",
        help="stdin, one message per line -> one JSON object per line "
        '({"redacted": ..., "entities": [{"type", "start", "end", "score"}]})',
    )
    redact.set_defaults(func=cmd_pii_redact)
    evaluate = pii_sub.add_parser(
        "eval", help="removal, precision and recall per entity type on a labelled JSONL set"
    )
    evaluate.add_argument("file", type=Path, help="JSONL: id, locale, text, entities")
    evaluate.add_argument("--json", action="store_true", help="print one JSON object")
    evaluate.add_argument(
        "--baseline",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also score vanilla Presidio with its default recognizers (default: on)",
    )
    evaluate.set_defaults(func=cmd_pii_eval)
