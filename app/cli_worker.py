"""``deskpilot worker``: run the triage queue's jobs (arq on Redis) until stopped or, with
``--burst``, until the queue is empty."""

from __future__ import annotations

import argparse
import asyncio
import sys

from app.cli_shared import positive_int, settings_from_args

QUEUE_PREFIX_HELP = "prefix of the queue's name (environments sharing one Redis; tests)"


def cmd_worker(args: argparse.Namespace) -> int:
    """Start a worker on the triage queue; exit 1 after a burst in which jobs failed."""
    from redis.exceptions import RedisError

    from app.triage.queue import QueueUnavailable, queue_name, redis_settings, where
    from app.triage.worker import GRACE_S, health, run_worker, worker_settings

    settings = settings_from_args(args)
    queue = queue_name(args.queue_prefix)
    if args.check:
        record = asyncio.run(health(settings.redis_url, prefix=args.queue_prefix))
        if record is None:
            print(f"no worker has reported on {queue} lately", file=sys.stderr)
            return 1
        print(record)
        return 0
    options = worker_settings(
        settings, concurrency=args.concurrency, burst=args.burst, prefix=args.queue_prefix
    )
    until = (
        "until the queue is empty" if args.burst else f"until stopped (SIGTERM waits {GRACE_S} s)"
    )
    print(
        f"Triage worker on {queue} at {where(redis_settings(settings.redis_url))}: "
        f"{args.concurrency} jobs at a time, {until}.",
        file=sys.stderr,
        flush=True,
    )
    try:
        run = run_worker(options)
    except (TimeoutError, RedisError, OSError) as exc:
        raise QueueUnavailable(f"cannot reach Redis ({type(exc).__name__})") from exc
    print(
        f"Worker stopped: {run.complete} jobs complete, {run.failed} failed, "
        f"{run.retried} retried.",
        file=sys.stderr,
    )
    return 1 if args.burst and run.failed else 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``worker`` to the subcommands."""
    worker = subparsers.add_parser(
        "worker", help="run queued triage jobs (deskpilot triage --queue); needs REDIS_URL"
    )
    worker.add_argument(
        "--concurrency", type=positive_int, default=4, help="jobs run at a time (default 4)"
    )
    worker.add_argument("--burst", action="store_true", help="exit when the queue is empty")
    worker.add_argument(
        "--check", action="store_true", help="exit 0 if a worker reported lately (health check)"
    )
    worker.add_argument("--queue-prefix", default="", metavar="PREFIX", help=QUEUE_PREFIX_HELP)
    worker.set_defaults(func=cmd_worker)
