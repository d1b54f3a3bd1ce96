"""A fake OpenAI server with a fixed time to first token, in a child process.

The turn benchmarks need a provider whose own time is known and whose CPU is not the measured
process's: the child waits ``ttft_ms`` before the first token, then streams a fixed support
answer word by word with no further delay. It prints its base URL and serves until stdin closes.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from app.bench.fake_openai_server import Reply, run_fake_openai
from app.bench.fake_server_process import child_server
from app.bench.scripted_server import split_words

ANSWER = (
    "Thanks for getting in touch, and sorry about the trouble with your order. I have checked "
    "the order on your account: the parcel left our warehouse and the courier scan shows it is "
    "on its way. If it has not arrived within two working days, reply here and we will send a "
    "replacement or refund it in full, whichever you prefer. For the charging fault, the "
    "warranty covers it, so we can arrange a free courier pick-up."
)


def timed_reply(ttft_ms: float) -> Reply:
    """The fixed answer, streamed word by word after ``ttft_ms`` milliseconds."""
    pieces = split_words(ANSWER)
    return Reply(
        text=ANSWER,
        chunks=pieces,
        prompt_tokens=900,
        completion_tokens=len(pieces),
        delay_s=ttft_ms / 1000.0,
    )


@contextmanager
def timed_openai_process(ttft_ms: float) -> Iterator[str]:
    """Run the timed fake server in a child process; yield its base URL."""
    with child_server(__name__, "--ttft-ms", str(ttft_ms)) as base_url:
        yield base_url


def main(argv: Sequence[str] | None = None) -> int:
    """Serve ``timed_reply`` on a free loopback port until stdin closes."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ttft-ms", type=float, default=0.0)
    args = parser.parse_args(argv)
    with run_fake_openai(timed_reply(args.ttft_ms)) as fake:
        print(fake.base_url, flush=True)
        sys.stdin.read()
    return 0


if __name__ == "__main__":
    sys.exit(main())
