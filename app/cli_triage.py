"""``deskpilot triage`` (in process or ``--queue``), ``deskpilot prompts test|lock|list`` and
``deskpilot eval triage``."""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.cli_prompts import register as register_prompts
from app.cli_shared import positive_int, progress_bar, settings_from_args
from app.cli_triage_eval import add_eval_triage, eval_subparsers
from app.cli_worker import QUEUE_PREFIX_HELP
from app.errors import DeskpilotError

if TYPE_CHECKING:
    from app.runtime import Database
    from app.settings import Settings
    from app.triage.batch import BatchSummary
    from app.triage.schemas import TriageKind

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_EVAL_SET = PROJECT_ROOT / "tests" / "data" / "triage_eval.jsonl"
ALL_KINDS: tuple[TriageKind, ...] = ("classification", "summary", "next_action")


# -- triage ---------------------------------------------------------------------------------
def cmd_triage(args: argparse.Namespace) -> int:
    """Triage one ticket or all of them; resumable, with a summary at the end."""
    from app.runtime import open_database
    from app.triage.batch import run_batch
    from app.triage.tickets import ticket_ids
    from app.triage.wiring import build_triage
    from context.crm_tables import Ticket

    settings = settings_from_args(args)
    if args.queue_status:
        from app.cli_queue import status

        return status(settings, prefix=args.queue_prefix, as_json=args.json)
    if args.queue:
        from app.triage.queue import require_redis

        if args.conversation is not None:
            raise DeskpilotError("--queue is for tickets; classify a conversation without it.")
        require_redis(settings.redis_url)  # before any work: the queue lives on Redis
    database = open_database(settings)
    if args.conversation is not None:
        return _classify_conversation(settings, database, args.conversation, as_json=args.json)
    with database.sessions() as session:
        if args.ticket:
            ids = [args.ticket]
            if session.get(Ticket, args.ticket) is None:
                raise DeskpilotError(f"No ticket {args.ticket!r}. Ticket ids look like TCK-300001.")
        else:
            ids = ticket_ids(session, open_only=args.open_only)
    kinds: tuple[TriageKind, ...] = ALL_KINDS if args.kind == "all" else (args.kind,)
    # One ticket asked for by id is always redone: the agent wants a fresh answer.
    force = args.force or bool(args.ticket)
    if args.queue:
        from app.cli_queue import enqueue

        return enqueue(
            settings,
            database,
            ids,
            kinds=kinds,
            force=force,
            prefix=args.queue_prefix,
            as_json=args.json,
        )
    setup = build_triage(settings, database)
    with progress_bar("Triaging tickets") as progress:
        summary = asyncio.run(
            run_batch(
                setup.service,
                database.sessions,
                ids,
                kinds=kinds,
                concurrency=args.concurrency,
                force=force,
                progress=progress,
            )
        )
    if args.ticket:
        _print_ticket(database, args.ticket, kinds, as_json=args.json)
    elif args.json:
        print(json.dumps(_summary_json(summary)))
    if not args.json:
        _print_summary(summary)
    return 1 if summary.failed else 0


def _classify_conversation(
    settings: Settings, database: Database, conversation_id: int, *, as_json: bool
) -> int:
    """Urgency and category of a chat conversation (printed, not stored: it is no ticket)."""
    from app.prompt_guard import known_values
    from app.runtime import conversation_store
    from app.triage.wiring import build_triage
    from context.customer_history import load_history

    conversations = conversation_store(settings, database)
    conversation = conversations.get(conversation_id)  # ConversationNotFound: exit 2
    messages = conversations.transcript(conversation_id)
    if not messages:
        raise DeskpilotError(f"Conversation {conversation_id} has no messages yet.")
    transcript = "\n".join(f"{author}: {text}" for author, text in messages)
    with database.sessions() as session:
        history = load_history(session, conversation.customer_id)
    known = known_values(history) if history is not None else {}
    setup = build_triage(settings, database)
    result = asyncio.run(
        setup.service.classify_conversation(
            transcript, customer_id=conversation.customer_id, known_values=known
        )
    )
    answer = result.payload()
    if as_json:
        shown = {"conversation": conversation_id, "answer": answer, "model": result.model}
        print(json.dumps({**shown, "prompt": result.prompt_ref, "method": result.method}))
    else:
        print(f"conversation {conversation_id} ({result.prompt_ref}, {result.model}):")
        for key, value in answer.items():
            print(f"  {key}: {value}")
    return 0


