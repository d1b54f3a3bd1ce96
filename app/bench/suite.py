"""``deskpilot bench all``: every benchmark in sequence, as one JSON document.

Order: the provider adapter comparison and ingest throughput first (each loads only what it
needs), then one runtime over a synthetic knowledge base for the turn benchmarks (pipeline,
concurrency, cache) in one event loop. ``SuiteSizes.quick()`` keeps the whole run near a
minute for the test; ``SuiteSizes.full()`` is the issue's figures (100k chunks, 200 sessions).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from app.bench.kb_cache import Progress
from app.bench.machine import machine_info
from app.bench.turn_timing import OVERHEAD_DEFINITION


@dataclass(frozen=True, slots=True)
class SuiteSizes:
    """How big each benchmark of the suite runs."""

    mode: str
    chunks: int
    sample: int
    pipeline_turns: int
    pipeline_warmup: int
    sessions: tuple[int, ...]
    ttft_ms: float
    min_turns: int
    per_session: int
    cache_questions: int
    provider_calls: int
    provider_warmup: int
    ingest_sample: int
    ingest_queries: int

    @classmethod
    def full(cls) -> SuiteSizes:
        """The issue's sizes: 100k chunks, 1/50/200 sessions at 300 ms TTFT."""
        return cls(
            "full", 100_000, 1000, 200, 10, (1, 50, 200), 300.0, 60, 3, 50, 300, 30, 1000, 50
        )

    @classmethod
    def quick(cls) -> SuiteSizes:
        """Small sizes for a smoke run (the test): figures are not representative."""
        return cls("quick", 400, 48, 6, 2, (1, 4), 50.0, 6, 2, 3, 20, 2, 32, 5)


def run_suite(sizes: SuiteSizes, *, cache_root: Path, progress: Progress) -> dict[str, Any]:
    """Run every benchmark; returns the JSON document ``report`` renders."""
    from app.bench.provider_bench import run_provider_bench
    from app.bench.retrieval_bench import run_retrieval_bench

    started = dt.datetime.now(dt.UTC)
    machine_before = machine_info()
    progress("provider: raw SDK vs our stack vs LiteLLM")
    provider = run_provider_bench(calls=sizes.provider_calls, warmup=sizes.provider_warmup)
    progress("ingest throughput")
    ingest = run_retrieval_bench(
        [sizes.ingest_sample],
        sample=sizes.ingest_sample,
        queries=sizes.ingest_queries,
        batch_size=32,
        compare_int8=False,
    )
    turns = _turn_benches(sizes, cache_root, progress)
    return {
        "generated_at": started.isoformat(timespec="seconds"),
        "mode": sizes.mode,
        "sizes": asdict(sizes),
        "machine": machine_before,
        "load_1min_after": machine_info()["load_1min"],
        "overhead_definition": OVERHEAD_DEFINITION,
        "provider": provider.as_dict(),
        "ingest": {
            "sample": ingest.sample,
            "embed_per_s": ingest.embed_per_s,
            "store_add_per_s": ingest.store_add_per_s,
            "ingest_per_s": ingest.ingest_per_s,
        },
        **turns,
    }


def _turn_benches(sizes: SuiteSizes, cache_root: Path, progress: Progress) -> dict[str, Any]:
    """Pipeline, concurrency and cache over one runtime, in one event loop."""
    from app.bench.bench_env import bench_environment
    from app.bench.cache_bench import measure_cache
    from app.bench.concurrency_bench import measure_concurrency
    from app.bench.pipeline_bench import measure_pipeline

    with bench_environment(
        chunks=sizes.chunks, cache_root=cache_root, sample=sizes.sample, progress=progress
    ) as env:

        async def run() -> dict[str, Any]:
            progress(f"pipeline: {sizes.pipeline_turns} turns")
            pipeline = await measure_pipeline(
                env, turns=sizes.pipeline_turns, warmup=sizes.pipeline_warmup
            )
            progress(f"concurrency: sessions {', '.join(map(str, sizes.sessions))}")
            concurrency = await measure_concurrency(
                env,
                sessions=list(sizes.sessions),
                ttft_ms=sizes.ttft_ms,
                min_turns=sizes.min_turns,
                per_session=sizes.per_session,
            )
            progress(f"cache: {sizes.cache_questions} questions twice")
            cache = await measure_cache(env, questions=sizes.cache_questions, ttft_ms=sizes.ttft_ms)
            return {
                "pipeline": pipeline.as_dict(),
                "concurrency": concurrency.as_dict(),
                "cache": cache.as_dict(),
            }

        return asyncio.run(run())
