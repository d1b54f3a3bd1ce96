"""Start-up: build every engine, model and client once, and wire them into the Assistant."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine
from sqlmodel import select

from app.assistant import Assistant, AssistantConfig
from app.conversations import ConversationStore
from app.cost_controls import CostControls, build_cost_controls
from app.crm_redaction import CrmTextRedactor
from app.errors import DeskpilotError
from app.feedback import FeedbackService
from app.ledger import Ledger
from app.log_setup import quiet_libraries
from app.offline import enforce_offline
from app.settings import Settings
from app.storage.database import SessionFactory, make_engine, migrate, session_factory
from app.storage.secrets import Encryptor, load_or_create_key
from app.summariser import Summariser
from app.turn_memory import MemoryService
from context.builder import ContextBuilder
from context.crm_tables import OrderItem
from context.tokenizer_cache import install_tiktoken_cache
from context.tokens import TokenCounter
from providers.state import InProcessStore, KeyValueStore, RedisStore

if TYPE_CHECKING:
    from guardrails import Pseudonymiser
    from providers.factory import ProviderSet
    from providers.routing import Router
    from retrieval import ChunkSize, Embedder, KnowledgeBase, TextEmbedder

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Database:
    """The migrated database and a way to open sessions on it."""

    engine: Engine
    sessions: SessionFactory


@dataclass(frozen=True, slots=True)
class Runtime:
    """Everything a process needs to run turns."""

    settings: Settings
    database: Database
    assistant: Assistant
    conversations: ConversationStore
    feedback: FeedbackService
    embed_query: Callable[[str], Sequence[float]]  # the loaded MiniLM, for caches and tools
    costs: CostControls  # rate limits, budgets, metrics and audit of this process

    @property
    def session_factory(self) -> SessionFactory:
        """Open a database session."""
        return self.database.sessions


def open_database(settings: Settings) -> Database:
    """Create the data directory, connect and migrate; cheap enough for every CLI command."""
    enforce_offline()
    quiet_libraries()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.sqlalchemy_url)
    migrate(engine)
    return Database(engine, session_factory(engine))


def knowledge_dir(settings: Settings) -> Path:
    """The knowledge base to ingest: configured, or the demo company's articles."""
    if settings.knowledge_dir is not None:
        return settings.knowledge_dir
    from app.demo import KNOWLEDGE_DIR

    return KNOWLEDGE_DIR


def open_kb(settings: Settings, embedder: TextEmbedder, name: str | None = None) -> KnowledgeBase:
    """The knowledge base `name` (default: the demo's) in the data dir or on CHROMA_URL."""
    from retrieval import DEFAULT_KB, open_knowledge_base

    return open_knowledge_base(
        settings.chroma_dir, embedder, name=name or DEFAULT_KB, chroma_url=settings.chroma_url
    )


def chunk_size(embedder: Embedder) -> ChunkSize:
    """Passage sizes counted in the embedding model's own tokens, within its window."""
    from retrieval import ChunkSize

    # The embedded text adds the title and section line; keep room for it below the window.
    limit = min(200, embedder.max_tokens - 48)
    return ChunkSize(
        max_tokens=limit, overlap_tokens=limit // 5, count_tokens=embedder.count_tokens
    )


def token_counter(settings: Settings) -> TokenCounter:
    """A tiktoken counter that works offline."""
    install_tiktoken_cache(settings.cache_dir / "tiktoken")
    return TokenCounter()


def conversation_store(settings: Settings, database: Database) -> ConversationStore:
    """Conversations with their transcripts and vaults, encrypted with the configured key."""
    key = settings.encryption_key.get_secret_value() if settings.encryption_key else None
    return ConversationStore(
        database.sessions, Encryptor(load_or_create_key(settings.secrets_dir, key))
    )


