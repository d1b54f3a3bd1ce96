"""``deskpilot bench context``: time context assembly as a turn runs it, on a big customer.

A temporary data directory gets one customer with 500 orders (two items each), open tickets and
interactions, and a knowledge base of 100,000 chunks. The chunk texts are sentences of the demo
articles (so keyword search sees real vocabulary); their vectors are random unit vectors in 384
dimensions (embedding 100,000 texts would take an hour here, and only the store's search cost
matters). Queries are embedded by the real MiniLM. Each iteration runs the turn's own
``ContextBuilder``: SQL, rules, retrieval (hybrid: MiniLM + Chroma + BM25) and budgeting.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

QUERIES = (
    "Where is my order and when will it arrive?",
    "How long does a refund take to reach my card?",
    "My Voltra X2 headphones will not pair with my phone",
    "Can I return the speaker I bought last month?",
    "The parcel says delivered but I never got it",
    "How do I reset the HomeHub Mini wifi setup?",
    "I was charged twice for the same order",
    "Can I change the delivery address of my order?",
    "Is my laptop still under warranty?",
    "What does the restocking fee cost for an opened camera?",
)
DIMENSIONS = 384
STAGES = ("sql", "rules", "retrieval", "budgeting", "total")


@dataclass(frozen=True, slots=True)
class BenchResult:
    """Milliseconds per stage over the timed iterations."""

    iterations: int
    orders: int
    chunks: int
    setup_s: float
    samples: dict[str, list[float]]

    def figures(self) -> dict[str, dict[str, float]]:
        """p50, p95 and max per stage."""
        return {stage: _summary(values) for stage, values in self.samples.items()}

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready figures."""
        return {
            "iterations": self.iterations,
            "orders": self.orders,
            "chunks": self.chunks,
            "setup_s": round(self.setup_s, 1),
            "ms": self.figures(),
        }


def _summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]
    return {
        "p50": round(statistics.median(ordered), 2),
        "p95": round(p95, 2),
        "max": round(ordered[-1], 2),
    }


def format_result(result: BenchResult) -> str:
    """A small table of the figures."""
    lines = [
        f"context assembly: customer with {result.orders} orders, knowledge base of "
        f"{result.chunks:,} chunks, {result.iterations} turns (setup {result.setup_s:.0f} s)",
        f"{'stage':<10} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}",
    ]
    for stage, figures in result.figures().items():
        lines.append(
            f"{stage:<10} {figures['p50']:>8.2f} {figures['p95']:>8.2f} {figures['max']:>8.2f}"
        )
    return "\n".join(lines)


def run_context_bench(
    *,
    iterations: int = 200,
    warmup: int = 10,
    orders: int = 500,
    chunks: int = 100_000,
    torch_threads: int | None = None,
    audience: str | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> BenchResult:
    """Build the temporary data, time ``iterations`` assemblies, remove the data again."""
    from app.bench.context_data import fill_store, seed_customer
    from app.runtime import open_database, rules_file, token_counter
    from app.settings import load_settings
    from context.builder import ContextBuilder
    from context.memory import split_at
    from context.rules import load_rules
    from guardrails import PseudonymVault
    from retrieval import DocumentStore, Embedder, KeywordIndex, KnowledgeBase

    report = progress or (lambda _stage, _done, _total: None)
    root = Path(tempfile.mkdtemp(prefix="deskpilot-bench-context-"))
    try:
        started = time.perf_counter()
        settings = load_settings(data_dir=root, database_url=None)
        database = open_database(settings)
        counter = token_counter(settings)
        customer_id = seed_customer(database.sessions, orders)
        embedder = Embedder.load()
        kb = KnowledgeBase(
            DocumentStore.persistent(root / "chroma"), embedder, KeywordIndex(root / "keywords")
        )
        fill_store(kb, chunks, lambda done: report("chunks", done, chunks))
        builder = ContextBuilder(
            sessions=database.sessions,
            knowledge=kb,
            rules=load_rules(rules_file(settings)),
            counter=counter,
            retrieval_k=settings.retrieval_k,
        )
        turns = [("user", q) if i % 2 == 0 else ("assistant", q) for i, q in enumerate(QUERIES)]
        earlier = [(f"conversation {n}", "Customer asked: where is my parcel?") for n in range(3)]
        setup_s = time.perf_counter() - started
        if torch_threads:  # one query is tiny: on a busy 2-core box extra threads only spin
            import torch

            torch.set_num_threads(torch_threads)
        samples: dict[str, list[float]] = {stage: [] for stage in STAGES}
        for index in range(warmup + iterations):
            vault = PseudonymVault()
            began = time.perf_counter()
            loaded = builder.load(customer_id)
            plan, timings = builder.build(
                loaded,
                QUERIES[index % len(QUERIES)],
                mask=vault.placeholder_for,
                audience=audience,
                budget=6000,
                instructions_tokens=350,
                memory=split_at(turns, 4),
                summary="Customer asked: Where is my order? Assistant said: It shipped Monday.",
                earlier=earlier,
            )
            total = (time.perf_counter() - began) * 1000
            assert plan.tokens <= plan.budget
            if index >= warmup:
                for stage in ("sql", "rules", "retrieval", "budgeting"):
                    samples[stage].append(timings[stage])
                samples["total"].append(total)
                report("turns", index - warmup + 1, iterations)
        return BenchResult(iterations, orders, kb.store.count(), setup_s, samples)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def cmd_bench_context(args: argparse.Namespace) -> int:
    """Time context assembly and print p50/p95/max per stage."""
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as bar:
        tasks: dict[str, Any] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                label = "Filling the store" if stage == "chunks" else "Assembling contexts"
                tasks[stage] = bar.add_task(label, total=total)
            bar.update(tasks[stage], completed=done)

        result = run_context_bench(
            iterations=args.iterations,
            orders=args.orders,
            chunks=args.chunks,
            torch_threads=args.torch_threads,
            audience="public" if args.audience == "customer" else None,
            progress=progress,
        )
    print(json.dumps(result.as_dict()) if args.json else format_result(result))
    return 0


def register_bench(bench_subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``bench context [--json]`` to the ``deskpilot bench`` subcommands."""
    bench = bench_subparsers.add_parser(
        "context", help="p50/p95 of context assembly: 500 orders, 100,000 knowledge-base chunks"
    )
    bench.add_argument("--iterations", type=int, default=200, help="timed assemblies")
    bench.add_argument("--orders", type=int, default=500, help="orders of the customer")
    bench.add_argument("--chunks", type=int, default=100_000, help="knowledge-base chunks")
    bench.add_argument(
        "--torch-threads",
        type=int,
        help="intra-op threads for the query embedding (default: torch's)",
    )
    bench.add_argument(
        "--audience",
        choices=["agent", "customer"],
        default="agent",
        help="whose search: agents see every passage, customers only public ones (filtered)",
    )
    bench.add_argument("--json", action="store_true", help="print one JSON object (ms)")
    bench.set_defaults(func=cmd_bench_context)
