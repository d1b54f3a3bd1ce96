"""Scale mode end to end: two app processes on one PostgreSQL, one Redis and one Chroma server.

What a user behind a load balancer must not notice is which process serves them: a conversation
started on one process resumes on the other (in the real browser UI), and the exact cache, the
circuit breaker and the per-user rate limit are shared through Redis. The model is the fake
OpenAI server; everything else is real (see ``tests/scale_stack.py``). Needs PostgreSQL and Redis
on this machine: skipped without them on a laptop, failed in CI (``CI=true``).
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page, expect
from sqlmodel import col, select

from app.bench.fake_openai_server import Fail, Reply
from app.storage.chainlit_tables import ChatThread
from app.storage.tables import CallRecord, ChatMessage, Conversation, User
from tests.browser_app import LiveApp
from tests.scale_stack import (
    FAKE_ANSWER,
    OPENAI_ENTRY,
    RATE_LIMIT_PER_MINUTE,
    ScaleStack,
    run_scale_stack,
)
from tests.socket_chat import agent_chat, sign_in_cookie
from tests.test_browser import (
    ASSISTANT_MESSAGE,
    COMPOSER,
    SEND,
    STOP,
    TURN_TIMEOUT_MS,
    UI_TIMEOUT_MS,
    launch_chromium,
    pick_customer,
    report_failure,
    send_message,
)
from tests.test_browser import chromium as chromium
from tests.test_browser_views import sign_in_as

CUSTOMER = "CUS-10001"
OFFLINE_NOTICE = "The language model is unavailable right now"
CACHE_NOTICE = "Answered from earlier answers; no model was asked."
REFUSAL = re.compile(r"Please wait (\d+) seconds? and try again")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScaleStack]:
    """The two-process stack, shared by this module's tests (each uses its own user)."""
    with run_scale_stack(tmp_path_factory.mktemp("scale")) as running:
        yield running


# -- reading what the processes stored and received ---------------------------------------------


def requests_asking(stack: ScaleStack, question: str) -> list[dict[str, Any]]:
    """Requests the fake model server received whose last user message holds ``question``."""
    found = []
    for request in list(stack.fake.requests):
        users = [m for m in request.get("messages", []) if m.get("role") == "user"]
        if users and question in str(users[-1].get("content", "")):
            found.append(request)
    return found


def conversations_of(stack: ScaleStack, username: str) -> list[int]:
    """Ids of the user's conversations, oldest first."""
    with stack.sessions() as session:
        rows = session.exec(
            select(Conversation.id)
            .join(User, col(User.id) == col(Conversation.user_id))
            .where(User.username == username)
            .order_by(col(Conversation.id))
        ).all()
    return [int(r) for r in rows if r is not None]


def messages_of(stack: ScaleStack, conversation_id: int) -> list[ChatMessage]:
    """The stored messages of a conversation, in order."""
    with stack.sessions() as session:
        return list(
            session.exec(
                select(ChatMessage)
                .where(ChatMessage.conversation_id == conversation_id)
                .order_by(col(ChatMessage.id))
            ).all()
        )


def ledger_of(stack: ScaleStack, conversation_id: int) -> list[CallRecord]:
    """The call ledger rows of a conversation, in order."""
    with stack.sessions() as session:
        return list(
            session.exec(
                select(CallRecord)
                .where(CallRecord.conversation_id == conversation_id)
                .order_by(col(CallRecord.id))
            ).all()
        )


def breaker_state(stack: ScaleStack) -> str | None:
    """The shared breaker state of the fake model's entry, as stored in Redis."""
    client = stack.redis()
    try:
        raw = client.get(f"deskpilot:breaker:{OPENAI_ENTRY}")
    finally:
        client.close()
    return None if raw is None else str(json.loads(raw)["state"])


