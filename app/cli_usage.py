"""``deskpilot usage report`` and ``deskpilot alerts check``: spend and health from the ledger."""

from __future__ import annotations

import argparse
import io
import json
from datetime import date
from typing import TYPE_CHECKING

from app.errors import DeskpilotError
from app.usage_report import GROUPS

if TYPE_CHECKING:
    from app.settings import Settings
    from app.usage_report import UsageReport


def _settings(args: argparse.Namespace) -> Settings:
    from app.settings import load_settings

    data_dir = getattr(args, "data_dir", None)
    return load_settings(data_dir=data_dir) if data_dir is not None else load_settings()


def _since(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise DeskpilotError(f"--since wants a date like 2026-11-25, not {value!r}") from None


def format_report(report: UsageReport) -> str:
    """The report as a rich table, rendered to plain text."""
    from rich.console import Console
    from rich.table import Table

    since = f" since {report.since.isoformat()}" if report.since else ""
    table = Table(title=f"Usage by {report.by}{since}")
    table.add_column(report.by)
    for name in ("calls", "errors", "cache hits", "in tok", "out tok", "in est", "out est"):
        table.add_column(name, justify="right")
    table.add_column("cost USD", justify="right")
    table.add_column("unpriced", justify="right")
    for row in [*report.rows, report.total]:
        if row is report.total:
            table.add_section()
        counts = (
            row.calls,
            row.errors,
            row.cache_hits,
            row.input_tokens,
            row.output_tokens,
            row.input_tokens_estimate,
            row.output_tokens_estimate,
        )
        table.add_row(
            row.key,
            *(f"{value:,}" for value in counts),
            f"{row.cost_usd:.8f}",
            str(row.unpriced_calls),
        )
    out = io.StringIO()
    Console(file=out, width=140, no_color=True).print(table)
    return out.getvalue()


def cmd_usage_report(args: argparse.Namespace) -> int:
    """Print calls, tokens (reported and estimated), cost, errors and cache hits per group."""
    from app.runtime import open_database
    from app.usage_report import usage_report

    since = _since(args.since)
    database = open_database(_settings(args))
    report = usage_report(database.sessions, args.by, since)
    if args.json:
        print(json.dumps(report.as_json()))
    else:
        print(format_report(report), end="")
    return 0


def cmd_alerts_check(args: argparse.Namespace) -> int:
    """Evaluate the alert thresholds over the recent ledger; record and print each breach."""
    from app.alerts import AlertConfig, AlertMonitor
    from app.runtime import open_database

    settings = _settings(args)
    try:
        config = AlertConfig.load(settings.alerts_file)
    except (OSError, ValueError) as exc:
        raise DeskpilotError(f"alert thresholds: {exc}") from None
    database = open_database(settings)
    alerts, recorded = AlertMonitor(database.sessions, config).check()
    new = {id(alert) for alert in recorded}
    if args.json:
        payload = [
            {
                "kind": a.kind,
                "value": a.value,
                "threshold": a.threshold,
                "window_minutes": a.window_minutes,
                "calls": a.calls,
                "recorded": id(a) in new,
            }
            for a in alerts
        ]
        print(json.dumps({"alerts": payload}))
    elif not alerts:
        print(f"no alerts over the last {config.window_minutes} min")
    else:
        for alert in alerts:
            suffix = "" if id(alert) in new else " (already recorded)"
            print(f"ALERT {alert.message}{suffix}")
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``usage report`` and ``alerts check`` to the ``deskpilot`` subcommands."""
    usage = subparsers.add_parser("usage", help="calls, tokens and cost from the call ledger")
    usage_sub = usage.add_subparsers(dest="usage_command", required=True)
    report = usage_sub.add_parser(
        "report", help="totals per model, user, conversation, task or day"
    )
    report.add_argument(
        "--by", choices=GROUPS, default="model", help="group rows by (default model)"
    )
    report.add_argument("--since", help="from this UTC day on (YYYY-MM-DD)")
    report.add_argument("--json", action="store_true", help="print one JSON object")
    report.set_defaults(func=cmd_usage_report)

    alerts = subparsers.add_parser("alerts", help="spend, error, latency and degradation alerts")
    alerts_sub = alerts.add_subparsers(dest="alerts_command", required=True)
    check = alerts_sub.add_parser(
        "check", help="evaluate the thresholds over the recent window; record new breaches"
    )
    check.add_argument("--json", action="store_true", help="print one JSON object")
    check.set_defaults(func=cmd_alerts_check)
