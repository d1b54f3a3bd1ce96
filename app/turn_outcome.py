"""What a turn's provider call came to: who answered, whether it was degraded, what to say.

Degraded mode is a visible product state. An answer is degraded when it did not come from the
route's first choice (a fallback model, cached answers, or the local responder standing in), or
when the stream was cut short. When the local responder is the only provider configured (the
embedded default), its answers are not degraded: that is the mode, and they say what they are.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.provider_call import StreamedAnswer
from providers import Usage
from providers.routing import Route
from providers.trace import Attempt

PARTIAL_NOTICE = "The answer was cut short by a provider failure; it may be incomplete."
FAILED_TEXT = (
    "Sorry, no answer could be produced right now. Please try again in a moment, or ask a "
    "colleague to take over."
)


@dataclass(frozen=True, slots=True)
class TurnOutcome:
    """Who answered, and how the user should be told."""

    final: Attempt | None
    degraded: bool
    notice: str | None
    fallback: str | None  # the entry (or "cache") that stood in, when one did
    fallback_text: str = ""

    @property
    def provider(self) -> str:
        """The provider that answered, or "none"."""
        return self.final.provider if self.final else "none"

    @property
    def model(self) -> str:
        """The model that answered, or "none"."""
        return self.final.model if self.final else "none"

    @property
    def usage(self) -> Usage | None:
        """The answering attempt's reported usage."""
        return self.final.usage if self.final else None


def judge(answer: StreamedAnswer, route: Route) -> TurnOutcome:
    """Decide degraded state and notice from the attempts of the call."""
    final = answer.answered_by
    if answer.failed:
        return TurnOutcome(final, True, FAILED_TEXT, None, fallback_text=FAILED_TEXT)
    if not answer.complete:
        return TurnOutcome(final, True, PARTIAL_NOTICE, None)
    if final is None:
        return TurnOutcome(None, True, FAILED_TEXT, None, fallback_text=FAILED_TEXT)
    first = route.entries[0]
    if final.cache_hit:
        earlier = "similar earlier answers" if final.cache_hit == "semantic" else "earlier answers"
        if final.fallback_depth == 0:  # served before the call, by configuration
            notice = f"Answered from {earlier}; no model was asked."
            return TurnOutcome(final, True, notice, "cache")
        return TurnOutcome(
            final,
            True,
            f"The language model is unavailable right now; this answer comes from {earlier}.",
            "cache",
        )
    if final.entry == first.name:
        return TurnOutcome(final, False, None, None)
    if final.provider == "local":
        notice = (
            "The language model is unavailable right now; this simpler answer comes from the "
            "offline responder."
        )
    else:
        notice = f"Answered by the fallback model {final.model}: {first.model} is unavailable."
    return TurnOutcome(final, True, notice, final.entry or final.provider)
