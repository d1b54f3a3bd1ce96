"""The turn benchmarks' commands: ``bench pipeline``, ``concurrency``, ``cache`` and ``all``."""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.errors import DeskpilotError

if TYPE_CHECKING:
    from app.bench.bench_env import BenchEnv

Figures = tuple[dict[str, Any], str]  # (JSON-ready figures, the text to print)
Runner = Callable[["BenchEnv"], Coroutine[Any, Any, Figures]]


def _progress(message: str) -> None:
    from rich.console import Console

    Console(stderr=True).print(f"[dim]{message}[/dim]")


def _cache_root(args: argparse.Namespace) -> Path:
    """``--cache-dir``, else ``bench/`` under the configured data dir's cache."""
    if args.cache_dir is not None:
        return Path(args.cache_dir)
    from app.settings import load_settings

    return load_settings().cache_dir / "bench"


def _prepare() -> None:
    from app.log_setup import quiet_libraries
    from app.offline import enforce_offline

    enforce_offline()
    quiet_libraries()


def _run_in_env(args: argparse.Namespace, runner: Runner) -> int:
    """Build the bench runtime, run one benchmark in an event loop, print its figures."""
    from app.bench.bench_env import bench_environment

    _prepare()
    with bench_environment(
        chunks=args.chunks, cache_root=_cache_root(args), sample=args.sample, progress=_progress
    ) as env:
        figures, text = asyncio.run(runner(env))
    print(json.dumps(figures) if args.json else text)
    return 0


def cmd_pipeline(args: argparse.Namespace) -> int:
    """Per-turn pipeline overhead, one user."""
    from app.bench.pipeline_bench import format_pipeline, measure_pipeline

    async def run(env: BenchEnv) -> Figures:
        result = await measure_pipeline(env, turns=args.turns, warmup=args.warmup)
        return result.as_dict(), format_pipeline(result)

    return _run_in_env(args, run)


def _sessions(text: str) -> list[int]:
    try:
        counts = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise DeskpilotError(f"--sessions must be numbers like 1,50,200, not {text!r}") from None
    if not counts or min(counts) < 1:
        raise DeskpilotError("--sessions needs session counts of at least 1")
    return counts


def cmd_concurrency(args: argparse.Namespace) -> int:
    """N simulated sessions against one runtime."""
    from app.bench.concurrency_bench import format_concurrency, measure_concurrency

    sessions = _sessions(args.sessions)

    async def run(env: BenchEnv) -> Figures:
        result = await measure_concurrency(
            env, sessions=sessions, ttft_ms=args.ttft_ms, min_turns=args.min_turns
        )
        return result.as_dict(), format_concurrency(result)

    return _run_in_env(args, run)


def cmd_cache(args: argparse.Namespace) -> int:
    """Latency of turns served by the exact cache."""
    from app.bench.cache_bench import format_cache, measure_cache

    async def run(env: BenchEnv) -> Figures:
        result = await measure_cache(env, questions=args.questions, ttft_ms=args.ttft_ms)
        return result.as_dict(), format_cache(result)

    return _run_in_env(args, run)


def cmd_all(args: argparse.Namespace) -> int:
    """Every benchmark, then the Markdown summary and the JSON file."""
    from app.bench.report import target_rows, write_report
    from app.bench.suite import SuiteSizes, run_suite

    _prepare()
    sizes = SuiteSizes.quick() if args.quick else SuiteSizes.full()
    doc = run_suite(sizes, cache_root=_cache_root(args), progress=_progress)
    write_report(doc, markdown=Path(args.out), json_path=Path(args.json_out))
    for row in target_rows(doc):
        print(f"{row['name']}: {row['measured']} (target {row['target']}; met: {row['met']})")
    print(f"wrote {args.out} and {args.json_out}")
    return 0


def _common(parser: argparse.ArgumentParser, *, chunks: int) -> None:
    parser.add_argument("--chunks", type=int, default=chunks, help="knowledge-base chunks")
    parser.add_argument("--sample", type=int, default=1000, help="chunks embedded with MiniLM")
    parser.add_argument("--cache-dir", default=None, help="where built stores are kept")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def register_turn_benches(bench_sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``bench pipeline``, ``bench concurrency``, ``bench cache`` and ``bench all``."""
    pipeline = bench_sub.add_parser("pipeline", help="per-turn pipeline overhead, one user")
    _common(pipeline, chunks=100_000)
    pipeline.add_argument("--turns", type=int, default=200, help="timed turns")
    pipeline.add_argument("--warmup", type=int, default=10, help="untimed turns first")
    pipeline.set_defaults(func=cmd_pipeline)

    concurrency = bench_sub.add_parser("concurrency", help="N sessions against one runtime")
    _common(concurrency, chunks=100_000)
    concurrency.add_argument("--sessions", default="1,50,200", help="session counts")
    concurrency.add_argument("--ttft-ms", type=float, default=300.0, help="provider TTFT")
    concurrency.add_argument("--min-turns", type=int, default=60, help="turns per level, at least")
    concurrency.set_defaults(func=cmd_concurrency)

    cache = bench_sub.add_parser("cache", help="latency of turns the exact cache answers")
    _common(cache, chunks=100_000)
    cache.add_argument("--questions", type=int, default=50, help="questions, each asked twice")
    cache.add_argument("--ttft-ms", type=float, default=300.0, help="provider TTFT (misses)")
    cache.set_defaults(func=cmd_cache)

    every = bench_sub.add_parser("all", help="every benchmark; writes the Markdown and JSON")
    every.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    every.add_argument("--out", default="docs/benchmarks.md", help="the Markdown summary")
    every.add_argument("--json-out", default="docs/benchmarks.json", help="the JSON figures")
    every.add_argument("--cache-dir", default=None, help="where built stores are kept")
    every.set_defaults(func=cmd_all)
