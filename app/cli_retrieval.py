"""The ``deskpilot ingest``, ``search`` and ``eval retrieval`` subcommands."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from app.errors import DeskpilotError

if TYPE_CHECKING:
    from app.settings import Settings
    from retrieval import Embedder, KnowledgeBase


def _settings(args: argparse.Namespace) -> Settings:
    """Settings from the environment, with the global ``--data-dir`` if given."""
    from app.settings import load_settings

    data_dir = getattr(args, "data_dir", None)
    return load_settings(data_dir=data_dir) if data_dir is not None else load_settings()


def _open(settings: Settings, kb_name: str) -> tuple[KnowledgeBase, Embedder]:
    """The named knowledge base over the configured store, and the loaded MiniLM."""
    from app.log_setup import quiet_libraries
    from app.offline import enforce_offline
    from app.runtime import open_kb
    from retrieval import Embedder

    enforce_offline()
    quiet_libraries()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    embedder = Embedder.load(settings.embedding_backend)
    try:
        return open_kb(settings, embedder, kb_name), embedder
    except (ValueError, ConnectionError) as exc:
        raise DeskpilotError(str(exc)) from None


def cmd_ingest(args: argparse.Namespace) -> int:
    """Ingest files and directories; print a summary; exit 1 if any file failed."""
    from rich.console import Console
    from rich.progress import Progress

    from app.runtime import chunk_size
    from retrieval import ingest_paths

    missing = [str(p) for p in args.paths if not p.exists()]
    if missing:
        raise DeskpilotError(f"not found: {', '.join(missing)}")
    settings = _settings(args)
    console = Console(stderr=True)
    with console.status("Loading the embedding model…"):
        kb, embedder = _open(settings, args.kb)
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("Embedding passages", total=None)
        report = ingest_paths(
            args.paths,
            kb,
            size=chunk_size(embedder),
            default_audience=args.audience,
            sync=args.sync,
            progress=lambda done, total: progress.update(task, completed=done, total=total),
            batch_size=settings.embedding_batch_size,
        )
    for source, reason in report.errors:
        print(f"failed: {source}: {reason}", file=sys.stderr)
    for source in report.removed:
        print(f"removed: {source}", file=sys.stderr)
    print(f"Knowledge base {args.kb!r}: {report.summary()}")
    return 1 if report.errors else 0


def cmd_search(args: argparse.Namespace) -> int:
    """Print the best passages for a query (JSON: a list of hits)."""
    if not args.query.strip():
        raise DeskpilotError("the query is empty")
    kb, _ = _open(_settings(args), args.kb)
    hits = kb.search(args.query, k=args.k, audience=args.audience, mode=args.mode)
    if args.json:
        rows = [
            {
                "source": h.source,
                "title": h.title,
                "section": h.section,
                "score": round(h.score, 4),
                "text": h.text,
            }
            for h in hits
        ]
        print(json.dumps(rows, ensure_ascii=False))
        return 0
    if not hits:
        print("No passage matched.")
    for rank, hit in enumerate(hits, start=1):
        where = f" › {hit.section}" if hit.section else ""
        print(f"{rank}. {hit.title}{where}  ({hit.source}, {hit.audience}, score {hit.score:.3f})")
        print("   " + hit.text.strip().replace("\n", "\n   ")[:600])
    return 0


def cmd_eval_retrieval(args: argparse.Namespace) -> int:
    """Recall@5 and MRR of vector, keyword and hybrid search on a labelled question set."""
    from rich.console import Console
    from rich.progress import Progress

    from retrieval.evaluation import evaluate, load_questions

    try:
        questions = load_questions(args.file)
    except (OSError, ValueError) as exc:
        raise DeskpilotError(f"cannot read the question set: {exc}") from None
    kb, _ = _open(_settings(args), args.kb)
    if kb.store.count() == 0:
        raise DeskpilotError(f"knowledge base {args.kb!r} is empty: run seed-demo or ingest")
    console = Console(stderr=True)
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("Searching", total=None)
        results = evaluate(
            kb,
            questions,
            modes=("vector", "keyword", "hybrid"),
            progress=lambda done, total: progress.update(task, completed=done, total=total),
        )
    if args.json:
        payload = {"questions": len(questions), "modes": [r.as_dict() for r in results]}
        print(json.dumps(payload))
        return 0
    print(f"{len(questions)} questions, {kb.store.count()} passages")
    print(f"{'mode':<8} {'recall@5':>9} {'MRR':>6}")
    for r in results:
        print(f"{r.mode:<8} {r.recall_at_5:>9.3f} {r.mrr:>6.3f}")
    if args.misses:
        for r in results:
            for question, top in r.misses:
                print(f"miss [{r.mode}] {question!r} -> {top or 'nothing'}")
    return 0


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _kb_option(parser: argparse.ArgumentParser) -> None:
    from retrieval.knowledge_base import DEFAULT_KB

    parser.add_argument("--kb", default=DEFAULT_KB, help=f"knowledge base (default {DEFAULT_KB})")


def add_eval_retrieval(
    eval_subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    """Add ``retrieval`` under an existing ``eval`` command."""
    evaluate = eval_subparsers.add_parser(
        "retrieval", help="recall@5 and MRR of vector, keyword and hybrid search"
    )
    evaluate.add_argument(
        "file",
        nargs="?",
        type=Path,
        help="YAML list or JSONL of {question, source}; default: the demo question set",
    )
    evaluate.add_argument("--json", action="store_true", help="print one JSON object")
    evaluate.add_argument("--misses", action="store_true", help="list questions missed at 5")
    _kb_option(evaluate)
    evaluate.set_defaults(func=cmd_eval_retrieval)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``ingest``, ``search`` and ``eval retrieval`` to the ``deskpilot`` subcommands."""
    ingest = subparsers.add_parser(
        "ingest", help="add Markdown, text, HTML and PDF files to the knowledge base"
    )
    ingest.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="file or directory")
    ingest.add_argument(
        "--sync", action="store_true", help="remove documents no longer under the given paths"
    )
    ingest.add_argument(
        "--audience",
        choices=["public", "internal"],
        default="public",
        help="audience of files that do not declare one (default public)",
    )
    _kb_option(ingest)
    ingest.set_defaults(func=cmd_ingest)

    search = subparsers.add_parser("search", help="search the knowledge base")
    search.add_argument("query")
    search.add_argument("--k", type=_positive, default=5, help="passages to return (default 5)")
    search.add_argument(
        "--audience", choices=["public", "internal"], help="only passages of this audience"
    )
    search.add_argument(
        "--mode", choices=["hybrid", "vector", "keyword"], default="hybrid", help="default hybrid"
    )
    search.add_argument(
        "--json", action="store_true", help="print a JSON list of {source,title,section,score,text}"
    )
    _kb_option(search)
    search.set_defaults(func=cmd_search)

    evaluation = subparsers.add_parser("eval", help="measure quality on labelled sets")
    add_eval_retrieval(evaluation.add_subparsers(dest="eval_command", required=True))
