"""The turn orchestrator: the seven steps of one turn, from the user's text to the ledger row."""

from __future__ import annotations

import asyncio
import copy
import functools
import json
import time
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass

from app.conversations import ConversationStore, StoredTurn
from app.cost_controls import Admission, CostControls
from app.errors import CustomerNotFound
from app.ledger import Ledger
from app.prompt_guard import assert_no_raw_values, known_values
from app.provider_call import StreamedAnswer, stream_answer
from app.storage.database import SessionFactory
from app.storage.tables import Conversation
from app.summariser import Summariser
from app.turn_accounting import TurnAccount, TurnAccounting
from app.turn_finish import TurnWriters, in_thread_to_completion
from app.turn_memory import MemoryService
from app.turn_opening import TurnOpener
from app.turn_outcome import judge
from app.turn_prompt import TurnPrompt, rule_facts, section_view
from app.turn_types import (
    AnswerDelta,
    ContextReady,
    ContextReport,
    ConversationRole,
    RuleFlagView,
    SourceRef,
    TurnEvent,
    TurnResult,
)
from context.builder import ContextBuilder, LoadedCustomer
from context.customer_history import find_customers, get_customer
from context.tokens import TokenCounter
from guardrails import Pseudonymiser, PseudonymVault, StreamRestorer, check_input
from prompts.loader import PromptTemplate
from providers.config import Task
from providers.factory import ProviderSet
from providers.routing import Router


@dataclass(frozen=True, slots=True)
class CustomerSummary:
    """A customer as pickers and cards show them."""

    id: str
    name: str
    email: str
    tier: str


@dataclass(frozen=True, slots=True)
class AssistantConfig:
    """Per-deployment choices the orchestrator needs."""

    company: str = "Northwind Electronics"
    max_message_chars: int = 4000
    temperature: float = 0.2
    context_max_tokens: int = 6000  # cap on the context budget, whatever the model's window


@dataclass(frozen=True, slots=True)
class _Asked:
    """A checked, pseudonymised question and what was loaded for it (steps 1-2 of a turn)."""

    question: str
    query: str
    vault: PseudonymVault
    known: dict[str, list[str]]
    loaded: LoadedCustomer
    started: float


