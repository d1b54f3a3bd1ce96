"""The one seam between triage and the providers: messages in, text and who answered out."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from app.ledger import CallContext, Ledger
from providers import ChatProvider, Message
from providers.config import Task
from providers.factory import ProviderSet
from providers.routing import Route, Router
from providers.trace import CallTrace, use_trace

if TYPE_CHECKING:
    from app.metrics import Metrics

NOT_A_CALL = frozenset({"CacheMiss"})


@dataclass(frozen=True, slots=True)
class ModelReply:
    """The answer text, and the model and provider that produced it."""

    text: str
    model: str
    provider: str

    @property
    def local(self) -> bool:
        """Answered by the local responder (rules), not a language model."""
        return self.provider == "local"


class ModelCaller(Protocol):
    """Sends one prompt and returns the answer (raises ProviderError when nobody answers)."""

    async def __call__(
        self, messages: Sequence[Message], *, task: str, prompt_ref: str, scope: str | None
    ) -> ModelReply:
        """One complete (non-streamed) call."""
        ...


class ChainCaller:
    """A ``ModelCaller`` over the configured provider chain (models, cached answers, local)."""

    def __init__(
        self,
        providers: ProviderSet,
        router: Router,
        *,
        max_tokens: int = 500,
        ledger: Ledger | None = None,
        count_tokens: Callable[[str], int] | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self._providers = providers
        self._router = router
        self._max_tokens = max_tokens
        self._ledger = ledger
        self._count = count_tokens or (lambda text: 0)
        self._metrics = metrics  # the app's /metrics: tokens and cost of triage by model

    def uses_models(self, task: str = "triage") -> bool:
        """Whether a language model (not just the local responder) is on the route."""
        route = self._router.route(self._task(task))
        return any(entry.provider != "local" for entry in route.entries)

    def _task(self, task: str) -> Task:
        # A provider file written before a task existed routes it like triage.
        return task if task in self._providers.config.tasks else "triage"

    async def __call__(
        self, messages: Sequence[Message], *, task: str, prompt_ref: str, scope: str | None
    ) -> ModelReply:
        """Route the task, call the chain once and report which attempt answered."""
        route = self._router.route(self._task(task))
        chain = self._providers.chain(route, prompt=prompt_ref, scope=scope)
        trace = CallTrace()
        text = ""
        try:
            with use_trace(trace):
                completion = await chain.complete(
                    messages,
                    model=route.entries[0].model,
                    max_tokens=self._max_tokens,
                    temperature=0,
                )
            text = completion.text
        finally:
            self._record(route, prompt_ref, messages, trace, text)
        attempts = [a for a in trace.attempts if a.error not in NOT_A_CALL and a.ok]
        answered = attempts[-1] if attempts else None
        model = answered.model if answered else completion.model
        provider = answered.provider if answered else str(completion.extra.get("provider", "?"))
        return ModelReply(completion.text, model, provider)

    def _record(
        self,
        route: Route,
        prompt_ref: str,
        messages: Sequence[Message],
        trace: CallTrace,
        answer: str,
    ) -> None:
        """One call-ledger row per attempt, like a chat turn's (no conversation, no turn)."""
        attempts = [a for a in trace.attempts if a.error not in NOT_A_CALL]
        if self._metrics is not None and self._ledger is not None:
            price = self._ledger.price
            self._metrics.observe_attempts(attempts, route.task, price=price)
        if self._ledger is None or not attempts:
            return
        self._ledger.record(
            CallContext(
                conversation_id=None,
                turn=None,
                user_id=None,
                task=route.task,
                prompt=prompt_ref,
                input_tokens_estimate=sum(self._count(m.content) for m in messages),
                tier=route.tier,
                route_reason=route.reason,
            ),
            attempts,
            [self._count(answer) if a.ok else 0 for a in attempts],
        )


class ProviderCaller:
    """A ``ModelCaller`` over one bare provider (the local responder, or a fake in tests)."""

    def __init__(self, provider: ChatProvider, *, model: str = "", max_tokens: int = 500) -> None:
        self._provider = provider
        self._model = model
        self._max_tokens = max_tokens

    async def __call__(
        self, messages: Sequence[Message], *, task: str, prompt_ref: str, scope: str | None
    ) -> ModelReply:
        """One call; the provider's name and reported model say who answered."""
        completion = await self._provider.complete(
            messages, model=self._model, max_tokens=self._max_tokens, temperature=0
        )
        return ModelReply(completion.text, completion.model, self._provider.name)
