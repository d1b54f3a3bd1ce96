"""The three views end to end in Debian Chromium: customer widget, agents' queue, supervisor review,
and who may not open what.

With ``DESKPILOT_SCREENSHOTS=docs/screenshots`` the tests also save the README's screenshots.
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
import re
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.async_api import Locator, Page, ViewportSize, expect

from tests.test_browser import (
    ASSISTANT_MESSAGE,
    COMPOSER,
    LOGIN_PASSWORD,
    LOGIN_USER,
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

if TYPE_CHECKING:
    from app.settings import Settings
    from tests.browser_app import LiveApp

pytestmark = pytest.mark.browser

WIDGET = "#chainlit-copilot"  # the Copilot widget's host element (open shadow root)
VIEWPORT: ViewportSize = {"width": 1400, "height": 1000}


async def shoot(page: Page, name: str) -> None:
    """Save a README screenshot when DESKPILOT_SCREENSHOTS names a directory."""
    target = os.environ.get("DESKPILOT_SCREENSHOTS")
    if target:  # Playwright creates the directory
        await page.screenshot(path=str(Path(target) / f"{name}.png"))


async def sign_in_as(page: Page, url: str, username: str, password: str) -> None:
    """Chainlit's login form, as any user."""
    await page.goto(url)
    await page.locator(LOGIN_USER).fill(username)
    await page.locator(LOGIN_PASSWORD).fill(password)
    await page.locator("form button[type=submit]").click()
    await expect(page.locator(COMPOSER)).to_be_visible(timeout=UI_TIMEOUT_MS)


def ledger_totals(settings: Settings, conversation_id: int) -> tuple[int, Decimal]:
    """(tokens, cost) of a conversation in the call ledger (reported, else estimated tokens)."""
    from sqlmodel import select

    from app.runtime import open_database
    from app.storage.tables import CallRecord

    with open_database(settings).sessions() as session:
        rows = session.exec(
            select(CallRecord).where(CallRecord.conversation_id == conversation_id)
        ).all()
    tokens = sum(
        (r.input_tokens if r.input_tokens is not None else r.input_tokens_estimate)
        + (r.output_tokens if r.output_tokens is not None else r.output_tokens_estimate)
        for r in rows
    )
    return tokens, sum((r.cost_usd or Decimal(0) for r in rows), Decimal(0))


def latest_conversation(settings: Settings, username: str) -> int:
    """The newest conversation held by a user."""
    from sqlmodel import col, select

    from app.runtime import open_database
    from app.storage.tables import Conversation, User

    with open_database(settings).sessions() as session:
        user = session.exec(select(User).where(User.username == username)).one()
        found = session.exec(
            select(Conversation.id)
            .where(Conversation.user_id == user.id)
            .order_by(col(Conversation.id).desc())
        ).first()
    assert found is not None, f"{username} holds no conversation"
    return found


def threads_of(settings: Settings, username: str) -> list[str]:
    """Ids of a user's Chainlit threads."""
    from sqlmodel import select

    from app.runtime import open_database
    from app.storage.chainlit_tables import ChatThread

    with open_database(settings).sessions() as session:
        return list(
            session.exec(select(ChatThread.id).where(ChatThread.user_identifier == username)).all()
        )


async def send_in_widget(widget: Locator, text: str) -> None:
    """Type into the widget's composer and send once the widget takes messages again."""
    composer = widget.locator(COMPOSER)
    await expect(composer).to_be_editable(timeout=UI_TIMEOUT_MS)
    await composer.fill(text)
    send = widget.locator(SEND)  # disabled while the previous task (or chat start) still runs
    await expect(send).to_be_enabled(timeout=UI_TIMEOUT_MS)
    await send.click()


async def ask_as_agent(page: Page, app: LiveApp, question: str) -> None:
    """Sign in as the agent, pick the demo customer, ask, wait for the whole answer."""
    await sign_in_as(page, app.url, app.agent_username, app.agent_password)
    await pick_customer(page, app)
    await send_message(page, question)
    answer = page.locator(ASSISTANT_MESSAGE).filter(has=page.locator("a.element-link")).last
    await expect(answer).to_be_visible(timeout=TURN_TIMEOUT_MS)
    await expect(page.locator(STOP)).to_have_count(0, timeout=TURN_TIMEOUT_MS)


