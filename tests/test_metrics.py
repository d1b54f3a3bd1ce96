"""Metrics: the series a scrape of /metrics shows after a few calls, with bounded labels."""

from __future__ import annotations

from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families
from starlette.testclient import TestClient

from app.http_routes import mount_metrics, render_metrics
from app.metrics import LabelBounds, Metrics, build_metrics, error_classes
from providers import LocalResponder
from providers.base import Message, Usage
from providers.config import load_config
from providers.instrumented import Instrumented
from providers.pricing import PriceTable
from providers.trace import Attempt, tracing

PRICES = PriceTable.load()


def attempt(**fields: object) -> Attempt:
    base: dict[str, object] = {
        "provider": "openai",
        "model": "gpt-4o-mini",
        "ok": True,
        "error": None,
        "usage": Usage(1000, 200),
        "latency_ms": 120.0,
        "fallback_depth": 0,
        "first_token_ms": 40.0,
        "entry": "openai-standard",
    }
    base.update(fields)
    return Attempt(**base)  # type: ignore[arg-type]


def samples(body: bytes) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(body.decode()):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def a_few_calls(metrics: Metrics) -> None:
    price = lambda a: PRICES.cost(a.model, a.usage) if a.usage else None  # noqa: E731
    # A retried call that then succeeds, a fallback after an open breaker, a cache hit.
    metrics.observe_attempts(
        [
            attempt(ok=False, error="ProviderTimeout", usage=None, first_token_ms=None),
            attempt(retry=1),
        ],
        "agent_reply",
        price=price,
    )
    metrics.observe_attempts(
        [
            attempt(ok=False, error="CircuitOpen", usage=None, breaker_state="open"),
            attempt(model="gpt-4.1-mini", entry="openai-economy", fallback_depth=1),
        ],
        "customer_reply",
        price=price,
    )
    metrics.observe_attempts([attempt(cache_hit="exact")], "agent_reply", price=price)
    metrics.observe_turn(total_s=1.5, first_token_s=0.3, provider_s=1.2)
    metrics.budget_refused("user")
    metrics.session_started()
    metrics.session_started()
    metrics.session_ended()


def test_a_scrape_after_a_few_calls_shows_every_series() -> None:
    metrics = build_metrics(load_config())
    a_few_calls(metrics)
    app = FastAPI()
    mount_metrics(app, metrics.registry)
    response = TestClient(app).get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    found = samples(response.content)
    mini = (("direction", "input"), ("model", "gpt-4o-mini"), ("task", "agent_reply"))
    assert found[("deskpilot_tokens_total", mini)] == 1000  # the cache hit is not counted again
    cost = found[("deskpilot_cost_usd_total", (("model", "gpt-4o-mini"), ("task", "agent_reply")))]
    expected = PRICES.cost("gpt-4o-mini", Usage(1000, 200))
    assert expected is not None and abs(cost - float(expected)) < 1e-12
    assert found[("deskpilot_provider_errors_total", (("error_class", "ProviderTimeout"),))] == 1
    assert found[("deskpilot_provider_errors_total", (("error_class", "CircuitOpen"),))] == 1
    assert found[("deskpilot_cache_hits_total", (("kind", "exact"),))] == 1
    assert found[("deskpilot_breaker_state", (("entry", "openai-standard"),))] == 2
    assert found[("deskpilot_budget_refusals_total", (("scope", "user"),))] == 1
    assert found[("deskpilot_active_sessions", ())] == 1
    assert found[("deskpilot_turn_seconds_count", ())] == 1
    assert found[("deskpilot_time_to_first_token_seconds_sum", ())] == 0.3
    assert abs(found[("deskpilot_pipeline_overhead_seconds_sum", ())] - 0.3) < 1e-9


def test_unknown_label_values_become_other() -> None:
    metrics = Metrics(LabelBounds.from_config(["gpt-4o-mini"], ["openai-standard"], ["triage"]))
    metrics.observe_attempts(
        [attempt(model="customer-42@example.com", error="Boom: order 123", entry="x")],
        "Where is my parcel?",
    )
    metrics.set_breaker("not-configured", "half_open")
    metrics.budget_refused("customer:42")
    found = samples(render_metrics(metrics.registry))
    labels = {value for (_name, pairs) in found for (key, value) in pairs if key != "le"}
    assert labels <= {"other", "input", "output"}
    other = (("direction", "output"), ("model", "other"), ("task", "other"))
    assert found[("deskpilot_tokens_total", other)] == 200
    assert found[("deskpilot_breaker_state", (("entry", "other"),))] == 1


def test_error_classes_are_our_hierarchy() -> None:
    assert {"ProviderTimeout", "CircuitOpen", "RateLimited", "CancelledError"} <= error_classes()


async def test_real_traced_stream_is_observed() -> None:
    provider = Instrumented(LocalResponder(), entry="local")
    metrics = build_metrics(load_config())
    with tracing() as trace:
        chunks = provider.stream(
            [Message("user", "Where is my parcel?")],
            model="local-responder",
            max_tokens=200,
            temperature=0.0,
        )
        async for _ in chunks:
            pass
    metrics.observe_attempts(trace.attempts, "agent_reply")
    usage = trace.attempts[0].usage
    assert usage is not None and usage.output_tokens > 0
    key = (
        "deskpilot_tokens_total",
        (("direction", "output"), ("model", "local-responder"), ("task", "agent_reply")),
    )
    assert samples(render_metrics(metrics.registry))[key] == usage.output_tokens


def test_metrics_route_comes_before_chainlits_catch_all() -> None:
    from chainlit.server import app

    metrics = Metrics(LabelBounds.from_config([], [], []))
    metrics.budget_refused("team")
    mount_metrics(app, metrics.registry)
    mount_metrics(app, metrics.registry)  # a hot reload mounts again: still one route
    assert sum(getattr(r, "path", "") == "/metrics" for r in app.router.routes) == 1
    body = TestClient(app).get("/metrics").content
    assert b'deskpilot_budget_refusals_total{scope="team"} 1.0' in body
