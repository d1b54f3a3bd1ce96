"""The supervisor pages over real turns: the runtime's assistant writes, the review reads back."""

from __future__ import annotations

import html as html_lib
import re
import uuid
from decimal import Decimal
from typing import Any

import chainlit as cl
import pytest
from chainlit.auth.jwt import create_jwt
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.supervisor.routes import mount_supervisor
from app.ui.session import user_metadata
from app.users import add_user
from tests.provider_setup import ledger_rows
from tests.supervisor_seed import PASSWORD, SECRET

pytestmark = pytest.mark.slow
CUSTOMER = "CUS-10001"
QUESTIONS = ["How long does a refund take?", "Can I change my delivery address?"]


async def test_real_turns_show_up_with_ledger_totals(
    runtime: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHAINLIT_AUTH_SECRET", SECRET)
    suffix = uuid.uuid4().hex[:8]
    agent = add_user(
        runtime.session_factory, username=f"rev-agent-{suffix}", password=PASSWORD, role="agent"
    )
    boss = add_user(
        runtime.session_factory, username=f"rev-sup-{suffix}", password=PASSWORD, role="supervisor"
    )
    assistant = runtime.assistant
    conversation = await assistant.start_conversation(
        user_id=agent.id, customer_id=CUSTOMER, role="agent"
    )
    for question in QUESTIONS:
        _ = [event async for event in assistant.respond(conversation, question)]
    rows = ledger_rows(runtime, conversation)
    assert rows, "the turns wrote ledger rows"

    app = FastAPI()
    mount_supervisor(app, lambda: runtime)
    client = TestClient(app, follow_redirects=False)
    client.cookies.set(
        "access_token",
        create_jwt(
            cl.User(identifier=boss.username, metadata=user_metadata("supervisor", boss.id, None))
        ),
    )
    listing = client.get(f"/supervisor?agent={agent.username}")
    assert listing.status_code == 200
    assert re.findall(r'<tr data-conversation-id="(\d+)"', listing.text) == [str(conversation)]
    cost = sum((r.cost_usd or Decimal(0) for r in rows), Decimal(0))
    assert f'data-total="cost_usd" data-value="{cost:.8f}"' in listing.text
    tokens_in = sum(
        r.input_tokens if r.input_tokens is not None else r.input_tokens_estimate for r in rows
    )
    assert f'data-total="tokens_in">{tokens_in}<' in listing.text
    assert 'data-total="turns">2<' in listing.text

    detail = client.get(f"/supervisor/conversations/{conversation}")
    assert detail.status_code == 200
    page = html_lib.unescape(detail.text)
    assert page.count('<section class="turn"') == 2
    for question in QUESTIONS:
        assert question in page
    assert "support_reply@1" in page and rows[0].model in page
