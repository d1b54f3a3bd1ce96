"""HTTP routes Deskpilot adds to Chainlit's FastAPI app: ``GET /metrics`` for Prometheus."""

from __future__ import annotations

from typing import TYPE_CHECKING

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

if TYPE_CHECKING:
    from fastapi import FastAPI

METRICS_PATH = "/metrics"


def render_metrics(registry: CollectorRegistry) -> bytes:
    """The registry in Prometheus' text exposition format."""
    return generate_latest(registry)


def mount_metrics(app: FastAPI, registry: CollectorRegistry) -> None:
    """Serve ``registry`` at ``GET /metrics`` on ``app`` (idempotent, e.g. across hot reloads)."""
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    async def metrics(_request: Request) -> Response:
        return Response(render_metrics(registry), media_type=CONTENT_TYPE_LATEST)

    routes = app.router.routes
    routes[:] = [r for r in routes if getattr(r, "path", None) != METRICS_PATH]
    # Chainlit serves its UI from a catch-all GET route; ours must come before it to be reached.
    routes.insert(0, Route(METRICS_PATH, metrics, methods=["GET"], name="deskpilot_metrics"))