async def eventually_value(read: Any, timeout_s: float = UI_TIMEOUT_MS / 1000) -> Any:
    """The first truthy value of ``read()`` (the server writes after the browser shows)."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not (value := read()):
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"still nothing after {timeout_s:.0f} s: {read}")
        await asyncio.sleep(0.25)
    return value


# -- the tests ----------------------------------------------------------------------------------


@pytest.mark.browser
async def test_a_conversation_started_on_one_process_resumes_on_the_other(
    stack: ScaleStack, chromium: Path, tmp_path: Path
) -> None:
    username, first, second = "it-resume", "Does the warranty cover a cracked screen?", "And water?"
    password = stack.add_user(username)
    app_a = LiveApp(stack.a.url, username, password, CUSTOMER, "", stack.a.log_path)
    turns_a, turns_b = stack.a.turns(), stack.b.turns()
    async with launch_chromium(chromium) as browser:
        page = await browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            await sign_in_as(page, stack.a.url, username, password)
            await pick_customer(page, app_a)
            await ask(page, first)
            await expect_answers(page, 1)

            thread_id = await eventually_value(lambda: thread_of(stack, username))
            # Cookies belong to the host, not the port: the sign-in on A holds on B.
            await page.goto(f"{stack.b.url}/thread/{thread_id}")
            await expect(page.get_by_text(first)).to_be_visible(timeout=UI_TIMEOUT_MS)
            await ask(page, second)
            await expect_answers(page, 2)
            await expect(page.get_by_text(second)).to_be_visible()
        except BaseException:
            await report_failure(page, app_a, tmp_path)
            print(f"--- app B log ---\n{stack.b.log_tail()}")
            raise
        finally:
            await page.close()

    # One conversation holds both turns, and the model saw the first question when answering
    # the second one, on the other process.
    [conversation_id] = conversations_of(stack, username)
    stored = await eventually_value(lambda: _complete(messages_of(stack, conversation_id), 4))
    assert [m.author for m in stored] == ["user", "assistant", "user", "assistant"]
    assert [stored[0].text_pseudonymised, stored[2].text_pseudonymised] == [first, second]
    assert {m.provider for m in stored if m.author == "assistant"} == {"openai"}
    [asked_second] = requests_asking(stack, second)
    assert first in json.dumps(asked_second["messages"])
    assert (stack.a.turns() - turns_a, stack.b.turns() - turns_b) == (1, 1)


async def ask(page: Page, text: str) -> None:
    """Type and send; typing again when a re-render (the customer panel opening) ate the text."""
    composer, submit = page.locator(COMPOSER), page.locator(SEND)
    await expect(page.locator(STOP)).to_have_count(0, timeout=TURN_TIMEOUT_MS)
    for _attempt in range(3):
        await expect(composer).to_be_editable(timeout=UI_TIMEOUT_MS)
        await composer.fill(text)
        try:
            await expect(submit).to_be_enabled(timeout=3000)
        except AssertionError:
            continue
        await submit.click()
        return
    await send_message(page, text)  # the helper's own wait, and its failure message


async def expect_answers(page: Page, count: int) -> None:
    """Wait until ``count`` answers of the fake model are shown and the turn has ended."""
    answers = page.locator(ASSISTANT_MESSAGE).filter(has_text=FAKE_ANSWER)
    await expect(answers).to_have_count(count, timeout=TURN_TIMEOUT_MS)
    await expect(page.locator(STOP)).to_have_count(0, timeout=TURN_TIMEOUT_MS)


def thread_of(stack: ScaleStack, username: str) -> str | None:
    """The id of the user's only chat thread, once it is linked to a conversation."""
    with stack.sessions() as session:
        threads = session.exec(
            select(ChatThread).where(ChatThread.user_identifier == username)
        ).all()
    linked = [t.id for t in threads if t.conversation_id is not None]
    return linked[0] if len(linked) == 1 else None


def _complete(messages: list[ChatMessage], count: int) -> list[ChatMessage] | None:
    return messages if len(messages) >= count else None


async def test_an_answer_cached_by_one_process_is_served_by_the_other(stack: ScaleStack) -> None:
    username, question = "it-cache", "How do I return an unopened blender?"
    cookie = sign_in_cookie(stack.a.url, username, stack.add_user(username))
    hits_b = stack.b.metric("deskpilot_cache_hits_total", 'kind="exact"')
    async with agent_chat(stack.a.url, cookie, CUSTOMER) as chat:
        assert FAKE_ANSWER in await chat.send(question)
    assert len(requests_asking(stack, question)) == 1

    async with agent_chat(
        stack.b.url, cookie, CUSTOMER
    ) as chat:  # a new conversation, on the other process
        shown = await chat.send(question)
    assert FAKE_ANSWER in shown and CACHE_NOTICE in shown, shown
    assert len(requests_asking(stack, question)) == 1  # no second call to the model
    first, second = conversations_of(stack, username)
    assert [r.cache_hit for r in ledger_of(stack, first)] == [None]
    assert [r.cache_hit for r in ledger_of(stack, second)] == ["exact"]
    assert stack.b.metric("deskpilot_cache_hits_total", 'kind="exact"') == hits_b + 1


async def test_a_breaker_opened_by_one_process_keeps_the_other_off_the_model(
    stack: ScaleStack,
) -> None:
    username = "it-breaker"
    failing, skipped = "Why was my card declined twice?", "Can I pay by bank transfer?"
    cookie = sign_in_cookie(stack.a.url, username, stack.add_user(username))
    stack.fake.default = Fail(503)
    try:
        async with agent_chat(stack.a.url, cookie, CUSTOMER) as chat:
            assert OFFLINE_NOTICE in await chat.send(failing)
        assert len(requests_asking(stack, failing)) == 1
        assert breaker_state(stack) == "open"

        received = len(stack.fake.requests)
        async with agent_chat(stack.b.url, cookie, CUSTOMER) as chat:
            shown = await chat.send(skipped)
        assert OFFLINE_NOTICE in shown, shown
        assert len(stack.fake.requests) == received  # B never called the failing model
        [conversation_b] = conversations_of(stack, username)[1:]
        assert all(m.degraded for m in messages_of(stack, conversation_b) if m.author != "user")
    finally:
        stack.fake.default = Reply(FAKE_ANSWER)
        client = stack.redis()
        try:  # the other tests need the model back
            client.delete(f"deskpilot:breaker:{OPENAI_ENTRY}")
        finally:
            client.close()


async def test_the_rate_limit_counts_a_users_turns_on_every_process(stack: ScaleStack) -> None:
    username = "it-limits"
    cookie = sign_in_cookie(stack.a.url, username, stack.add_user(username))
    async with (
        agent_chat(stack.a.url, cookie, CUSTOMER) as on_a,
        agent_chat(stack.b.url, cookie, CUSTOMER) as on_b,
    ):
        chats = [on_a, on_b]
        for n in range(RATE_LIMIT_PER_MINUTE):  # alternately: each process alone sees half
            shown = await chats[n % 2].send(f"Quick question number {n} about shipping times?")
            assert FAKE_ANSWER in shown, (n, shown)
        received = len(stack.fake.requests)
        for chat in chats:
            refused = await chat.send("One more question about shipping times?")
            wait = REFUSAL.search(refused)
            assert wait is not None, refused
            assert 1 <= int(wait.group(1)) <= 60
    assert len(stack.fake.requests) == received
