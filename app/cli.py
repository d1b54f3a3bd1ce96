"""The ``deskpilot`` command: seed, serve, chat headless, list customers; the rest in cli_*."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from app.bench.cli import register as register_bench
from app.cli_import import register as register_import
from app.cli_pii import register as register_pii
from app.cli_retrieval import register as register_retrieval
from app.cli_scale import register as register_scale
from app.cli_triage import register as register_triage
from app.cli_usage import register as register_usage
from app.cli_users import register as register_users
from app.cli_worker import register as register_worker
from app.errors import DeskpilotError
from app.settings import Settings, load_settings

PROJECT_ROOT = Path(__file__).resolve().parent.parent
NOT_SENT = (
    "the message could not be checked for personal data, so nothing was sent to a model; "
    "please try again"
)


def _fail(message: str, code: int = 2) -> int:
    print(f"deskpilot: {message}", file=sys.stderr)
    return code


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, object] = {}
    if args.data_dir is not None:
        overrides["data_dir"] = args.data_dir
    return load_settings(**overrides)


def cmd_seed_demo(args: argparse.Namespace) -> int:
    """Build the demo company, its knowledge base and demo logins."""
    from rich.console import Console
    from rich.progress import Progress

    from app.runtime import open_database
    from app.seed import has_customers, seed_crm, seed_knowledge, seed_logins

    console = Console(stderr=True)
    settings = _settings(args)
    database = open_database(settings)
    if has_customers(database):
        if args.if_empty:
            console.print(f"Demo data already present in {settings.data_dir}; nothing to do.")
            return 0
        return _fail(f"{settings.data_dir} already holds a company; use a new --data-dir.")
    with console.status("Generating the demo company…"):
        crm = seed_crm(database)
    console.print(f"CRM: {crm}")
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("Embedding the knowledge base", total=None)
        kb = seed_knowledge(
            settings,
            progress=lambda done, total: progress.update(task, completed=done, total=total),
        )
    console.print(f"Knowledge base: {kb}")
    logins = seed_logins(database)
    console.print("Demo logins (shown once — note them now):")
    for login in logins:
        bound = f"  (customer {login.customer_id})" if login.customer_id else ""
        print(f"  {login.role:<10} {login.username:<16} {login.password}{bound}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """Start the Chainlit app."""
    from app.runtime import open_database
    from app.storage.secrets import load_or_create_auth_secret

    settings = _settings(args)
    open_database(settings)
    env = dict(os.environ)
    env.setdefault("CHAINLIT_AUTH_SECRET", load_or_create_auth_secret(settings.secrets_dir))
    env["DESKPILOT_DATA_DIR"] = str(settings.data_dir.resolve())
    env.setdefault("CHAINLIT_APP_ROOT", str(PROJECT_ROOT))
    host = args.host or settings.host
    port = str(args.port or settings.port)
    print(f"Deskpilot on http://{'localhost' if host == '127.0.0.1' else host}:{port}", flush=True)
    argv = [sys.executable, "-m", "chainlit", "run", str(PROJECT_ROOT / "app" / "main.py")]
    argv += ["--headless", "--host", host, "--port", port]
    os.chdir(PROJECT_ROOT)
    os.execve(sys.executable, argv, env)
    return 0  # not reached


def cmd_chat(args: argparse.Namespace) -> int:
    """Run one full turn headless and print the result."""
    from app.errors import CustomerNotFound
    from app.runtime import build_runtime, open_database
    from app.turn_types import AnswerDelta, TurnResult
    from context.customer_history import get_customer
    from guardrails.input_checks import check_input

    settings = _settings(args)
    # Refuse bad input and unknown customers before loading any model (seconds).
    check_input(args.message, max_chars=settings.max_message_chars)
    with open_database(settings).sessions() as session:
        if get_customer(session, args.customer) is None:
            raise CustomerNotFound(args.customer)
    runtime = build_runtime(settings)
    assistant = runtime.assistant

    async def run() -> TurnResult:
        conversation = args.conversation
        if conversation is None:
            conversation = await assistant.start_conversation(
                user_id=None, customer_id=args.customer, role=args.role
            )
        else:
            stored = runtime.conversations.get(conversation)
            if stored.customer_id != assistant.customer_summary(args.customer).id:
                raise DeskpilotError(
                    f"Conversation {conversation} is about {stored.customer_id}, "
                    f"not {args.customer}."
                )
        result = None
        async for event in assistant.respond(conversation, args.message):
            if isinstance(event, AnswerDelta) and not args.json:
                print(event.text, end="", flush=True)
            elif isinstance(event, TurnResult):
                result = event
        assert result is not None
        return result

    result = asyncio.run(run())
    if args.json:
        payload = asdict(result)
        payload["usage"] = {
            "input_tokens": payload.pop("input_tokens"),
            "output_tokens": payload.pop("output_tokens"),
        }
        payload["sources"] = [
            {k: s[k] for k in ("source", "title", "section", "score")} for s in payload["sources"]
        ]
        print(json.dumps(payload, ensure_ascii=False))
    else:
        print()
        if result.notice:
            print(f"[{result.notice}]", file=sys.stderr)
    return 0


def cmd_customers_list(args: argparse.Namespace) -> int:
    """Print the customers."""
    from sqlmodel import col, select

    from app.runtime import open_database
    from context.crm_tables import Customer

    database = open_database(_settings(args))
    with database.sessions() as session:
        rows = session.exec(select(Customer).order_by(col(Customer.id))).all()
        customers = [{"id": c.id, "name": c.name, "email": c.email, "tier": c.tier} for c in rows]
    if args.json:
        print(json.dumps(customers, ensure_ascii=False))
    else:
        for c in customers:
            print(f"{c['id']}  {c['name']:<32} {c['email']:<40} {c['tier']}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(prog="deskpilot", description=__doc__)
    parser.add_argument("--data-dir", type=Path, help="data directory (default ./data)")
    sub = parser.add_subparsers(dest="command", required=True)

    seed = sub.add_parser("seed-demo", help="build the demo company and its knowledge base")
    seed.add_argument("--if-empty", action="store_true", help="do nothing if data exists")
    seed.set_defaults(func=cmd_seed_demo)

    serve = sub.add_parser("serve", help="start the web app")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.set_defaults(func=cmd_serve)

    chat = sub.add_parser("chat", help="run one turn headless")
    chat.add_argument("--customer", required=True, help="customer id, e.g. CUS-10001")
    chat.add_argument("--conversation", type=int, help="continue this conversation")
    chat.add_argument("--role", choices=["agent", "customer"], default="agent")
    chat.add_argument("--json", action="store_true", help="print one JSON object")
    chat.add_argument("message")
    chat.set_defaults(func=cmd_chat)

    customers = sub.add_parser("customers", help="the CRM's customers")
    customers_sub = customers.add_subparsers(dest="customers_command", required=True)
    listing = customers_sub.add_parser("list")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=cmd_customers_list)

    register_users(sub)
    register_scale(sub)
    register_pii(sub)
    register_bench(sub)
    register_import(sub)
    register_usage(sub)
    register_retrieval(sub)
    register_triage(sub)  # after retrieval: `eval triage` joins its `eval` command
    register_worker(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    from app.json_logs import configure_logging
    from app.users import UserError
    from guardrails import PseudonymisationError
    from guardrails.input_checks import InputRejected

    json_logs = os.environ.get("DESKPILOT_LOG_FORMAT") == "json"
    configure_logging(
        "json" if json_logs else "text", os.environ.get("DESKPILOT_LOG_LEVEL", "WARNING")
    )
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except InputRejected as exc:
        return _fail(str(exc))
    except (DeskpilotError, UserError) as exc:
        return _fail(str(exc))
    except PseudonymisationError:
        return _fail(NOT_SENT, code=1)
    return code


if __name__ == "__main__":
    sys.exit(main())
