"""How much latency our adapter stack adds to a raw ``openai`` SDK streaming call.

One run, one event loop, one local fake OpenAI server (in a child process, so its work does not
compete with the client for the interpreter lock) answering a fixed reply of ``chunks`` text
pieces with no delay. Each call is timed from the request to the last chunk consumed:

- raw: ``AsyncOpenAI.chat.completions.create(stream=True, include_usage)``, the whole stream read;
- stack: the same request through Bulkhead(Breaker(Retrying(Timeouts(Instrumented(
  OpenAIProvider))))) with the default resilience settings and an in-process breaker store,
  inside ``tracing()`` as the app calls it;
- litellm (unless turned off): ``litellm.acompletion(model="openai/<model>", api_base=...,
  stream=True)``, LiteLLM's own SDK on the same server, the same request.

Both clients are built once with the SDK's default HTTP client and the same settings. Calls are
interleaved in rounds whose order rotates (raw-stack-litellm, stack-litellm-raw, ...) after a
warm-up, so machine noise, garbage collection and server state fall on every side alike.
"""

from __future__ import annotations

import asyncio
import os
import platform
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from typing import Any, cast

import openai
from openai.types.chat import ChatCompletionMessageParam

from app.bench.fake_server_process import fake_openai_process
from providers.base import ChatProvider, Message
from providers.bulkhead import BulkheadLimiter
from providers.config import load_config
from providers.factory import build_entry_stack
from providers.openai_provider import OpenAIProvider
from providers.state import InProcessStore
from providers.trace import tracing

TARGET_P50_MS = 1.0
TARGET_P99_MS = 3.0
_MODEL = "gpt-4o-mini"
_KEY = "bench-key"
_MAX_TOKENS = 600
_TEMPERATURE = 0.2
_MESSAGES = (
    Message("system", "You are a support assistant. Answer briefly."),
    Message("user", "Where is my order ORD-200001?"),
)


@dataclass(frozen=True, slots=True)
class LatencySummary:
    """Percentiles of one series of call latencies, in milliseconds."""

    count: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    mean_ms: float
    min_ms: float
    max_ms: float

    @classmethod
    def of(cls, samples_ms: list[float]) -> LatencySummary:
        """Summarise ``samples_ms`` (at least one sample)."""
        if not samples_ms:
            raise ValueError("no samples")
        cuts = (
            statistics.quantiles(samples_ms, n=100, method="inclusive")
            if len(samples_ms) > 1
            else [samples_ms[0]] * 99
        )
        return cls(
            count=len(samples_ms),
            p50_ms=cuts[49],
            p95_ms=cuts[94],
            p99_ms=cuts[98],
            mean_ms=statistics.fmean(samples_ms),
            min_ms=min(samples_ms),
            max_ms=max(samples_ms),
        )


@dataclass(frozen=True, slots=True)
class ProviderBenchResult:
    """Raw SDK and adapter-stack latencies of one run, with the machine that ran it."""

    raw: LatencySummary
    stack: LatencySummary
    chunks: int
    warmup: int
    machine: str
    cores: int
    python: str
    litellm: LatencySummary | None = None

    @property
    def overhead_p50_ms(self) -> float:
        """Stack median minus raw median."""
        return self.stack.p50_ms - self.raw.p50_ms

    @property
    def overhead_p99_ms(self) -> float:
        """Stack p99 minus raw p99."""
        return self.stack.p99_ms - self.raw.p99_ms

    @property
    def ratio_p50(self) -> float:
        """Stack median over raw median."""
        return self.stack.p50_ms / self.raw.p50_ms

    @property
    def meets_target(self) -> bool:
        """Whether the overhead is within the targets at p50 and p99."""
        return self.overhead_p50_ms <= TARGET_P50_MS and self.overhead_p99_ms <= TARGET_P99_MS

    def as_dict(self) -> dict[str, Any]:
        """Every figure as plain JSON-ready values (milliseconds)."""
        return {
            "raw": asdict(self.raw),
            "stack": asdict(self.stack),
            "overhead_p50_ms": self.overhead_p50_ms,
            "overhead_p99_ms": self.overhead_p99_ms,
            "ratio_p50": self.ratio_p50,
            "target_p50_ms": TARGET_P50_MS,
            "target_p99_ms": TARGET_P99_MS,
            "meets_target": self.meets_target,
            "chunks": self.chunks,
            "warmup": self.warmup,
            "machine": self.machine,
            "cores": self.cores,
            "python": self.python,
            "litellm": asdict(self.litellm) if self.litellm is not None else None,
            "stack_minus_litellm_p50_ms": (
                self.stack.p50_ms - self.litellm.p50_ms if self.litellm is not None else None
            ),
        }


def build_stack(adapter: ChatProvider, *, entry: str = "openai-standard") -> ChatProvider:
    """The app's own stack for a model entry of the shipped configuration, around ``adapter``."""
    config = load_config()
    model_entry = next(m for m in config.models if m.name == entry)
    stack, _ = build_entry_stack(
        adapter,
        model_entry,
        config,
        store=InProcessStore(),
        limiter=BulkheadLimiter(model_entry.max_in_flight),
    )
    return stack


