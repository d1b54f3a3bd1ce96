"""Build the triage service for a process: providers from the configuration, the prompt library,
and a pseudonymiser only when a language model could receive the tickets."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.ledger import Ledger
from app.runtime import Database, shared_store, token_counter
from app.settings import Settings
from app.storage.database import SessionFactory
from app.triage.caller import ChainCaller
from app.triage.service import TriageService
from prompts.library import PromptLibrary, load_library
from providers.pricing import PriceTable

if TYPE_CHECKING:
    from app.metrics import Metrics
    from guardrails import Pseudonymiser
    from providers.factory import ProviderSet


@dataclass(frozen=True, slots=True)
class TriageSetup:
    """The service and what it was built from."""

    service: TriageService
    caller: ChainCaller
    library: PromptLibrary


def build_chain_caller(
    settings: Settings,
    providers: ProviderSet | None = None,
    sessions: SessionFactory | None = None,
    metrics: Metrics | None = None,
) -> ChainCaller:
    """The provider chain (keys from the environment), local responder last: ``providers`` when
    given (the app's own, sharing breakers and caches), else built from the configuration."""
    from providers import LocalResponder
    from providers.config import load_config
    from providers.factory import build_provider_set
    from providers.routing import Router

    if providers is None:
        config = load_config(settings.providers_file)
        providers = build_provider_set(config, store=shared_store(settings), local=LocalResponder())
    if sessions is None:
        return ChainCaller(providers, Router(providers.config))
    # Every model call of triage is priced and kept in the call ledger, like a chat turn's.
    prices = PriceTable.load().with_entries(providers.config.models)
    return ChainCaller(
        providers,
        Router(providers.config),
        ledger=Ledger(sessions, prices),
        count_tokens=token_counter(settings).count,
        metrics=metrics,
    )


def build_triage(
    settings: Settings,
    database: Database,
    providers: ProviderSet | None = None,
    pseudonymiser: Pseudonymiser | None = None,
    metrics: Metrics | None = None,
) -> TriageSetup:
    """Everything triage needs; ``pseudonymiser`` is the app's when it has one loaded, else one is
    built (spaCy, seconds) only when a model is configured."""
    library = load_library()
    caller = build_chain_caller(settings, providers, database.sessions, metrics)
    if not caller.uses_models():
        pseudonymiser = None  # the local responder never leaves the process
    elif pseudonymiser is None:
        from app.runtime import product_names
        from guardrails import Pseudonymiser, build_analyzer

        pseudonymiser = Pseudonymiser(
            build_analyzer(settings.spacy_model), allow_list=product_names(database.sessions)
        )
    service = TriageService(
        database.sessions,
        caller,
        library,
        company=settings.company_name,
        pseudonymiser=pseudonymiser,
    )
    return TriageSetup(service, caller, library)