class Assistant:
    """Runs turns: input checks, pseudonymisation, context, prompt, provider, restore, ledger."""

    def __init__(
        self,
        *,
        sessions: SessionFactory,
        conversations: ConversationStore,
        pseudonymiser: Pseudonymiser,
        context: ContextBuilder,
        memory: MemoryService,
        summariser: Summariser,
        counter: TokenCounter,
        providers: ProviderSet,
        router: Router,
        ledger: Ledger,
        prompt: PromptTemplate,
        costs: CostControls,
        config: AssistantConfig,
    ) -> None:
        self._sessions = sessions
        self._conversations = conversations
        self._pseudonymiser = pseudonymiser
        self._context_builder = context
        self._memory = memory
        self._summariser = summariser
        self._counter = counter
        self._providers = providers
        self._router = router
        self._ledger = ledger
        self._prompt = prompt
        self._costs = costs
        self._accounting = TurnAccounting(ledger, costs, counter)
        self._turn_prompt = TurnPrompt(
            context,
            counter,
            prompt,
            company=config.company,
            context_max_tokens=config.context_max_tokens,
        )
        self._config = config

    @property
    def pseudonymiser(self) -> Pseudonymiser:
        """The loaded pseudonymiser (spaCy and the recognizers), to share with other tools."""
        return self._pseudonymiser

    @property
    def providers(self) -> ProviderSet:
        """The provider stacks and caches this assistant calls."""
        return self._providers

    def with_providers(self, providers: ProviderSet, router: Router) -> Assistant:
        """The same assistant over other providers (shares every loaded component)."""
        clone = copy.copy(self)
        clone._providers, clone._router = providers, router
        clone._summariser = self._summariser.with_providers(providers, router)
        clone._memory = self._memory.with_summariser(clone._summariser)
        return clone

    def with_cost_controls(self, costs: CostControls) -> Assistant:
        """The same assistant under other budgets, rate limits and metrics (a tenant, a test)."""
        clone = copy.copy(self)
        clone._costs = costs
        clone._accounting = TurnAccounting(self._ledger, costs, self._counter)
        return clone

    # -- customers -------------------------------------------------------------------------
    def find_customers(self, query: str, limit: int = 8) -> list[CustomerSummary]:
        """Customers by id, email or a fragment of the name."""
        with self._sessions() as session:
            found = find_customers(session, query, limit=limit)
            return [CustomerSummary(c.id, c.name, c.email, c.tier) for c in found]

    def customer_summary(self, customer_id: str) -> CustomerSummary:
        """One customer's card, or CustomerNotFound."""
        with self._sessions() as session:
            customer = get_customer(session, customer_id)
            if customer is None:
                raise CustomerNotFound(customer_id)
            return CustomerSummary(customer.id, customer.name, customer.email, customer.tier)

    def customer_record(self, customer_id: str) -> LoadedCustomer:
        """The customer's history and rule outcomes, for the agent's panel."""
        return self._opener().load(customer_id)

    async def start_conversation(
        self, *, user_id: int | None, customer_id: str, role: ConversationRole
    ) -> int:
        """Open a conversation about a customer; returns its id."""

        def open_one() -> int:
            customer = self.customer_summary(customer_id)
            opened = self._conversations.create(user_id=user_id, customer_id=customer.id, role=role)
            self._opener().warm_redaction(customer.id)
            return opened

        return await asyncio.to_thread(open_one)  # SQL and Presidio: off the event loop

    # -- one turn --------------------------------------------------------------------------
    async def respond(self, conversation_id: int, text: str) -> AsyncIterator[TurnEvent]:
        """Run one turn, yielding the context provenance, answer deltas, then the result.

        The customer is the conversation's, fixed when it was opened (the agent's choice or the
        customer's login): nothing in the message text can load another customer's data.
        """
        started = time.perf_counter()
        question = check_input(text, max_chars=self._config.max_message_chars)  # 1
        # SQL, the rate limiter, decryption, Presidio and the budget store block: two hops.
        opener = self._opener()
        opened = await asyncio.to_thread(opener.open, conversation_id)
        conversation, vault, loaded = opened.conversation, opened.vault, opened.loaded
        known = known_values(loaded.history)
        role: ConversationRole = "customer" if conversation.role == "customer" else "agent"
        task: Task = "customer_reply" if role == "customer" else "agent_reply"
        redaction, admission = await asyncio.to_thread(  # 2
            opener.admit, conversation_id, opened, question, known, task
        )
        try:
            async for event in self._answer(
                conversation_id,
                conversation,
                admission,
                _Asked(question, redaction.text, vault, known, loaded, started),
            ):
                yield event
        finally:
            self._costs.release(admission.reservation)  # a no-op once settled

    async def _answer(
        self,
        conversation_id: int,
        conversation: Conversation,
        admission: Admission,
        asked: _Asked,
    ) -> AsyncIterator[TurnEvent]:
        """Steps 3-7 of a turn whose cost was admitted."""
        question, query, vault, known, loaded, started = (
            asked.question,
            asked.query,
            asked.vault,
            asked.known,
            asked.loaded,
            asked.started,
        )
        route = admission.route
        role: ConversationRole = "customer" if conversation.role == "customer" else "agent"
        memory_service = self._memory
        turn, draft = await asyncio.to_thread(
            lambda: (
                self._conversations.next_turn(conversation_id),
                memory_service.draft(conversation, vault),
            )
        )
        memory = await memory_service.complete(draft, conversation, vault, turn)  # 3
        plan = await self._turn_prompt.plan(loaded, query, vault, role, route, memory)
        sources = [SourceRef(h.source, h.title, h.section, h.score, h.text) for h in plan.passages]
        sections = [section_view(s) for s in plan.sections]
        report = ContextReport(plan.rules_version, plan.budget, sections)
        yield ContextReady(
            sections=sections,
            sources=sources,
            rules_version=plan.rules_version,
            budget=plan.budget,
            rule_facts=rule_facts(plan, vault),
        )

        messages = self._turn_prompt.messages(plan, query, role)  # 4
        assert_no_raw_values(messages, known)
        # The caches tell customers apart by the real id: the prompt only has <CUSTOMER_ID_1>.
        chain = self._providers.chain(
            route, prompt=self._prompt.ref, scope=conversation.customer_id
        )
        restorer = StreamRestorer(vault)
        answer = StreamedAnswer()
        first = route.entries[0]
        first_token_s: float | None = None
        async for delta in stream_answer(  # 5, 6
            chain,
            messages,
            answer,
            model=first.model,
            max_tokens=first.max_tokens,
            temperature=self._config.temperature,
        ):
            shown = restorer.feed(delta)
            if shown:
                if first_token_s is None:
                    first_token_s = time.perf_counter() - started
                yield AnswerDelta(shown)
        tail = restorer.flush()
        if tail:
            yield AnswerDelta(tail)

        outcome = judge(answer, route)
        answer_pseudonymised = answer.text or outcome.fallback_text
        answer_raw = vault.restore(answer_pseudonymised)
        writers = TurnWriters(
            self._conversations,
            self._accounting,
            memory_service,
            self._ledger,
            self._context_builder.rules,
        )
        finished = await in_thread_to_completion(
            functools.partial(
                writers.finish,
                admission,
                TurnAccount(
                    conversation_id=conversation_id,
                    customer_id=conversation.customer_id,
                    user_id=conversation.user_id,
                    turn=turn,
                    role=role,
                    route=route,
                    prompt=self._prompt.ref,
                    rules_version=plan.rules_version,
                    messages=messages,
                    answer=answer,
                    model=outcome.model,
                    started=started,
                    first_token_s=first_token_s,
                ),
                StoredTurn(
                    question_raw=question,
                    question_pseudonymised=query,
                    answer_raw=answer_raw,
                    answer_pseudonymised=answer_pseudonymised,
                    complete=answer.complete,
                    provider=outcome.provider,
                    model=outcome.model,
                    prompt=self._prompt.ref,
                    degraded=outcome.degraded,
                    provenance_json=json.dumps(asdict(report)),
                    rules_version=plan.rules_version,
                ),
                conversation=conversation,
                plan=plan,
                outcome=outcome,
                vault=vault,
            )
        )
        flags, message_id, cost = finished.flags, finished.message_id, finished.cost
        usage = outcome.usage
        yield TurnResult(
            answer=answer_raw,
            conversation_id=conversation_id,
            provider=outcome.provider,
            model=outcome.model,
            degraded=outcome.degraded,
            notice=outcome.notice,
            input_tokens=usage.input_tokens if usage else 0,
            output_tokens=usage.output_tokens if usage else 0,
            cost_usd=float(cost) if cost is not None else None,
            prompt=self._prompt.ref,
            sources=sources,
            context=report,
            latency_ms=round((time.perf_counter() - started) * 1000, 1),
            message_id=message_id,
            fallback=outcome.fallback,
            route={"tier": route.tier, "reason": route.reason},
            rule_flags=[RuleFlagView(f.check, f.detail, f.sentence) for f in flags],
        )

    # -- steps ---------------------------------------------------------------------------
    def _opener(self) -> TurnOpener:
        """The blocking start of a turn over this assistant's current parts (clones swap some)."""
        return TurnOpener(
            self._conversations,
            self._costs,
            self._context_builder,
            self._pseudonymiser,
            self._counter,
            self._router,
            self._config.context_max_tokens,
        )
