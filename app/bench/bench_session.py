"""One simulated user: turns back to back, a new conversation every few turns.

Conversations are kept short (three turns by default) so no rolling summary is ever due: a
summary is a provider call of its own and would blur the per-turn figures. Sessions talk about
different demo customers and send distinct messages (see ``turn_texts``).
"""

from __future__ import annotations

from app.assistant import Assistant
from app.bench.turn_texts import bench_message
from app.bench.turn_timing import TurnSample, timed_turn

TURNS_PER_CONVERSATION = 3


async def run_session(
    assistant: Assistant,
    customers: list[str],
    *,
    index: int,
    turns: int,
    first_message: int,
    per_conversation: int = TURNS_PER_CONVERSATION,
) -> list[TurnSample]:
    """Session ``index`` runs ``turns`` turns with messages from number ``first_message`` on."""
    samples: list[TurnSample] = []
    conversation: int | None = None
    opened = 0
    done_here = 0
    for n in range(turns):
        if conversation is None or done_here >= per_conversation:
            customer = customers[(index + opened) % len(customers)]
            conversation = await assistant.start_conversation(
                user_id=None, customer_id=customer, role="agent"
            )
            opened += 1
            done_here = 0
        done_here += 1
        sample = await timed_turn(
            assistant, conversation, done_here, bench_message(first_message + n)
        )
        samples.append(sample)
        if sample.error is not None:
            conversation = None  # turn numbers of a failed turn are uncertain: start afresh
    return samples
