"""``deskpilot bench processes``: turns per second of 1 vs 2 app processes on one stack.

Each round starts N app processes (`BenchStack.apps`) and runs S simulated agent sessions spread
round-robin over them. A session signs in as its own user over HTTP, opens the agent chat over
socket.io, picks a customer, asks one untimed warm-up question, waits for every other session
to be ready, then asks questions back to back for the duration. A turn counts when its answer
(the fake model's) arrived before the duration ended; its latency runs from sending the message
to Chainlit's ``task_end``. The target (issue 10): two processes give at least 1.7x the
throughput of one.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from app.bench.machine import describe, load_average, machine_info
from app.bench.process_stack import RAISED_LIMITS, BenchStack, BenchUser
from app.bench.socket_session import ChatError, SocketChat, open_agent_chat, sign_in_cookie_async
from app.bench.timed_server import ANSWER
from app.bench.turn_texts import bench_message

TARGET_RATIO = 1.7
TURN_TIMEOUT_S = 120.0
_ANSWER_MARK = ANSWER[:40]  # the fake model's answer; anything else is a fallback or a refusal
_TURN_INDEX_STRIDE = 1_000_000
_ARRIVAL_GAP_S = 0.05  # message numbers per session, so every question is distinct


@dataclass(slots=True)
class RoundResult:
    """The figures of one round: N processes, S sessions."""

    apps: int
    sessions: int
    duration_s: float
    latencies_ms: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)

    @property
    def turns(self) -> int:
        """Turns answered by the model within the duration."""
        return len(self.latencies_ms)

    @property
    def turns_per_s(self) -> float:
        """Completed turns per second of the whole stack."""
        return self.turns / self.duration_s

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready figures."""
        return {
            "apps": self.apps,
            "sessions": self.sessions,
            "duration_s": self.duration_s,
            "turns": self.turns,
            "turns_per_s": round(self.turns_per_s, 3),
            "latency": {
                "p50_ms": round(percentile(self.latencies_ms, 50), 1),
                "p95_ms": round(percentile(self.latencies_ms, 95), 1),
            },
            "errors": sum(self.errors.values()),
            "error_kinds": dict(self.errors),
        }


