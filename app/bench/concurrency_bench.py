"""``deskpilot bench concurrency``: N simulated sessions against one in-process runtime.

Each level runs N sessions as asyncio tasks in one event loop over one runtime (as one app
process serves its users), closed loop: every session sends its next message as soon as its
last turn finished. The fake provider waits a fixed time to first token. Per level: turns per
second, overhead p50/p95 against the one-session level, event-loop lag p50/p99, errors.

Rate limits: all sessions are anonymous users of one process, so the bench raises the per-user
limit (``bench_env.RATE_LIMIT_PER_MINUTE``) and the bulkhead (``bench_env.MAX_IN_FLIGHT``).
"""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from app.bench.bench_env import (
    MAX_IN_FLIGHT,
    RATE_LIMIT_PER_MINUTE,
    BenchEnv,
    bench_assistant,
    close_providers,
)
from app.bench.bench_session import run_session
from app.bench.loop_lag import LoopLagProbe
from app.bench.provider_bench import LatencySummary
from app.bench.timed_server import timed_openai_process
from app.bench.turn_timing import attach_provider_time

TARGET_TURNS_PER_S = 20.0
TARGET_OVERHEAD_RATIO = 2.0
TARGET_LAG_P99_MS = 25.0
LAG_TARGET_SESSIONS = 200


@dataclass(frozen=True, slots=True)
class LevelResult:
    """One session count's figures."""

    sessions: int
    turns: int
    seconds: float
    overhead: LatencySummary
    wall: LatencySummary
    loop_lag: LatencySummary
    errors: int

    @property
    def turns_per_s(self) -> float:
        """Completed turns (errors included) per second of the level's wall time."""
        return self.turns / self.seconds


@dataclass(slots=True)
class ConcurrencyResult:
    """Every level of one run, and the provider's fixed time to first token."""

    ttft_ms: float
    levels: list[LevelResult] = field(default_factory=list)

    @property
    def single(self) -> LevelResult:
        """The one-session level, the reference for the overhead ratio."""
        return next(level for level in self.levels if level.sessions == 1)

    def ratio(self, level: LevelResult) -> float:
        """Overhead p95 of ``level`` over the single-user overhead p95."""
        return level.overhead.p95_ms / self.single.overhead.p95_ms

    def throughput_met(self) -> bool:
        """Some level reached the turns/s target with overhead p95 within 2x single-user."""
        return any(
            lv.turns_per_s >= TARGET_TURNS_PER_S and self.ratio(lv) <= TARGET_OVERHEAD_RATIO
            for lv in self.levels
        )

    def lag_met(self) -> bool | None:
        """Loop lag p99 within target at 200 sessions (None when that level was not run)."""
        big = [lv for lv in self.levels if lv.sessions >= LAG_TARGET_SESSIONS]
        return all(lv.loop_lag.p99_ms <= TARGET_LAG_P99_MS for lv in big) if big else None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready figures (milliseconds, turns per second)."""
        return {
            "ttft_ms": self.ttft_ms,
            "rate_limit_per_minute": RATE_LIMIT_PER_MINUTE,
            "max_in_flight": MAX_IN_FLIGHT,
            "levels": [
                {
                    "sessions": lv.sessions,
                    "turns": lv.turns,
                    "seconds": lv.seconds,
                    "turns_per_s": lv.turns_per_s,
                    "overhead": asdict(lv.overhead),
                    "wall": asdict(lv.wall),
                    "loop_lag": asdict(lv.loop_lag),
                    "overhead_p95_vs_single": self.ratio(lv),
                    "errors": lv.errors,
                }
                for lv in self.levels
            ],
            "targets": {
                "turns_per_s": TARGET_TURNS_PER_S,
                "overhead_p95_ratio": TARGET_OVERHEAD_RATIO,
                "loop_lag_p99_ms": TARGET_LAG_P99_MS,
                "loop_lag_sessions": LAG_TARGET_SESSIONS,
            },
            "throughput_met": self.throughput_met(),
            "lag_met": self.lag_met(),
            "errors": sum(lv.errors for lv in self.levels),
        }


def turns_per_session(sessions: int, min_turns: int, per_session: int) -> int:
    """Enough turns per session for at least ``min_turns`` per level."""
    return max(per_session, math.ceil(min_turns / sessions))


async def measure_concurrency(
    env: BenchEnv,
    *,
    sessions: list[int],
    ttft_ms: float,
    min_turns: int = 60,
    per_session: int = 3,
    warmup: int = 3,
) -> ConcurrencyResult:
    """Run every session count (the one-session level first) in this event loop."""
    counts = sorted({1, *sessions})
    if counts[0] < 1:
        raise ValueError("session counts must be at least 1")
    result = ConcurrencyResult(ttft_ms=ttft_ms)
    with timed_openai_process(ttft_ms) as base_url:
        assistant, providers = bench_assistant(env, base_url)
        try:
            await run_session(assistant, env.customers, index=0, turns=warmup, first_message=20_000)
            first = 30_000
            for count in counts:
                each = turns_per_session(count, min_turns, per_session)
                async with LoopLagProbe() as probe:
                    started = time.perf_counter()
                    runs = await asyncio.gather(
                        *(
                            run_session(
                                assistant,
                                env.customers,
                                index=i,
                                turns=each,
                                first_message=first + i * each,
                            )
                            for i in range(count)
                        )
                    )
                    seconds = time.perf_counter() - started
                first += count * each
                samples = [s for run in runs for s in run]
                attach_provider_time(env.runtime.session_factory, samples)
                good = [s for s in samples if s.error is None] or samples
                result.levels.append(
                    LevelResult(
                        sessions=count,
                        turns=len(samples),
                        seconds=seconds,
                        overhead=LatencySummary.of([s.overhead_ms for s in good]),
                        wall=LatencySummary.of([s.wall_ms for s in good]),
                        loop_lag=LatencySummary.of(probe.samples_ms or [0.0]),
                        errors=sum(1 for s in samples if s.error is not None),
                    )
                )
        finally:
            await close_providers(providers)
    return result


def format_concurrency(result: ConcurrencyResult) -> str:
    """One line per session count, then the targets."""
    lines = [
        f"concurrency: closed-loop sessions, fake provider TTFT {result.ttft_ms:g} ms",
        f"{'sessions':>8}{'turns':>7}{'turns/s':>9}{'ovh p50':>9}{'ovh p95':>9}{'x single':>9}"
        f"{'lag p50':>9}{'lag p99':>9}{'errors':>7}",
    ]
    for lv in result.levels:
        lines.append(
            f"{lv.sessions:>8}{lv.turns:>7}{lv.turns_per_s:>9.1f}{lv.overhead.p50_ms:>9.1f}"
            f"{lv.overhead.p95_ms:>9.1f}{result.ratio(lv):>9.2f}{lv.loop_lag.p50_ms:>9.1f}"
            f"{lv.loop_lag.p99_ms:>9.1f}{lv.errors:>7}"
        )
    lag = result.lag_met()
    lines.append(
        f"targets: >= {TARGET_TURNS_PER_S:g} turns/s with overhead p95 <= "
        f"{TARGET_OVERHEAD_RATIO:g}x single: {'met' if result.throughput_met() else 'MISSED'}; "
        f"loop lag p99 <= {TARGET_LAG_P99_MS:g} ms at {LAG_TARGET_SESSIONS} sessions: "
        f"{'not run' if lag is None else ('met' if lag else 'MISSED')}"
    )
    return "\n".join(lines)