def _print_ticket(
    database: Database, ticket_id: str, kinds: tuple[TriageKind, ...], *, as_json: bool
) -> None:
    from app.triage.store import latest, payload_of

    results: dict[str, dict[str, Any]] = {}
    for kind in kinds:
        row = latest(database.sessions, ticket_id, kind)
        if row is not None:
            results[kind] = {
                "answer": payload_of(row),
                "model": row.model,
                "provider": row.provider,
                "prompt": row.prompt_ref,
                "method": row.method,
            }
    if as_json:
        print(json.dumps({"ticket": ticket_id, **results}, ensure_ascii=False))
        return
    for shown_kind, stored in results.items():
        print(
            f"{ticket_id} {shown_kind} ({stored['prompt']}, {stored['model']}, {stored['method']}):"
        )
        for key, value in stored["answer"].items():
            shown = "; ".join(value) if isinstance(value, list) else value
            print(f"  {key}: {shown}")


def _summary_json(summary: BatchSummary) -> dict[str, object]:
    return {
        "tickets": summary.tickets,
        "done": summary.done,
        "skipped": summary.skipped,
        "failed": [{"ticket": t, "error": e} for t, e in summary.failed],
        "methods": dict(summary.methods),
        "urgency": dict(sorted(summary.urgencies.items())),
        "category": dict(summary.categories.most_common()),
        "prompts": dict(summary.prompts),
        "seconds": round(summary.seconds, 2),
    }


def _print_summary(summary: BatchSummary) -> None:
    import sys

    out = sys.stderr
    print(
        f"{summary.tickets} ticket{'' if summary.tickets == 1 else 's'}: "
        f"{summary.done} answers made, {summary.skipped} already "
        f"done (skipped; --force redoes them), {len(summary.failed)} failed, "
        f"in {summary.seconds:.1f} s",
        file=out,
    )
    if summary.methods:
        print("  by: " + ", ".join(f"{k} {v}" for k, v in summary.methods.items()), file=out)
    if summary.prompts:
        print("  prompts: " + ", ".join(f"{k} ×{v}" for k, v in summary.prompts.items()), file=out)
    if summary.urgencies:
        urgencies = ", ".join(f"{k} {v}" for k, v in sorted(summary.urgencies.items()))
        print(f"  urgency: {urgencies}", file=out)
        categories = ", ".join(f"{k} {v}" for k, v in summary.categories.most_common())
        print(f"  category: {categories}", file=out)
    for ticket, error in summary.failed:
        print(f"  failed: {ticket} ({error})", file=out)


# -- registration ---------------------------------------------------------------------------
def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``triage``, ``prompts test|lock|list`` and ``eval triage`` to the subcommands.

    Call it after the retrieval commands: ``eval triage`` joins their ``eval`` command.
    """
    triage = subparsers.add_parser(
        "triage", help="classify, summarise or suggest next actions for tickets (resumable)"
    )
    which = triage.add_mutually_exclusive_group(required=True)
    which.add_argument("--all", action="store_true", help="every ticket")
    which.add_argument("--ticket", metavar="ID", help="one ticket, e.g. TCK-300001 (always redone)")
    which.add_argument(
        "--conversation",
        metavar="ID",
        type=int,
        help="classify a chat conversation (printed, not stored)",
    )
    which.add_argument(
        "--queue-status",
        action="store_true",
        help="counts of queued, in progress, complete and failed queue jobs (needs REDIS_URL)",
    )
    triage.add_argument(
        "--open-only", action="store_true", help="with --all: open and pending only"
    )
    triage.add_argument(
        "--kind",
        choices=[*ALL_KINDS, "all"],
        default="classification",
        help="what to make (default classification)",
    )
    triage.add_argument(
        "--concurrency", type=positive_int, default=4, help="tickets in flight (default 4)"
    )
    triage.add_argument("--force", action="store_true", help="redo tickets already triaged")
    triage.add_argument("--json", action="store_true", help="print JSON on stdout")
    triage.add_argument(
        "--queue",
        action="store_true",
        help="queue one job per ticket on Redis for `deskpilot worker` instead of running here",
    )
    triage.add_argument("--queue-prefix", default="", metavar="PREFIX", help=QUEUE_PREFIX_HELP)
    triage.set_defaults(func=cmd_triage)

    register_prompts(subparsers)
    add_eval_triage(eval_subparsers(subparsers))
