"""``deskpilot triage --queue`` and ``--queue-status``: batch triage through the Redis queue."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.runtime import Database
    from app.settings import Settings
    from app.triage.queue import EnqueueSummary, QueueStatus
    from app.triage.schemas import TriageKind

SHOWN_FAILURES = 20


def enqueue(
    settings: Settings,
    database: Database,
    ticket_ids: Sequence[str],
    *,
    kinds: Sequence[TriageKind],
    force: bool,
    prefix: str,
    as_json: bool,
) -> int:
    """Queue one job per ticket to triage and say how to follow them."""
    from app.cli_shared import progress_bar
    from app.triage.queue import enqueue_triage, open_queue, queue_name

    queue = queue_name(prefix)

    async def run() -> EnqueueSummary:
        redis = await open_queue(settings.redis_url)
        try:
            with progress_bar("Queueing tickets") as progress:
                return await enqueue_triage(
                    redis,
                    queue,
                    database.sessions,
                    ticket_ids,
                    kinds=kinds,
                    force=force,
                    progress=progress,
                )
        finally:
            await redis.aclose(close_connection_pool=True)

    summary = asyncio.run(run())
    if as_json:
        print(json.dumps({"queue": queue, **_counts(summary)}))
        return 0
    option = f" --queue-prefix {prefix}" if prefix else ""
    print(
        f"Queued {summary.queued} job{'' if summary.queued == 1 else 's'} on {queue} "
        f"({summary.already_queued} already queued, {summary.already_done} tickets already "
        "done; --force redoes them).",
        file=sys.stderr,
    )
    print(f"  watch: deskpilot triage --queue-status{option}", file=sys.stderr)
    print(f"  run:   deskpilot worker{option} [--burst]", file=sys.stderr)
    return 0


def _counts(summary: EnqueueSummary) -> dict[str, int]:
    return {
        "tickets": summary.tickets,
        "queued": summary.queued,
        "already_queued": summary.already_queued,
        "already_done": summary.already_done,
    }


def status(settings: Settings, *, prefix: str, as_json: bool) -> int:
    """Print how many jobs are queued, in progress, complete and failed."""
    from app.triage.queue import open_queue, queue_name, queue_status

    async def run() -> QueueStatus:
        redis = await open_queue(settings.redis_url)
        try:
            return await queue_status(redis, queue_name(prefix))
        finally:
            await redis.aclose(close_connection_pool=True)

    state = asyncio.run(run())
    if as_json:
        print(json.dumps(state.as_json()))
        return 0
    print(
        f"{state.queue}: {state.queued} queued, {state.in_progress} in progress, "
        f"{state.complete} complete, {state.failed} failed"
    )
    for ticket, kinds, error in state.failures[:SHOWN_FAILURES]:
        print(f"  failed: {ticket} ({kinds}): {error}")
    if len(state.failures) > SHOWN_FAILURES:
        print(f"  … and {len(state.failures) - SHOWN_FAILURES} more (--json lists them all)")
    if state.failed:
        print("  queue them again: deskpilot triage --all --queue", file=sys.stderr)
    return 0
