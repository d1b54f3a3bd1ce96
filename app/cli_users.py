"""``deskpilot users add|list|disable|enable|set-password``: the people who sign in."""

from __future__ import annotations

import argparse
import getpass
import sys

from app.cli_shared import settings_from_args
from app.errors import DeskpilotError

ROLE_CHOICES = ["agent", "supervisor", "customer", "admin"]


def _password(args: argparse.Namespace) -> str:
    """From --password, else one line of stdin (--password-stdin), else asked without echo."""
    if args.password is not None:
        return str(args.password)
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    if not sys.stdin.isatty():
        raise DeskpilotError("Give the password with --password-stdin (or --password).")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != first:
        raise DeskpilotError("The two passwords differ.")
    return first


def cmd_users(args: argparse.Namespace) -> int:
    """Add, list, disable, enable or change users."""
    from app.runtime import open_database
    from app.users import UserError, add_user, list_users, set_disabled, set_password

    database = open_database(settings_from_args(args))
    try:
        if args.users_command == "add":
            user = add_user(
                database.sessions,
                username=args.username,
                password=_password(args),
                role=args.role,
                customer_id=args.customer_id,
            )
            print(f"Created {user.role} {user.username!r} (id {user.id}).")
        elif args.users_command == "set-password":
            set_password(database.sessions, args.username, _password(args))
            print(f"Password of {args.username!r} changed.")
        elif args.users_command in ("disable", "enable"):
            disabled = args.users_command == "disable"
            set_disabled(database.sessions, args.username, disabled)
            print(f"{args.username!r} {'disabled' if disabled else 'enabled'}.")
        else:
            for u in list_users(database.sessions):
                bound = f" customer={u.customer_id}" if u.customer_id else ""
                state = " (disabled)" if u.disabled else ""
                print(f"{u.id:>4}  {u.username:<24} {u.role}{bound}{state}")
    except UserError as error:
        raise DeskpilotError(str(error)) from None
    return 0


def _password_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--password", help="visible in the process list; prefer --password-stdin")
    group.add_argument("--password-stdin", action="store_true", help="read it from stdin")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``users`` command to the CLI."""
    users = sub.add_parser("users", help="people who sign in")
    users_sub = users.add_subparsers(dest="users_command", required=True)
    add = users_sub.add_parser("add", help="create a login")
    add.add_argument("--username", required=True)
    add.add_argument("--role", required=True, choices=ROLE_CHOICES)
    add.add_argument("--customer-id", help="for a customer user: the CRM customer they are")
    _password_options(add)
    setpw = users_sub.add_parser("set-password", help="replace a password")
    setpw.add_argument("--username", required=True)
    _password_options(setpw)
    for name, text in (("disable", "stop a login (sessions end)"), ("enable", "allow it again")):
        command = users_sub.add_parser(name, help=text)
        command.add_argument("--username", required=True)
    users_sub.add_parser("list", help="every login, with role and state")
    users.set_defaults(func=cmd_users)
