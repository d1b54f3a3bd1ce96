"""``deskpilot bench processes``: throughput of 1 vs 2 app processes on the scale-mode stack."""

from __future__ import annotations

import argparse
import json

from app.errors import DeskpilotError


def _apps(text: str) -> list[int]:
    """``--apps``: process counts like ``1,2``."""
    try:
        counts = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"process counts like 1,2, not {text!r}") from None
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError("process counts of at least 1")
    return counts


def _positive(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, not {text}")
    return value


def _progress(message: str) -> None:
    from rich.console import Console

    Console(stderr=True).print(f"[dim]{message}[/dim]")


def cmd_processes(args: argparse.Namespace) -> int:
    """Build the stack, run one round per process count, print the figures."""
    from app.bench.process_bench import format_processes, measure_processes
    from app.bench.process_stack import bench_stack

    if args.sessions < 1:
        raise DeskpilotError("--sessions must be at least 1")
    with bench_stack(sessions=args.sessions, ttft_ms=args.ttft_ms, progress=_progress) as stack:
        result = measure_processes(
            stack, apps=args.apps, duration_s=args.duration, ttft_ms=args.ttft_ms
        )
    print(json.dumps(result.as_dict()) if args.json else format_processes(result))
    return 0


def register_processes_bench(
    bench_sub: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    """Add ``bench processes``."""
    parser = bench_sub.add_parser(
        "processes",
        help="turns/s of 1 vs 2 app processes on PostgreSQL, Redis and Chroma (target 1.7x)",
    )
    parser.add_argument("--apps", type=_apps, default=[1, 2], help="process counts, e.g. 1,2")
    parser.add_argument("--sessions", type=int, default=40, help="concurrent agent sessions")
    parser.add_argument("--duration", type=_positive, default=60.0, help="seconds per round")
    parser.add_argument("--ttft-ms", type=float, default=300.0, help="fake model TTFT")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(func=cmd_processes)
