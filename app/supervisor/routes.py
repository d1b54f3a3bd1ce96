"""The supervisor pages on Chainlit's FastAPI app: list, detail, CSV export and alerts.

Every handler is a plain function: Starlette runs it in its thread pool, so the database work
never blocks the event loop. Every view is written to the audit log (ids and filters only).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from app.audit import READ_CONVERSATION, AuditLog
from app.errors import ConversationNotFound
from app.supervisor.access import Reviewer, decide
from app.supervisor.alert_events import DEFAULT_DAYS, recent_events
from app.supervisor.csv_export import conversations_csv
from app.supervisor.daily import daily_series
from app.supervisor.detail import conversation_detail
from app.supervisor.filters import FilterError, parse_filters
from app.supervisor.pages import Pages, build_pages
from app.supervisor.queries import all_conversations, list_conversations

if TYPE_CHECKING:
    from fastapi import FastAPI
    from starlette.requests import Request
    from starlette.responses import Response

    from app.runtime import Runtime

SUPERVISOR_PATH = "/supervisor"
LOGIN_PATH = "/login"
LIST_VIEWED = "supervisor.list"
EXPORTED = "supervisor.export"
ALERTS_VIEWED = "supervisor.alerts"
_ROUTE_PREFIX = "deskpilot_supervisor"
_MAX_ALERT_DAYS = 366
# Review pages hold customer data: never cached, never framed, no scripts, no referrer leaks.
_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


class _Handlers:
    """The four views over one runtime getter and one template environment."""

    def __init__(self, get_runtime: Callable[[], Runtime], pages: Pages) -> None:
        self._get_runtime = get_runtime
        self._pages = pages

    def _html(self, body: str, status: int = 200) -> Response:
        from starlette.responses import HTMLResponse

        return HTMLResponse(body, status_code=status, headers=_HEADERS)

    def _text(self, body: str, status: int) -> Response:
        from starlette.responses import PlainTextResponse

        return PlainTextResponse(body, status_code=status, headers=_HEADERS)

    def _guard(self, request: Request, *, html: bool) -> Reviewer | Response:
        from starlette.responses import RedirectResponse

        sessions = self._get_runtime().database.sessions
        decision = decide(sessions, request.cookies, request.headers.get("authorization"))
        if decision.outcome == "allowed" and decision.reviewer is not None:
            return decision.reviewer
        if decision.outcome == "anonymous":
            if html:
                return RedirectResponse(LOGIN_PATH, status_code=302, headers=_HEADERS)
            return self._text("Sign in first.", 401)
        text = "Supervisors only: this review is open to supervisors and admins."
        if html:
            return self._html(self._pages.message("Supervisors only", text), 403)
        return self._text(text, 403)

    def _audit(self) -> AuditLog:
        return AuditLog(self._get_runtime().database.sessions)

    def conversations(self, request: Request) -> Response:
        """GET /supervisor: the filtered list with totals and charts."""
        reviewer = self._guard(request, html=True)
        if not isinstance(reviewer, Reviewer):
            return reviewer
        try:
            filters = parse_filters(request.query_params)
        except FilterError as exc:
            return self._html(self._pages.message("Bad filter", str(exc)), 400)
        sessions = self._get_runtime().database.sessions
        page = list_conversations(sessions, filters)
        series = daily_series(sessions, filters)
        detail = {**filters.audit_detail(), "page": page.page, "shown": len(page.rows)}
        self._audit().record(reviewer.username, LIST_VIEWED, detail=detail)
        return self._html(self._pages.conversations(page, filters, series, reviewer.username))

    def conversation(self, request: Request) -> Response:
        """GET /supervisor/conversations/{id}: one conversation's review."""
        reviewer = self._guard(request, html=True)
        if not isinstance(reviewer, Reviewer):
            return reviewer
        conversation_id: int = request.path_params["conversation_id"]
        runtime = self._get_runtime()
        audit = self._audit()
        try:
            detail = conversation_detail(
                runtime.database.sessions, runtime.conversations, audit, conversation_id
            )
        except ConversationNotFound:
            text = f"There is no conversation {conversation_id}."
            return self._html(self._pages.message("Not found", text), 404)
        audit.record(
            reviewer.username,
            READ_CONVERSATION,
            customer_id=detail.customer_id,
            conversation_id=detail.id,
            detail={"view": "supervisor"},
        )
        return self._html(self._pages.detail(detail, reviewer.username))

    def export(self, request: Request) -> Response:
        """GET /supervisor/export.csv: the filtered list (every page) as CSV."""
        from starlette.responses import Response as PlainResponse

        reviewer = self._guard(request, html=False)
        if not isinstance(reviewer, Reviewer):
            return reviewer
        try:
            filters = parse_filters(request.query_params)
        except FilterError as exc:
            return self._text(str(exc), 400)
        rows = all_conversations(self._get_runtime().database.sessions, filters)
        detail = {**filters.audit_detail(), "rows": len(rows)}
        self._audit().record(reviewer.username, EXPORTED, detail=detail)
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        headers = {
            **_HEADERS,
            "Content-Disposition": f'attachment; filename="conversations-{stamp}.csv"',
        }
        return PlainResponse(
            conversations_csv(rows), media_type="text/csv; charset=utf-8", headers=headers
        )

    def alerts(self, request: Request) -> Response:
        """GET /supervisor/alerts: alerts and budget refusals, newest first."""
        reviewer = self._guard(request, html=True)
        if not isinstance(reviewer, Reviewer):
            return reviewer
        raw = request.query_params.get("days", "").strip() or str(DEFAULT_DAYS)
        if not raw.isdigit() or not 1 <= int(raw) <= _MAX_ALERT_DAYS:
            text = f"'days' must be a whole number from 1 to {_MAX_ALERT_DAYS}."
            return self._html(self._pages.message("Bad filter", text), 400)
        audit = self._audit()
        events = recent_events(audit, int(raw))
        audit.record(reviewer.username, ALERTS_VIEWED, detail={"days": int(raw)})
        return self._html(self._pages.alerts(events, int(raw), reviewer.username))


def mount_supervisor(app: FastAPI, get_runtime: Callable[[], Runtime]) -> None:
    """Serve the supervisor pages on ``app`` (idempotent), ahead of Chainlit's catch-all route."""
    from starlette.routing import Route

    handlers = _Handlers(get_runtime, build_pages())
    new = [
        Route(SUPERVISOR_PATH, handlers.conversations, methods=["GET"]),
        Route(f"{SUPERVISOR_PATH}/conversations/{{conversation_id:int}}", handlers.conversation),
        Route(f"{SUPERVISOR_PATH}/export.csv", handlers.export, methods=["GET"]),
        Route(f"{SUPERVISOR_PATH}/alerts", handlers.alerts, methods=["GET"]),
    ]
    for route, name in zip(new, ("list", "conversation", "export", "alerts"), strict=True):
        route.name = f"{_ROUTE_PREFIX}_{name}"
    routes = app.router.routes
    routes[:] = [
        r for r in routes if not (getattr(r, "name", None) or "").startswith(_ROUTE_PREFIX)
    ]
    # Chainlit serves its UI from a catch-all GET route; ours must come before it to be reached.
    routes[:0] = new