@dataclass(slots=True)
class ProcessesResult:
    """Every round, the ratio against the target, and the machine it ran on."""

    rounds: list[RoundResult]
    ttft_ms: float
    machine: dict[str, Any]
    load_1min_after: float | None

    def throughput(self, apps: int) -> float | None:
        """Turns/s of the round with ``apps`` processes, if it ran."""
        return next((r.turns_per_s for r in self.rounds if r.apps == apps), None)

    @property
    def ratio(self) -> float | None:
        """throughput(2) / throughput(1), when both rounds ran and one process did any turn."""
        one, two = self.throughput(1), self.throughput(2)
        return None if one is None or two is None or one == 0 else two / one

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready figures."""
        ratio = self.ratio
        return {
            "ttft_ms": self.ttft_ms,
            "rounds": [r.as_dict() for r in self.rounds],
            "ratio_2_vs_1": None if ratio is None else round(ratio, 3),
            "target_ratio": TARGET_RATIO,
            "met": None if ratio is None else ratio >= TARGET_RATIO,
            "errors": sum(sum(r.errors.values()) for r in self.rounds),
            "limits": RAISED_LIMITS,
            "machine": self.machine,
            "load_1min_after": self.load_1min_after,
            "busy": not self.machine["quiet"],
        }


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (nearest rank); 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def _kind(exc: BaseException, url: str) -> str:
    """An error's kind: our own errors' messages (no personal data in them), else the type."""
    if isinstance(exc, ChatError):
        return str(exc).replace(f"{url}: ", "")
    return type(exc).__name__


async def _session(
    index: int,
    url: str,
    user: BenchUser,
    customer: str,
    start: asyncio.Event,
    ready: asyncio.Queue[SocketChat | None],
    result: RoundResult,
) -> None:
    """One simulated agent: sign in, pick the customer, warm up, then ask until the deadline."""
    chat: SocketChat | None = None
    try:
        # Agents arrive over a couple of seconds, not in one instant.
        await asyncio.sleep(index * _ARRIVAL_GAP_S)
        cookie = await sign_in_cookie_async(url, user.username, user.password)
        chat = await open_agent_chat(url, cookie, customer, timeout_s=TURN_TIMEOUT_S)
        await chat.send(bench_message(index * _TURN_INDEX_STRIDE))  # warm-up, not counted
    except Exception as exc:  # any failure is this session's error, not the whole bench's
        result.errors[f"setup: {_kind(exc, url)}"] += 1
        await ready.put(None)  # the round must not wait for this session
        if chat is not None:
            await chat.close()
        return
    await ready.put(chat)
    await start.wait()
    deadline = time.monotonic() + result.duration_s
    turn = 0
    try:
        while time.monotonic() < deadline:
            turn += 1
            sent = time.monotonic()
            try:
                shown = await chat.send(bench_message(index * _TURN_INDEX_STRIDE + turn))
            except Exception as exc:  # counted, and this session stops; the others go on
                result.errors[f"turn: {_kind(exc, url)}"] += 1
                return
            done = time.monotonic()
            if done > deadline:  # finished after the window: neither counted nor an error
                return
            if _ANSWER_MARK not in shown:
                result.errors["turn: not the model's answer"] += 1
                continue
            result.latencies_ms.append((done - sent) * 1000.0)
    finally:
        await chat.close()


async def run_round(
    urls: Sequence[str],
    users: Sequence[BenchUser],
    customers: Sequence[str],
    *,
    duration_s: float,
) -> RoundResult:
    """S sessions (one per user) spread round-robin over ``urls`` for ``duration_s``."""
    result = RoundResult(apps=len(urls), sessions=len(users), duration_s=duration_s)
    start = asyncio.Event()
    ready: asyncio.Queue[SocketChat | None] = asyncio.Queue()
    tasks = [
        asyncio.create_task(
            _session(
                i, urls[i % len(urls)], user, customers[i % len(customers)], start, ready, result
            )
        )
        for i, user in enumerate(users)
    ]
    for _ in users:  # every session is set up (or failed) before the clock starts
        await ready.get()
    start.set()
    await asyncio.gather(*tasks)
    return result


def measure_processes(
    stack: BenchStack, *, apps: Sequence[int], duration_s: float, ttft_ms: float
) -> ProcessesResult:
    """One round per entry of ``apps`` on the running stack."""
    machine = machine_info()
    rounds = []
    for count in apps:
        with stack.apps(count) as urls:
            stack.progress(f"{count} process(es): {len(stack.users)} sessions, {duration_s:g} s")
            rounds.append(
                asyncio.run(run_round(urls, stack.users, stack.customers, duration_s=duration_s))
            )
    return ProcessesResult(rounds, ttft_ms, machine, load_average())


def format_processes(result: ProcessesResult) -> str:
    """The figures as text: one line per round, then the ratio against the target."""
    lines = [
        f"Machine: {describe(result.machine)} (after: {result.load_1min_after})",
        f"Fake model TTFT {result.ttft_ms:g} ms; {RAISED_LIMITS}.",
        "",
        "apps  sessions  turns  turns/s  p50 ms  p95 ms  errors",
    ]
    for r in result.rounds:
        d = r.as_dict()
        lines.append(
            f"{r.apps:>4}  {r.sessions:>8}  {r.turns:>5}  {r.turns_per_s:>7.2f}  "
            f"{d['latency']['p50_ms']:>6.0f}  {d['latency']['p95_ms']:>6.0f}  {d['errors']:>6}"
            + (f"  {d['error_kinds']}" if d["errors"] else "")
        )
    ratio = result.ratio
    lines.append("")
    if ratio is None:
        lines.append(f"throughput(2)/throughput(1): not measured (target >= {TARGET_RATIO}x)")
    else:
        met = "met" if ratio >= TARGET_RATIO else "NOT met"
        lines.append(
            f"throughput(2)/throughput(1) = {ratio:.2f}x (target >= {TARGET_RATIO}x: {met})"
        )
    if not result.machine["quiet"]:
        lines.append(
            f"BUSY machine: 1-min load {result.machine['load_1min']} (> 0.5) before the run; "
            "other work shared the CPUs, so the figures are pessimistic."
        )
    return "\n".join(lines)