def build_runtime(settings: Settings) -> Runtime:
    """Load models and engines (seconds: spaCy, MiniLM, Chroma) and build the Assistant."""
    from guardrails import Pseudonymiser, build_analyzer
    from prompts.loader import load_prompt
    from providers import LocalResponder, PriceTable
    from providers.config import load_config
    from providers.factory import build_provider_set
    from providers.routing import Router
    from retrieval import Embedder

    database = open_database(settings)
    counter = token_counter(settings)
    conversations = conversation_store(settings, database)

    embedder = Embedder.load(settings.embedding_backend)
    local = LocalResponder(count_tokens=counter.count, chunk_delay_s=settings.local_stream_delay_s)
    config = load_config(settings.providers_file)
    prices = PriceTable.load().with_entries(config.models)
    costs = build_cost_controls(settings, database.sessions, config, prices)

    def on_transition(key: str, old: str, new: str) -> None:
        _log_transition(key, old, new)
        costs.metrics.set_breaker(key, new)

    providers = build_provider_set(
        config,
        store=shared_store(settings),
        local=local,
        embed=embedder.embed_query,
        on_transition=on_transition,
    )
    knowledge = open_kb(settings, embedder)
    ledger = Ledger(database.sessions, prices)
    router = Router(config)
    pseudonymiser = Pseudonymiser(
        build_analyzer(settings.spacy_model), allow_list=product_names(database.sessions)
    )
    context, memory, summariser = build_context(
        settings,
        database.sessions,
        knowledge,
        counter,
        conversations,
        providers,
        router,
        ledger,
        pseudonymiser,
        costs,
    )
    assistant = Assistant(
        sessions=database.sessions,
        conversations=conversations,
        pseudonymiser=pseudonymiser,
        context=context,
        memory=memory,
        summariser=summariser,
        counter=counter,
        providers=providers,
        router=router,
        ledger=ledger,
        prompt=load_prompt("support_reply"),
        costs=costs,
        config=AssistantConfig(
            company=settings.company_name,
            max_message_chars=settings.max_message_chars,
            temperature=settings.temperature,
            context_max_tokens=settings.context_max_tokens,
        ),
    )
    log.info("runtime ready: providers %s", ", ".join(providers.stacks))
    feedback = FeedbackService(database.sessions, providers.semantic, providers.knowledge_scope)
    return Runtime(
        settings, database, assistant, conversations, feedback, embedder.embed_query, costs
    )


def rules_file(settings: Settings) -> Path:
    """The business rules: configured, or the demo company's."""
    if settings.rules_file is not None:
        return settings.rules_file
    from app.demo import RULES_FILE

    return RULES_FILE


def build_context(
    settings: Settings,
    sessions: SessionFactory,
    knowledge: KnowledgeBase,
    counter: TokenCounter,
    conversations: ConversationStore,
    providers: ProviderSet,
    router: Router,
    ledger: Ledger,
    pseudonymiser: Pseudonymiser | None = None,
    costs: CostControls | None = None,
) -> tuple[ContextBuilder, MemoryService, Summariser]:
    """The context step: validated rules (a bad file stops start-up), memory and summaries."""
    from app.memory_store import SummaryStore
    from app.turn_memory import MemorySettings
    from context.rules import RulesError, load_rules

    try:
        rules = load_rules(rules_file(settings))
    except RulesError as exc:
        raise DeskpilotError(f"business rules: {exc}") from None
    context = ContextBuilder(
        sessions=sessions,
        knowledge=knowledge,
        rules=rules,
        counter=counter,
        retrieval_k=settings.retrieval_k,
        # Third parties' data in CRM notes is found by the pseudonymiser; without one (tools,
        # benches) only the customer's own values and record ids are masked.
        redact=CrmTextRedactor(pseudonymiser) if pseudonymiser is not None else None,
    )
    summariser = Summariser(providers, router, ledger, counter, costs)
    memory = MemoryService(
        conversations,
        SummaryStore(sessions),
        summariser,
        counter,
        MemorySettings(
            summary_threshold_tokens=settings.memory_summary_threshold_tokens,
            keep_recent_messages=settings.memory_keep_recent_messages,
            earlier_conversations=settings.memory_earlier_conversations,
            earlier_min_idle_minutes=settings.memory_earlier_min_idle_minutes,
        ),
    )
    return context, memory, summariser


def shared_store(settings: Settings) -> KeyValueStore:
    """Caches and breaker state: in-process, or in Redis when REDIS_URL is set (scale mode)."""
    if not settings.redis_url:
        return InProcessStore()
    import redis

    return RedisStore(redis.Redis.from_url(settings.redis_url))


def _log_transition(key: str, old: str, new: str) -> None:
    log.warning("circuit breaker of %s: %s -> %s", key, old, new)


def product_names(sessions: SessionFactory) -> list[str]:
    """Names of the products customers bought: never mistaken for personal data."""
    with sessions() as session:
        return sorted(session.exec(select(OrderItem.product_name).distinct()).all())
