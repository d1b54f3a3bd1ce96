"""Start-up: build every engine, model and client once, and wire them into the Assistant."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import select

from app.assistant import Assistant, AssistantConfig
from app.conversations import ConversationStore
from app.feedback import FeedbackService
from app.ledger import Ledger
from app.log_setup import quiet_libraries
from app.offline import enforce_offline
from app.settings import Settings
from app.storage.database import SessionFactory, make_engine, migrate, session_factory
from app.storage.secrets import Encryptor, load_or_create_key
from context.crm_tables import OrderItem
from context.tokenizer_cache import install_tiktoken_cache
from context.tokens import TokenCounter
from providers.state import InProcessStore, KeyValueStore, RedisStore

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


def token_counter(settings: Settings) -> TokenCounter:
    """A tiktoken counter that works offline."""
    install_tiktoken_cache(settings.cache_dir / "tiktoken")
    return TokenCounter()


def build_runtime(settings: Settings) -> Runtime:
    """Load models and engines (seconds: spaCy, MiniLM, Chroma) and build the Assistant."""
    from guardrails import Pseudonymiser, build_analyzer
    from prompts.loader import load_prompt
    from providers import LocalResponder, PriceTable
    from providers.config import load_config
    from providers.factory import build_provider_set
    from providers.routing import Router
    from retrieval import DocumentStore, Embedder, KnowledgeBase

    database = open_database(settings)
    counter = token_counter(settings)
    key = settings.encryption_key.get_secret_value() if settings.encryption_key else None
    encryptor = Encryptor(load_or_create_key(settings.secrets_dir, key))
    conversations = ConversationStore(database.sessions, encryptor)

    embedder = Embedder.load()
    local = LocalResponder(count_tokens=counter.count, chunk_delay_s=settings.local_stream_delay_s)
    config = load_config(settings.providers_file)
    providers = build_provider_set(
        config,
        store=shared_store(settings),
        local=local,
        embed=embedder.embed_query,
        on_transition=_log_transition,
    )
    knowledge = KnowledgeBase(DocumentStore.persistent(settings.chroma_dir), embedder)
    assistant = Assistant(
        sessions=database.sessions,
        conversations=conversations,
        pseudonymiser=Pseudonymiser(
            build_analyzer(settings.spacy_model), allow_list=product_names(database.sessions)
        ),
        knowledge=knowledge,
        counter=counter,
        providers=providers,
        router=Router(config),
        ledger=Ledger(database.sessions, PriceTable.load().with_entries(config.models)),
        prompt=load_prompt("support_reply"),
        config=AssistantConfig(
            company=settings.company_name,
            max_message_chars=settings.max_message_chars,
            retrieval_k=settings.retrieval_k,
            temperature=settings.temperature,
        ),
    )
    log.info("runtime ready: providers %s", ", ".join(providers.stacks))
    feedback = FeedbackService(database.sessions, providers.semantic, providers.knowledge_scope)
    return Runtime(settings, database, assistant, conversations, feedback, embedder.embed_query)


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
