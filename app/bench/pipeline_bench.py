"""``deskpilot bench pipeline``: per-turn pipeline overhead, one user, a big knowledge base.

A real runtime (see ``bench_env``) answers ~1,000-character support messages through a fake
OpenAI server in a child process; overhead is defined in ``turn_timing.OVERHEAD_DEFINITION``.
Turns run one after another (a single user), after a few untimed warm-up turns.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

from app.bench.bench_env import BenchEnv, bench_assistant, close_providers
from app.bench.bench_session import run_session
from app.bench.loop_lag import LoopLagProbe
from app.bench.provider_bench import LatencySummary
from app.bench.timed_server import timed_openai_process
from app.bench.turn_timing import OVERHEAD_DEFINITION, attach_provider_time

TARGET_P50_MS = 40.0
TARGET_P95_MS = 80.0


@dataclass(frozen=True, slots=True)
class PipelineResult:
    """Overhead, wall and provider time per turn, with the loop lag seen meanwhile."""

    chunks: int
    turns: int
    warmup: int
    ttft_ms: float
    overhead: LatencySummary
    wall: LatencySummary
    provider: LatencySummary
    loop_lag: LatencySummary
    errors: int
    # CPU time of the event-loop thread per turn (time.thread_time): work no other thread can
    # take over, so one process cannot run more than 1000 / this many turns per second.
    loop_cpu_ms_per_turn: float

    @property
    def meets_target(self) -> bool:
        """p50 and p95 overhead within the targets, and no errors."""
        return (
            self.overhead.p50_ms <= TARGET_P50_MS
            and self.overhead.p95_ms <= TARGET_P95_MS
            and self.errors == 0
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready figures (milliseconds)."""
        return {
            "chunks": self.chunks,
            "turns": self.turns,
            "warmup": self.warmup,
            "ttft_ms": self.ttft_ms,
            "message_chars": 1000,
            "overhead": asdict(self.overhead),
            "wall": asdict(self.wall),
            "provider": asdict(self.provider),
            "loop_lag": asdict(self.loop_lag),
            "errors": self.errors,
            "loop_cpu_ms_per_turn": self.loop_cpu_ms_per_turn,
            "definition": OVERHEAD_DEFINITION,
            "target_p50_ms": TARGET_P50_MS,
            "target_p95_ms": TARGET_P95_MS,
            "meets_target": self.meets_target,
        }


async def measure_pipeline(
    env: BenchEnv, *, turns: int, warmup: int, ttft_ms: float = 0.0
) -> PipelineResult:
    """Run ``warmup`` untimed then ``turns`` timed single-user turns in this event loop."""
    if turns < 1 or warmup < 0:
        raise ValueError("turns must be at least 1, warmup not negative")
    with timed_openai_process(ttft_ms) as base_url:
        assistant, providers = bench_assistant(env, base_url)
        try:
            customers = env.customers
            await run_session(assistant, customers, index=0, turns=warmup, first_message=10_000)
            async with LoopLagProbe() as probe:
                cpu_started = time.thread_time()
                samples = await run_session(
                    assistant, customers, index=1, turns=turns, first_message=0
                )
                loop_cpu_s = time.thread_time() - cpu_started
        finally:
            await close_providers(providers)
    attach_provider_time(env.runtime.session_factory, samples)
    good = [s for s in samples if s.error is None] or samples
    return PipelineResult(
        chunks=env.chunks,
        turns=turns,
        warmup=warmup,
        ttft_ms=ttft_ms,
        overhead=LatencySummary.of([s.overhead_ms for s in good]),
        wall=LatencySummary.of([s.wall_ms for s in good]),
        provider=LatencySummary.of([s.provider_ms for s in good]),
        loop_lag=LatencySummary.of(probe.samples_ms or [0.0]),
        errors=sum(1 for s in samples if s.error is not None),
        loop_cpu_ms_per_turn=loop_cpu_s * 1000.0 / turns,
    )


def format_pipeline(result: PipelineResult) -> str:
    """The figures as a few aligned lines."""
    rows = [("overhead", result.overhead), ("wall", result.wall), ("provider", result.provider)]
    lines = [
        f"pipeline: {result.turns} turns (+{result.warmup} warm-up), 1,000-char messages, "
        f"{result.chunks:,}-chunk KB, fake provider TTFT {result.ttft_ms:g} ms",
        f"{'':<10}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}",
    ]
    for label, s in rows:
        lines.append(f"{label:<10}{s.p50_ms:>9.1f}{s.p95_ms:>9.1f}{s.p99_ms:>9.1f}{s.max_ms:>9.1f}")
    verdict = "met" if result.meets_target else "MISSED"
    lines += [
        f"target: overhead p50 <= {TARGET_P50_MS:g} ms, p95 <= {TARGET_P95_MS:g} ms: {verdict}; "
        f"errors {result.errors}; loop lag p99 {result.loop_lag.p99_ms:.1f} ms; event-loop "
        f"thread CPU {result.loop_cpu_ms_per_turn:.1f} ms per turn",
        f"overhead = {OVERHEAD_DEFINITION}",
    ]
    return "\n".join(lines)