async def test_customer_widget_answers_and_a_hand_off_reaches_the_agents_queue(
    live_app: LiveApp, chromium: Path, tmp_path: Path
) -> None:
    async with launch_chromium(chromium) as browser:
        shop = await browser.new_page(viewport=VIEWPORT)
        try:
            await shop.goto(f"{live_app.url}/widget-demo")
            await shop.locator("input[name=username]").fill(live_app.customer_username)
            await shop.locator("input[name=password]").fill(live_app.customer_password)
            await shop.locator("form button[type=submit]").click()
            await expect(shop.locator("#widget-status")).to_contain_text(
                "is open", timeout=UI_TIMEOUT_MS
            )
            widget = shop.locator(WIDGET)
            await send_in_widget(widget, "How long do refunds take?")
            # The answer streams into the widget, with the public help-centre passages it used.
            answer = widget.locator(ASSISTANT_MESSAGE).filter(has_text="business days").last
            await expect(answer).to_be_visible(timeout=TURN_TIMEOUT_MS)
            await expect(widget.locator(STOP)).to_have_count(0, timeout=TURN_TIMEOUT_MS)
            text = await answer.text_content() or ""
            assert len(text) > 40 and "Used Context" not in await widget.inner_text(), text
            await shoot(shop, "widget")

            await send_in_widget(widget, "Can I talk to a human please?")
            confirmation = widget.get_by_text(re.compile(r"reference (H-\d+)"))
            await expect(confirmation).to_be_visible(timeout=UI_TIMEOUT_MS)
            found = re.search(r"H-\d+", await confirmation.text_content() or "")
            assert found is not None
            reference = found.group(0)
        except BaseException:
            await report_failure(shop, live_app, tmp_path)
            raise
        finally:
            await shop.close()

        agent = await browser.new_page(viewport=VIEWPORT)
        try:
            await sign_in_as(agent, live_app.url, live_app.agent_username, live_app.agent_password)
            # The agent's welcome carries the queue button with the number waiting.
            await agent.get_by_role("button", name=re.compile(r"Hand-off queue \(\d+")).click()
            item = agent.locator(ASSISTANT_MESSAGE).filter(has_text=reference)
            await expect(item.first).to_contain_text(live_app.customer_id, timeout=UI_TIMEOUT_MS)
            await item.first.get_by_role("button", name=f"Pick up {reference}").click()
            await expect(agent.locator("#step-Customer\\ conversation")).to_be_visible(
                timeout=UI_TIMEOUT_MS
            )
            await shoot(agent, "agent-queue")
        except BaseException:
            await report_failure(agent, live_app, tmp_path)
            raise
        finally:
            await agent.close()


async def test_supervisor_sees_the_conversation_with_its_totals_and_exports_csv(
    live_app: LiveApp, chromium: Path, tmp_path: Path, seeded_settings: Settings
) -> None:
    async with launch_chromium(chromium) as browser:
        agent = await browser.new_page(viewport=VIEWPORT)
        try:
            await ask_as_agent(agent, live_app, "Where is my latest order?")
            await shoot(agent, "agent")
        except BaseException:
            await report_failure(agent, live_app, tmp_path)
            raise
        finally:
            await agent.close()
        conversation_id = latest_conversation(seeded_settings, live_app.agent_username)
        tokens, cost = ledger_totals(seeded_settings, conversation_id)
        assert tokens > 0

        context = await browser.new_context(viewport=VIEWPORT, accept_downloads=True)
        page = await context.new_page()
        try:
            await sign_in_as(
                page, live_app.url, live_app.supervisor_username, live_app.supervisor_password
            )
            await page.goto(f"{live_app.url}/supervisor")
            row = page.locator(f'#conversations tr[data-conversation-id="{conversation_id}"]')
            await expect(row).to_be_visible(timeout=UI_TIMEOUT_MS)
            assert await row.locator("[data-tokens]").get_attribute("data-tokens") == str(tokens)
            shown_cost = await row.locator("[data-cost]").get_attribute("data-cost")
            assert shown_cost is not None and Decimal(shown_cost) == cost
            await expect(page.locator("#charts svg").first).to_be_visible()
            await shoot(page, "supervisor")

            async with page.expect_download() as download_info:
                await page.locator("#export-csv").click()
            download = await download_info.value
            saved = Path(await download.path())
            exported = await asyncio.to_thread(saved.read_text, encoding="utf-8")
            rows = list(csv.DictReader(io.StringIO(exported)))
            assert rows and any(str(conversation_id) in r.values() for r in rows), exported[:500]

            await row.locator("a").first.click()
            await expect(page.locator(".turn").first).to_be_visible(timeout=UI_TIMEOUT_MS)
            await expect(page.locator("body")).to_contain_text("Where is my latest order?")
            await shoot(page, "supervisor-conversation")
        except BaseException:
            await report_failure(page, live_app, tmp_path)
            raise
        finally:
            await context.close()


async def test_nobody_opens_what_is_not_theirs(
    live_app: LiveApp, chromium: Path, tmp_path: Path, seeded_settings: Settings
) -> None:
    async with launch_chromium(chromium) as browser:
        agent = await browser.new_page(viewport=VIEWPORT)
        try:
            question = "Has my refund for the headphones been issued?"
            await ask_as_agent(agent, live_app, question)
            # An agent cannot open the supervisor review.
            response = await agent.goto(f"{live_app.url}/supervisor")
            assert response is not None and response.status == 403
            await expect(agent.locator("body")).to_contain_text("Supervisors only")
        except BaseException:
            await report_failure(agent, live_app, tmp_path)
            raise
        finally:
            await agent.close()
        foreign = threads_of(seeded_settings, live_app.agent_username)
        assert foreign, "the agent's chat left no thread"

        customer = await browser.new_page(viewport=VIEWPORT)
        try:
            await sign_in_as(
                customer, live_app.url, live_app.customer_username, live_app.customer_password
            )
            for thread_id in foreign:
                # Over HTTP: Chainlit's thread API refuses a thread that is not theirs.
                api = await customer.request.get(f"{live_app.url}/project/thread/{thread_id}")
                assert api.status in (401, 403, 404), (thread_id, api.status)
            # In the UI (the websocket resume): the agent's conversation never shows.
            await customer.goto(f"{live_app.url}/thread/{foreign[0]}")
            await customer.wait_for_timeout(3000)
            assert question not in await customer.content()
            sup = await customer.request.get(f"{live_app.url}/supervisor/export.csv")
            assert sup.status == 403
        except BaseException:
            await report_failure(customer, live_app, tmp_path)
            raise
        finally:
            await customer.close()
