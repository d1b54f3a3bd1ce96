"""The ``deskpilot bench`` subcommands: ``bench provider`` times our adapter stack's overhead;
the context, retrieval and turn benchmarks (pipeline, concurrency, cache, all) register here."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable

from app.bench.context_bench import register_bench as register_context_bench
from app.bench.process_cli import register_processes_bench
from app.bench.retrieval_bench import register_bench as register_retrieval_bench
from app.bench.turn_cli import register_turn_benches


def cmd_bench_provider(args: argparse.Namespace) -> int:
    """Time raw SDK calls against the adapter stack and print the figures."""
    from app.bench.provider_bench import format_result, run_provider_bench

    result = run_provider_bench(
        calls=args.calls, warmup=args.warmup, chunks=args.chunks, litellm=args.litellm
    )
    if args.json:
        print(json.dumps(result.as_dict()))
    else:
        print(format_result(result))
    return 0


def _at_least(minimum: int) -> Callable[[str], int]:
    """An argparse type: an integer of at least ``minimum``."""

    def parse(text: str) -> int:
        value = int(text)
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, not {value}")
        return value

    return parse


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``bench provider`` to the ``deskpilot`` subcommands."""
    bench = subparsers.add_parser("bench", help="measure the product's own overhead")
    bench_sub = bench.add_subparsers(dest="bench_command", required=True)
    provider = bench_sub.add_parser(
        "provider",
        help="latency of raw openai SDK calls vs our adapter stack, on a local fake server",
    )
    provider.add_argument(
        "--calls", type=_at_least(1), default=300, help="timed calls of each kind"
    )
    provider.add_argument(
        "--warmup", type=_at_least(0), default=30, help="untimed calls of each kind first"
    )
    provider.add_argument("--chunks", type=_at_least(1), default=40, help="text chunks per reply")
    provider.add_argument(
        "--litellm",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also time litellm.acompletion on the same server (default: on)",
    )
    provider.add_argument("--json", action="store_true", help="print one JSON object (ms)")
    provider.set_defaults(func=cmd_bench_provider)
    register_context_bench(bench_sub)
    register_retrieval_bench(bench_sub)
    register_turn_benches(bench_sub)
    register_processes_bench(bench_sub)
