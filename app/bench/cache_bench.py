"""``deskpilot bench cache``: latency of a turn the exact cache answers.

With ``cache.serve_before_call`` on, each question is asked twice, each time in a new
conversation about the same customer: the first turn goes to the fake provider (with its time to
first token) and stores the answer; the second is served by the exact cache. Only second turns
the ledger marks as cache hits count as hits; the rest are reported as misses.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from app.bench.bench_env import BenchEnv, bench_assistant, close_providers
from app.bench.provider_bench import LatencySummary
from app.bench.timed_server import timed_openai_process
from app.bench.turn_texts import bench_message
from app.bench.turn_timing import TurnSample, attach_provider_time, timed_turn


@dataclass(frozen=True, slots=True)
class CacheResult:
    """Whole-turn latency of cache hits and of the provider turns that filled the cache."""

    questions: int
    ttft_ms: float
    hits: int
    hit: LatencySummary
    miss: LatencySummary
    errors: int

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready figures (milliseconds)."""
        return {
            "questions": self.questions,
            "ttft_ms": self.ttft_ms,
            "hits": self.hits,
            "hit_turn": asdict(self.hit),
            "provider_turn": asdict(self.miss),
            "errors": self.errors,
        }


async def measure_cache(env: BenchEnv, *, questions: int, ttft_ms: float) -> CacheResult:
    """Ask ``questions`` questions twice each; time the repeats."""
    if questions < 1:
        raise ValueError("questions must be at least 1")
    firsts: list[TurnSample] = []
    repeats: list[TurnSample] = []
    with timed_openai_process(ttft_ms) as base_url:
        assistant, providers = bench_assistant(env, base_url, serve_before_call=True)
        try:
            for i in range(questions):
                customer = env.customers[i % len(env.customers)]
                text = bench_message(40_000 + i)
                for into in (firsts, repeats):
                    conversation = await assistant.start_conversation(
                        user_id=None, customer_id=customer, role="agent"
                    )
                    into.append(await timed_turn(assistant, conversation, 1, text))
        finally:
            await close_providers(providers)
    attach_provider_time(env.runtime.session_factory, [*firsts, *repeats])
    hits = [s for s in repeats if s.error is None and s.cache_hit]
    return CacheResult(
        questions=questions,
        ttft_ms=ttft_ms,
        hits=len(hits),
        hit=LatencySummary.of([s.wall_ms for s in hits] or [0.0]),
        miss=LatencySummary.of([s.wall_ms for s in firsts if s.error is None] or [0.0]),
        errors=sum(1 for s in [*firsts, *repeats] if s.error is not None),
    )


def format_cache(result: CacheResult) -> str:
    """Hit and provider-turn latencies side by side."""
    return "\n".join(
        [
            f"cache: {result.questions} questions asked twice, fake provider TTFT "
            f"{result.ttft_ms:g} ms; {result.hits}/{result.questions} repeats served by the "
            f"exact cache; errors {result.errors}",
            f"{'':<16}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}",
            f"{'cache-hit turn':<16}{result.hit.p50_ms:>9.1f}{result.hit.p95_ms:>9.1f}"
            f"{result.hit.max_ms:>9.1f}",
            f"{'provider turn':<16}{result.miss.p50_ms:>9.1f}{result.miss.p95_ms:>9.1f}"
            f"{result.miss.max_ms:>9.1f}",
        ]
    )
