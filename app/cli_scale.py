"""``deskpilot scale``: the scale-mode stack on one machine (what ``make run-scale`` starts)."""

from __future__ import annotations

import argparse

from app.cli_shared import settings_from_args


def cmd_scale(args: argparse.Namespace) -> int:
    """Start Chroma, N app processes and nginx over PostgreSQL and Redis; Ctrl-C stops all."""
    from app.scale_mode import launch, make_plan

    settings = settings_from_args(args)
    plan = make_plan(settings.data_dir, apps=args.apps, port=args.port, host=args.host)
    return launch(plan)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``scale`` command to the CLI."""
    scale = sub.add_parser(
        "scale", help="several app processes behind nginx on PostgreSQL, Redis and Chroma"
    )
    scale.add_argument("--apps", type=int, default=2, help="app processes (default 2)")
    scale.add_argument("--port", type=int, default=8080, help="nginx's port (default 8080)")
    scale.add_argument("--host", default="127.0.0.1", help="nginx's address")
    scale.set_defaults(func=cmd_scale)
