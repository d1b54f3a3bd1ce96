"""``deskpilot eval triage [FILE]``: classification accuracy and confusion matrices."""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

from app.cli_shared import positive_int, progress_bar, settings_from_args
from app.errors import DeskpilotError

if TYPE_CHECKING:
    from app.triage.caller import ModelCaller
    from app.triage.evaluation import TriageEvaluation
    from app.triage.schemas import Classification

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_EVAL_SET = PROJECT_ROOT / "tests" / "data" / "triage_eval.jsonl"


# -- eval triage ----------------------------------------------------------------------------
def cmd_eval_triage(args: argparse.Namespace) -> int:
    """Accuracy and confusion matrices of the triage classification on a labelled set."""
    from app.triage.caller import ProviderCaller
    from app.triage.evaluation import evaluate_triage, load_labelled
    from app.triage.wiring import build_chain_caller
    from providers import LocalResponder

    path: Path = args.file or DEFAULT_EVAL_SET
    if args.file is None and not path.is_file():
        raise DeskpilotError(
            f"no labelled set at {path}; run from the repository or give FILE (JSONL)"
        )
    tickets = load_labelled(path)
    settings = settings_from_args(args)
    paths: list[tuple[str, ModelCaller]] = []
    if args.path in {"auto", "local"}:
        paths.append(("local", ProviderCaller(LocalResponder())))
    if args.path in {"auto", "model"}:
        chain = build_chain_caller(settings)
        if chain.uses_models():
            paths.append(("model", chain))
        elif args.path == "model":
            raise DeskpilotError("no language model is configured: set OPENAI_API_KEY")
    reports = []
    for name, caller in paths:
        with progress_bar(f"Classifying ({name})") as progress:
            report = asyncio.run(
                evaluate_triage(
                    tickets,
                    _classifier(caller, settings.company_name),
                    path=str(path),
                    concurrency=args.concurrency,
                    progress=progress,
                )
            )
        reports.append((name, report))
    if args.json:
        print(json.dumps({name: report.as_json() for name, report in reports}))
    else:
        for name, report in reports:
            _print_evaluation(name, report, show_misses=args.misses)
    return 0


def _classifier(caller: ModelCaller, company: str) -> Callable[[str], Awaitable[Classification]]:
    from app.triage.schemas import Classification
    from app.triage.structured import ask_structured
    from prompts.loader import load_prompt
    from providers import local_triage

    template = load_prompt("triage_classify")

    async def classify(text: str) -> Classification:
        result = await ask_structured(
            caller,
            template,
            {"company": company, "ticket": text},
            "Classify this ticket.",
            kind="classification",
            answer_type=Classification,
            fallback=lambda: Classification.model_validate(local_triage.classify(text)),
            scope="triage-eval",
        )
        assert isinstance(result.answer, Classification)
        return result.answer

    return classify


def _print_evaluation(name: str, report: TriageEvaluation, *, show_misses: bool) -> None:
    from app.triage.evaluation import LABELS, confusion_table

    urgency, category = report.fields["urgency"], report.fields["category"]
    print(f"Triage on {report.path} — {name} path, {urgency.total} tickets")
    print(
        f"  urgency accuracy  {urgency.accuracy:.1%} ({urgency.correct}/{urgency.total})\n"
        f"  category accuracy {category.accuracy:.1%} ({category.correct}/{category.total})"
    )
    for source, scores in sorted(report.by_source.items()):
        u, c = scores["urgency"], scores["category"]
        print(
            f"  {source or '(no source)'} ({u.total} tickets): "
            f"urgency {u.accuracy:.1%}, category {c.accuracy:.1%}"
        )
    for field_name in ("urgency", "category"):
        print(f"\n{field_name} confusion (rows: true, columns: predicted)")
        rows = confusion_table(report.fields[field_name], LABELS[field_name])
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        for row in rows:
            print("  " + "  ".join(cell.rjust(w) for cell, w in zip(row, widths, strict=True)))
    if show_misses:
        print("\nmisses:")
        for miss in report.misses:
            print(f"  {miss['id']}: expected {miss['expected']}, got {miss['predicted']}")
    print()


def add_eval_triage(eval_subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``triage`` under an existing ``eval`` command."""
    evaluate = eval_subparsers.add_parser(
        "triage", help="urgency and category accuracy with confusion matrices"
    )
    evaluate.add_argument(
        "file", nargs="?", type=Path, help="labelled JSONL; default tests/data/triage_eval.jsonl"
    )
    evaluate.add_argument(
        "--path",
        choices=["auto", "local", "model"],
        default="auto",
        help="local rules, the configured model, or both when a key is set (default auto)",
    )
    evaluate.add_argument(
        "--concurrency", type=positive_int, default=4, help="model calls in flight (default 4)"
    )
    evaluate.add_argument("--misses", action="store_true", help="list the tickets it got wrong")
    evaluate.add_argument("--json", action="store_true", help="print one JSON object")
    evaluate.set_defaults(func=cmd_eval_triage)


def eval_subparsers(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse._SubParsersAction[argparse.ArgumentParser]:
    """The ``eval`` command's subcommands: the existing ones (retrieval), or a new ``eval``."""
    existing = subparsers.choices.get("eval")
    if existing is None:
        existing = subparsers.add_parser("eval", help="measure quality on labelled sets")
        return existing.add_subparsers(dest="eval_command", required=True)
    for action in existing._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    return existing.add_subparsers(dest="eval_command", required=True)
