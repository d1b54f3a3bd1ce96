"""The fake OpenAI server in a child process, so it does not share the benchmark's GIL.

A server thread in the measured process would compete with the client for the interpreter lock
and add its own CPU time to every call; a real provider is another machine. The child prints its
base URL on stdout, then serves until its stdin closes (the parent exits or leaves the block).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from app.bench.fake_openai_server import Reply, run_fake_openai


def bench_reply(chunks: int) -> Reply:
    """The fixed benchmark answer: ``chunks`` word-sized pieces, usage reported, no delay."""
    return Reply(
        chunks=[f" word{i}" for i in range(chunks)], prompt_tokens=30, completion_tokens=chunks
    )


@contextmanager
def child_server(module: str, *args: str) -> Iterator[str]:
    """Run ``python -m module args`` (a fake server printing its base URL); yield that URL."""
    argv = [sys.executable, "-m", module, *args]
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdin is not None and proc.stdout is not None
    try:
        base_url = proc.stdout.readline().strip()
        if not base_url.startswith("http://"):
            raise RuntimeError(f"the fake server process {module} did not start")
        yield base_url
    finally:
        proc.stdin.close()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stdout.close()


@contextmanager
def fake_openai_process(chunks: int) -> Iterator[str]:
    """Run the fake server answering ``bench_reply(chunks)`` in a child; yield its base URL."""
    with child_server(__name__, "--chunks", str(chunks)) as base_url:
        yield base_url


def main(argv: Sequence[str] | None = None) -> int:
    """Serve ``bench_reply`` on a free loopback port until stdin closes."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chunks", type=int, default=40)
    args = parser.parse_args(argv)
    with run_fake_openai(bench_reply(args.chunks)) as fake:
        print(fake.base_url, flush=True)
        sys.stdin.read()
    return 0


if __name__ == "__main__":
    sys.exit(main())
