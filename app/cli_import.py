"""``deskpilot import customers|orders|tickets FILE``: load CRM data from CSV or JSON."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app.errors import DeskpilotError


def cmd_import(args: argparse.Namespace) -> int:
    """Validate every row of the file, then import all of it (or nothing) in one transaction."""
    from rich.console import Console

    from app.runtime import open_database
    from app.settings import load_settings
    from context.importer import ImportFailed, import_file

    path: Path = args.file
    if not path.is_file():
        raise DeskpilotError(f"{path}: no such file")
    overrides: dict[str, object] = {}
    if args.data_dir is not None:
        overrides["data_dir"] = args.data_dir
    database = open_database(load_settings(**overrides))
    console = Console(stderr=True)
    try:
        with database.sessions() as session, console.status(f"Importing {path.name}…"):
            count = import_file(args.kind, path, session)
    except ImportFailed as failed:
        for error in failed.errors:
            print(f"{path.name}: {error}", file=sys.stderr)
        raise DeskpilotError(
            f"{path.name}: {len(failed.errors)} problem(s) in "
            f"{len({e.line for e in failed.errors})} row(s); nothing imported"
        ) from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise DeskpilotError(f"{path.name}: {exc}") from None
    print(f"Imported {count} {args.kind} from {path.name}.")
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``import customers|orders|tickets FILE`` to the ``deskpilot`` subcommands."""
    command = subparsers.add_parser(
        "import", help="import CRM customers, orders or tickets from CSV or JSON (all or nothing)"
    )
    command.add_argument("kind", choices=["customers", "orders", "tickets"])
    command.add_argument("file", type=Path, help="a .csv (header row) or .json (list) file")
    command.set_defaults(func=cmd_import)
