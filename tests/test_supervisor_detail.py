"""One conversation's review, and the alerts page: transcript, per-turn figures, audit events."""

from __future__ import annotations

import html as html_lib
import json
import re
from datetime import datetime, timedelta
from typing import Any

import pytest

from app.audit import ALERT, READ_CONVERSATION
from app.cost_controls import BUDGET_ACTOR, BUDGET_REFUSED
from app.storage.tables import AuditEvent
from tests.supervisor_seed import (
    ANSWER_1,
    DAY1,
    QUESTION_1,
    SECRET,
    Seeded,
    audit_actions,
    client,
    seed,
)

pytestmark = pytest.mark.slow


def event(action: str, at: datetime, **detail: Any) -> AuditEvent:
    """An audit row dated ``at`` (the table takes inserts only, so dates are set on insert)."""
    actor = "deskpilot.alerts" if action == ALERT else BUDGET_ACTOR
    return AuditEvent(actor=actor, action=action, detail=json.dumps(detail), created_at=at)


@pytest.fixture(scope="module")
def seeded(runtime: Any, tmp_path_factory: pytest.TempPathFactory) -> Seeded:
    found = seed(runtime, tmp_path_factory.mktemp("supervisor-detail"))
    during, later = DAY1 + timedelta(minutes=30), DAY1 + timedelta(days=5)
    alert = {"threshold": 0.2, "window_minutes": 60}
    refusal = {"scope": "conversation", "limit_usd": "0.5", "estimate_usd": "0.02"}
    with found.sessions() as session:
        session.add_all(
            [
                # An alert during conversation 1, one long after it, and two budget refusals.
                event(ALERT, during, kind="error_rate", value=0.5, calls=25, **alert),
                event(ALERT, later, kind="p95_latency", value=9100.0, calls=30, **alert),
                event(
                    BUDGET_REFUSED,
                    during,
                    key=f"budget:conversation:{found.c1}",
                    spent_usd="0.49",
                    **refusal,
                ),
                event(
                    BUDGET_REFUSED,
                    later,
                    key=f"budget:conversation:{found.c2}",
                    spent_usd="0.5",
                    **refusal,
                ),
            ]
        )
        session.commit()
    return found


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHAINLIT_AUTH_SECRET", SECRET)


def page(seeded: Seeded, path: str, username: str = "sup") -> str:
    response = client(seeded, username).get(path)
    assert response.status_code == 200, response.text
    return html_lib.unescape(response.text)


def turns(html: str) -> list[str]:
    return re.findall(r'<section class="turn".*?</section>', html, re.S)


def text(html: str) -> str:
    """What a reader sees: tags dropped, whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_detail_shows_the_decrypted_transcript_and_each_turns_figures(seeded: Seeded) -> None:
    html = page(seeded, f"/supervisor/conversations/{seeded.c1}")
    first, second = turns(html)
    assert QUESTION_1 in first and ANSWER_1 in first  # raw text, decrypted
    shown = text(first)
    assert "model gpt-4o-mini via openai" in shown
    assert "prompt support_reply@1" in shown
    assert "tokens 1000 in / 200 out" in shown
    assert 'data-value="0.00012345"' in first and "cost $0.00012345" in shown
    assert "latency 800 ms" in shown and "first token 150 ms" in shown
    assert "helpful “spot on”" in shown
    # The degraded turn: a failed attempt then the local fallback.
    shown = text(second)
    assert "model local via local" in shown and "degraded (fallback depth 1)" in shown
    assert "tokens 1980 in / 120 out" in shown and "latency 5,300 ms" in shown
    assert "timeout" in second and second.count('class="call"') == 2
    # Provenance: sources used and dropped for budget.
    assert "refunds.md#timing" in first and "shipping.md#zones" in first
    assert re.search(r'class="dropped">shipping.md#zones', first)
    assert "Ada Example" in html and "agent1" in html


def test_detail_shows_rule_flags_and_cache_hits(seeded: Seeded) -> None:
    html = page(seeded, f"/supervisor/conversations/{seeded.c2}")
    (turn,) = turns(html)
    assert "refund_ineligible" in turn and "order older than 30 days" in turn
    assert "cache: exact" in turn and "not helpful" in turn
    assert 'id="conversation-cost" data-value="0.50000001"' in html


def test_detail_lists_alerts_of_its_time_window_and_its_own_refusals(seeded: Seeded) -> None:
    html = page(seeded, f"/supervisor/conversations/{seeded.c1}")
    section = re.search(r'<ul id="conversation-alerts">(.*?)</ul>', html, re.S)
    assert section is not None
    assert "error_rate" in section.group(1) and "p95_latency" not in section.group(1)
    assert section.group(1).count('class="refusal"') == 1
    assert "limit $0.5, spent $0.49" in text(section.group(1))
    other = page(seeded, f"/supervisor/conversations/{seeded.c3}")
    assert 'id="conversation-alerts"' not in other


def test_each_detail_view_is_audited_as_a_conversation_read(seeded: Seeded) -> None:
    before = len(audit_actions(seeded, "adm"))
    page(seeded, f"/supervisor/conversations/{seeded.c2}", "adm")
    (entry,) = audit_actions(seeded, "adm")[before:]
    assert entry.action == READ_CONVERSATION
    assert entry.conversation_id == seeded.c2 and entry.customer_id == "CUS-2"
    assert "Refund" not in str(entry.detail)


def test_an_unknown_conversation_is_404(seeded: Seeded) -> None:
    response = client(seeded, "sup").get("/supervisor/conversations/999999")
    assert response.status_code == 404 and "no conversation 999999" in response.text


def test_alerts_page_lists_alerts_and_refusals_newest_first(seeded: Seeded) -> None:
    # The seeded events are dated March 2026; look back far enough to include them.
    response = client(seeded, "sup").get("/supervisor/alerts?days=366")
    assert response.status_code == 200
    html = html_lib.unescape(response.text)
    actions = re.findall(r'data-action="([a-z._]+)" data-event-id="(\d+)"', html)
    assert {a for a, _ in actions} == {ALERT, BUDGET_REFUSED} and len(actions) == 4
    ids = [int(i) for _, i in actions]
    assert ids == sorted(ids, reverse=True)
    shown = text(html)
    assert "error_rate value 0.5 above 0.2 over 60 min (25 calls)" in shown
    assert "limit $0.5, spent $0.49, this call $0.02" in shown
    viewed = [e for e in audit_actions(seeded, "sup") if e.action == "supervisor.alerts"]
    assert viewed and viewed[-1].detail == {"days": 366}


def test_alerts_page_rejects_a_bad_period(seeded: Seeded) -> None:
    assert client(seeded, "sup").get("/supervisor/alerts?days=soon").status_code == 400
