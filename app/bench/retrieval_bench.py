"""``deskpilot bench retrieval``: ingest throughput and search latency at 10k and 100k passages.

Honest about what is real: ingest throughput embeds a sample of synthetic passages with the
real MiniLM and writes them through the real store. Bigger stores reuse those real vectors:
each further passage joins two sampled passages (half of each text; the normalised mean of
their vectors), so the 100k store is built in minutes instead of the hours MiniLM would take
on two cores. Search timing includes embedding every query.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from app.bench.synthetic_passages import mixed_passages, synthetic_passages

if TYPE_CHECKING:
    from rich.progress import Progress

    from retrieval import Embedder, KnowledgeBase, Passage


@dataclass
class SizeResult:
    """Figures for one store size."""

    passages: int
    store_add_s: float
    keyword_index_s: float
    hybrid_p50_ms: float
    hybrid_p95_ms: float
    vector_p50_ms: float
    vector_p95_ms: float
    keyword_p50_ms: float
    keyword_p95_ms: float


@dataclass
class BenchResult:
    """The whole benchmark run."""

    cpus: int
    sample: int
    embed_per_s: float
    store_add_per_s: float
    ingest_per_s: float
    queries: int
    int8_embed_per_s: float | None = None
    int8_mean_cosine: float | None = None
    sizes: list[SizeResult] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        """JSON-ready figures."""
        return asdict(self)


def _percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.array(values), q))


def _time_queries(
    search: Callable[[str, str | None], object], queries: Sequence[str]
) -> tuple[float, float]:
    """(p50, p95) in ms of `search` over `queries`; every third query is customer-facing."""
    for query in queries[:5]:
        search(query, None)  # warm caches and lazy loads
    times = []
    for i, query in enumerate(queries):
        start = time.perf_counter()
        search(query, "public" if i % 3 == 0 else None)
        times.append((time.perf_counter() - start) * 1000)
    return _percentile(times, 50), _percentile(times, 95)


@contextmanager
def _progress() -> Iterator[Progress]:
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as progress:
        yield progress


def _embed_all(
    embedder: Embedder, texts: Sequence[str], batch_size: int, progress: Progress, label: str
) -> tuple[np.ndarray, float]:
    """(vectors, seconds) for `texts`, in batches, with a progress bar."""
    task = progress.add_task(label, total=len(texts))
    start = time.perf_counter()
    vectors: list[list[float]] = []
    for i in range(0, len(texts), batch_size):
        vectors += embedder.embed(texts[i : i + batch_size], batch_size=batch_size)
        progress.update(task, completed=len(vectors))
    seconds = time.perf_counter() - start
    progress.remove_task(task)
    return np.array(vectors, dtype=np.float32), seconds


def run_retrieval_bench(
    sizes: Sequence[int], *, sample: int, queries: int, batch_size: int, compare_int8: bool
) -> BenchResult:
    """Measure ingest throughput on `sample` real passages, then search at every size."""
    from retrieval import DocumentStore, Embedder, KeywordIndex, KnowledgeBase, embedding_text
    from retrieval.evaluation import load_questions

    embedder = Embedder.load()
    base = synthetic_passages(sample)
    texts = [embedding_text(p) for p in base]
    questions = [q.question for q in load_questions()]
    asked = [questions[i % len(questions)] for i in range(queries)]
    with tempfile.TemporaryDirectory(prefix="deskpilot-bench-") as tmp, _progress() as progress:
        vectors, embed_s = _embed_all(
            embedder, texts, batch_size, progress, f"Embedding {sample} passages"
        )
        int8_rate = int8_cosine = None
        if compare_int8:
            quantised = Embedder.load("torch-int8")
            int8_vectors, int8_s = _embed_all(
                quantised, texts, batch_size, progress, "The same with int8 MiniLM"
            )
            int8_rate = sample / int8_s
            int8_cosine = float(np.mean(np.sum(vectors * int8_vectors, axis=1)))
        store = DocumentStore.persistent(Path(tmp) / "chroma")
        kb = KnowledgeBase(store, embedder, KeywordIndex(Path(tmp) / "keyword"))
        start = time.perf_counter()
        store.add(base, vectors.tolist())
        add_s = time.perf_counter() - start
        result = BenchResult(
            cpus=os.cpu_count() or 0,
            sample=sample,
            embed_per_s=sample / embed_s,
            store_add_per_s=sample / add_s,
            ingest_per_s=sample / (embed_s + add_s),
            queries=queries,
            int8_embed_per_s=int8_rate,
            int8_mean_cosine=int8_cosine,
        )
        for size in sorted(sizes):
            result.sizes.append(_measure_size(kb, base, vectors, size, asked, progress))
    return result


def _measure_size(
    kb: KnowledgeBase,
    base: Sequence[Passage],
    vectors: np.ndarray,
    size: int,
    queries: Sequence[str],
    progress: Progress,
) -> SizeResult:
    """Grow the store to `size`, rebuild the keyword index, time the three search modes."""
    store = kb.store
    missing = size - store.count()
    task = progress.add_task(f"Filling the store to {size}", total=max(missing, 0))
    add_s = 0.0
    step = 5000
    for offset in range(0, max(missing, 0), step):
        count = min(step, missing - offset)
        passages, mixed = mixed_passages(base, vectors, store.count(), count, seed=size + offset)
        start = time.perf_counter()
        store.add(passages, mixed.tolist())
        add_s += time.perf_counter() - start
        progress.update(task, advance=count)
    progress.remove_task(task)
    start = time.perf_counter()
    kb.rebuild_keywords()
    keyword_s = time.perf_counter() - start
    timings = {}
    for mode in ("hybrid", "vector", "keyword"):
        task = progress.add_task(f"Searching {size} passages ({mode})", total=None)
        timings[mode] = _time_queries(
            lambda q, audience, m=mode: kb.search(q, k=5, audience=audience, mode=m),  # type: ignore[misc]
            queries,
        )
        progress.remove_task(task)
    return SizeResult(
        passages=store.count(),
        store_add_s=add_s,
        keyword_index_s=keyword_s,
        hybrid_p50_ms=timings["hybrid"][0],
        hybrid_p95_ms=timings["hybrid"][1],
        vector_p50_ms=timings["vector"][0],
        vector_p95_ms=timings["vector"][1],
        keyword_p50_ms=timings["keyword"][0],
        keyword_p95_ms=timings["keyword"][1],
    )


def format_result(result: BenchResult) -> str:
    """The figures as a few lines of text."""
    lines = [
        f"Retrieval benchmark on {result.cpus} CPUs",
        f"ingest ({result.sample} synthetic passages, real MiniLM): "
        f"embedding {result.embed_per_s:.1f} passages/s, store write "
        f"{result.store_add_per_s:.0f} passages/s, together {result.ingest_per_s:.1f} chunks/s",
        *(
            [
                f"int8 backend (DESKPILOT_EMBEDDING_BACKEND=torch-int8): embedding "
                f"{result.int8_embed_per_s:.1f} passages/s, mean cosine to float32 vectors "
                f"{result.int8_mean_cosine:.4f}"
            ]
            if result.int8_embed_per_s is not None
            else []
        ),
        f"search: {result.queries} queries each (k=5, query embedding included, "
        "1 in 3 customer-facing)",
    ]
    for s in result.sizes:
        lines.append(
            f"{s.passages:>7} passages: hybrid p50 {s.hybrid_p50_ms:.1f} ms p95 "
            f"{s.hybrid_p95_ms:.1f} ms | vector p50 {s.vector_p50_ms:.1f} p95 "
            f"{s.vector_p95_ms:.1f} | keyword p50 {s.keyword_p50_ms:.1f} p95 "
            f"{s.keyword_p95_ms:.1f} | keyword index rebuild {s.keyword_index_s:.1f} s"
        )
    return "\n".join(lines)


def cmd_bench_retrieval(args: argparse.Namespace) -> int:
    """Run the retrieval benchmark and print its figures."""
    from app.errors import DeskpilotError
    from app.log_setup import quiet_libraries
    from app.offline import enforce_offline

    try:
        sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        raise DeskpilotError(
            f"--sizes must be numbers like 10000,100000, not {args.sizes!r}"
        ) from None
    if not sizes or min(sizes) < args.sample:
        raise DeskpilotError(f"every size must be at least the sample ({args.sample})")
    enforce_offline()
    quiet_libraries()
    result = run_retrieval_bench(
        sizes,
        sample=args.sample,
        queries=args.queries,
        batch_size=args.batch_size,
        compare_int8=args.int8,
    )
    print(json.dumps(result.as_dict()) if args.json else format_result(result))
    return 0


def register_bench(bench_subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``bench retrieval`` under the ``bench`` command."""
    bench = bench_subparsers.add_parser(
        "retrieval", help="ingest throughput and search p50/p95 at 10k and 100k passages"
    )
    bench.add_argument("--sizes", default="10000,100000", help="store sizes (default 10000,100000)")
    bench.add_argument(
        "--sample", type=int, default=1000, help="passages embedded with MiniLM (default 1000)"
    )
    bench.add_argument("--queries", type=int, default=200, help="timed queries per mode and size")
    bench.add_argument("--batch-size", type=int, default=32, help="embedding batch size")
    bench.add_argument(
        "--int8",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also time the int8-quantised MiniLM on the sample (default: on)",
    )
    bench.add_argument("--json", action="store_true", help="print one JSON object")
    bench.set_defaults(func=cmd_bench_retrieval)