def run_provider_bench(
    *, calls: int = 300, warmup: int = 30, chunks: int = 40, litellm: bool = True
) -> ProviderBenchResult:
    """Time ``calls`` raw, stack (and LiteLLM) streaming calls against a local fake server."""
    if calls < 1 or warmup < 0 or chunks < 1:
        raise ValueError("calls and chunks must be at least 1, warmup not negative")
    with fake_openai_process(chunks) as base_url:
        samples = asyncio.run(_measure(base_url, calls, warmup, chunks, litellm=litellm))
    raw_ms, stack_ms, litellm_ms = samples
    return ProviderBenchResult(
        raw=LatencySummary.of(raw_ms),
        stack=LatencySummary.of(stack_ms),
        litellm=LatencySummary.of(litellm_ms) if litellm_ms else None,
        chunks=chunks,
        warmup=warmup,
        machine=platform.processor() or platform.machine(),
        cores=os.cpu_count() or 1,
        python=platform.python_version(),
    )


async def _measure(
    base_url: str, calls: int, warmup: int, chunks: int, *, litellm: bool
) -> tuple[list[float], list[float], list[float]]:
    """Latencies in ms of the raw, stack and LiteLLM calls, interleaved, after the warm-up."""
    timeout = openai.Timeout(30.0, connect=10.0)  # as OpenAIProvider builds its client
    client = openai.AsyncOpenAI(api_key=_KEY, base_url=base_url, max_retries=0, timeout=timeout)
    adapter = OpenAIProvider(api_key=_KEY, base_url=base_url, timeout_s=30.0)
    stack = build_stack(adapter)

    async def raw() -> int:
        stream = await client.chat.completions.create(
            messages=[
                cast(ChatCompletionMessageParam, {"role": m.role, "content": m.content})
                for m in _MESSAGES
            ],
            model=_MODEL,
            max_completion_tokens=_MAX_TOKENS,
            temperature=_TEMPERATURE,
            stream=True,
            stream_options={"include_usage": True},
        )
        text: list[str] = []
        try:
            async for event in stream:
                for choice in event.choices:
                    if choice.delta.content:
                        text.append(choice.delta.content)
        finally:
            await stream.close()
        return len(text)

    async def wrapped() -> int:
        text: list[str] = []
        with tracing():
            async for chunk in stack.stream(
                _MESSAGES, model=_MODEL, max_tokens=_MAX_TOKENS, temperature=_TEMPERATURE
            ):
                if chunk.text:
                    text.append(chunk.text)
        return len(text)

    raw_ms: list[float] = []
    stack_ms: list[float] = []
    litellm_ms: list[float] = []
    order: list[tuple[Callable[[], Awaitable[int]], list[float]]] = [
        (raw, raw_ms),
        (wrapped, stack_ms),
    ]
    if litellm:
        from app.bench.litellm_call import litellm_streamer

        lite = litellm_streamer(
            base_url,
            api_key=_KEY,
            model=_MODEL,
            messages=_MESSAGES,
            max_tokens=_MAX_TOKENS,
            temperature=_TEMPERATURE,
        )
        order.append((lite, litellm_ms))
    try:
        for i in range(warmup + calls):
            shift = i % len(order)
            for call, samples in order[shift:] + order[:shift]:
                elapsed = await _timed(call, chunks)
                if i >= warmup:
                    samples.append(elapsed)
    finally:
        await client.close()
        await adapter.aclose()
    return raw_ms, stack_ms, litellm_ms


async def _timed(call: Callable[[], Awaitable[int]], chunks: int) -> float:
    """Milliseconds one call takes; fails if it did not read the whole reply."""
    started = time.perf_counter()
    pieces = await call()
    elapsed = (time.perf_counter() - started) * 1000.0
    if pieces != chunks:
        raise RuntimeError(f"expected {chunks} text chunks, got {pieces}")
    return elapsed


def format_result(result: ProviderBenchResult) -> str:
    """The figures as a small aligned table, with the overhead and the machine."""
    rows = [("raw openai SDK", result.raw), ("adapter stack", result.stack)]
    if result.litellm is not None:
        rows.append(("litellm SDK", result.litellm))
    lines = [f"{'':<16}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'mean ms':>9}{'calls':>7}"]
    for label, s in rows:
        lines.append(
            f"{label:<16}{s.p50_ms:>9.2f}{s.p95_ms:>9.2f}{s.p99_ms:>9.2f}{s.mean_ms:>9.2f}"
            f"{s.count:>7}"
        )
    verdict = "within" if result.meets_target else "OVER"
    lines += [
        f"overhead        p50 {result.overhead_p50_ms:+.2f} ms (target <= {TARGET_P50_MS:g})"
        f"   p99 {result.overhead_p99_ms:+.2f} ms (target <= {TARGET_P99_MS:g})"
        f"   ratio {result.ratio_p50:.3f}x   {verdict} target",
        *(
            [
                f"litellm         p50 {result.litellm.p50_ms - result.raw.p50_ms:+.2f} ms over raw,"
                f" {result.litellm.p50_ms - result.stack.p50_ms:+.2f} ms over our stack"
            ]
            if result.litellm is not None
            else []
        ),
        f"reply: {result.chunks} chunks, no delay; warm-up {result.warmup} calls each",
        f"machine: {result.machine}, {result.cores} cores, Python {result.python} ({sys.platform})",
    ]
    return "\n".join(lines)
