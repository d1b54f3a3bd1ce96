"""End to end in Debian Chromium: an agent signs in, picks a customer, asks, reads the sources."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.async_api import Browser, Locator, Page, async_playwright, expect

if TYPE_CHECKING:  # the `live_app` fixture (tests/conftest.py) yields a browser_app.LiveApp
    from tests.browser_app import LiveApp

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-proxy-server",
]
QUESTION = "Where is my order and how long do refunds take?"
# Tags of the prompt format: an answer that shows them leaks the prompt instead of answering.
PROMPT_MARKUP = re.compile(r"</?(passage|orders|tickets|customer|audience)\b")
# First start of a session may wait for the runtime's first turn (model warm-up).
TURN_TIMEOUT_MS = 90_000
UI_TIMEOUT_MS = 30_000

# Chainlit 2.12 frontend hooks (ids from chainlit/frontend/dist):
LOGIN_USER = "#email"  # the login form's first field (a plain text input despite its id)
LOGIN_PASSWORD = "#password"
COMPOSER = "#chat-input"
SEND = "#chat-submit"
STOP = "#stop-button"  # shown while a task runs
ASSISTANT_MESSAGE = '[data-step-type="assistant_message"]'
CONTEXT_STEP = "#step-Context"  # the step's accordion trigger: "Used Context"
SOURCE_LINK = "a.element-link"  # a side element named in the message text
SIDE_TITLE = "#side-view-title"
SIDE_CONTENT = "#side-view-content"


@pytest.fixture()
def chromium() -> Path:
    """Debian's Chromium (Playwright's own browser download cannot work offline)."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make browser` (apt-get install chromium)")
    return CHROMIUM


@asynccontextmanager
async def launch_chromium(executable: Path) -> AsyncIterator[Browser]:
    """Headless Chromium driven by Playwright."""
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(executable), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield launched
        finally:
            await launched.close()


async def send_message(page: Page, text: str) -> None:
    """Type into the composer and send."""
    composer = page.locator(COMPOSER)
    await expect(composer).to_be_editable(timeout=UI_TIMEOUT_MS)
    await composer.fill(text)
    send = page.locator(SEND)  # disabled while the previous task still runs
    await expect(send).to_be_enabled(timeout=UI_TIMEOUT_MS)
    await send.click()


async def sign_in(page: Page, app: LiveApp) -> None:
    """Chainlit's password login form."""
    await page.goto(app.url)
    await page.locator(LOGIN_USER).fill(app.agent_username)
    await page.locator(LOGIN_PASSWORD).fill(app.agent_password)
    await page.locator("form button[type=submit]").click()
    await expect(page.locator(COMPOSER)).to_be_visible(timeout=UI_TIMEOUT_MS)


async def pick_customer(page: Page, app: LiveApp) -> Locator:
    """Search by id; an exact id selects at once, else click the matching result button."""
    await expect(page.get_by_text("Which customer are you helping?")).to_be_visible(
        timeout=UI_TIMEOUT_MS
    )
    await send_message(page, app.customer_id)
    card = (
        page.locator(ASSISTANT_MESSAGE)
        .filter(has_text="Customer:")
        .filter(has_text=app.customer_id)
    )
    result = page.get_by_role("button", name=re.compile(re.escape(app.customer_id) + "$"))
    await expect(card.or_(result).first).to_be_visible(timeout=UI_TIMEOUT_MS)
    if await card.count() == 0:
        await result.first.click()
    await expect(card.last).to_be_visible(timeout=UI_TIMEOUT_MS)
    return card.last


async def test_agent_gets_a_sourced_answer_about_the_chosen_customer(
    live_app: LiveApp, chromium: Path, tmp_path: Path
) -> None:
    async with launch_chromium(chromium) as browser:
        page = await browser.new_page(viewport={"width": 1400, "height": 1000})
        await _agent_session(page, live_app, tmp_path)


async def _agent_session(page: Page, live_app: LiveApp, tmp_path: Path) -> None:
    try:
        await sign_in(page, live_app)
        card = await pick_customer(page, live_app)
        await expect(card).to_contain_text(live_app.customer_name)

        before = await page.locator(ASSISTANT_MESSAGE).count()
        await send_message(page, QUESTION)
        await expect(page.get_by_text(QUESTION)).to_be_visible(timeout=UI_TIMEOUT_MS)

        # The final message carries the source links; the stop button goes when the turn ends.
        answer = page.locator(ASSISTANT_MESSAGE).filter(has=page.locator(SOURCE_LINK)).last
        await expect(answer).to_be_visible(timeout=TURN_TIMEOUT_MS)
        await expect(page.locator(STOP)).to_have_count(0, timeout=TURN_TIMEOUT_MS)
        assert await page.locator(ASSISTANT_MESSAGE).count() > before

        # DOM text, not rendered text: Chainlit styles source links in upper case.
        text = (await answer.text_content() or "").strip()
        source_names = [s.strip() for s in await answer.locator(SOURCE_LINK).all_text_contents()]
        assert len(text) > 40, text
        assert source_names and all(name in text for name in source_names), text
        assert not PROMPT_MARKUP.search(text), text
        assert "Sorry, something went wrong" not in await page.content()

        # Agents see the provenance of the context; the card is still on screen.
        await expect(page.locator(CONTEXT_STEP)).to_contain_text("Context")
        await expect(card).to_contain_text(live_app.customer_id)

        # A source name opens the passage it stands for.
        await answer.locator(SOURCE_LINK).first.click()
        await expect(page.locator(SIDE_TITLE)).to_contain_text(source_names[0])
        await expect(page.locator(SIDE_CONTENT)).not_to_be_empty(timeout=UI_TIMEOUT_MS)
        await page.screenshot(path=str(tmp_path / "answer.png"), full_page=True)

        # Feedback: a thumbs-up is recorded and both buttons go away.
        helpful = page.get_by_role("button", name=re.compile("Helpful$"))
        await helpful.last.click()
        await expect(page.get_by_text("your feedback was recorded")).to_be_visible(
            timeout=UI_TIMEOUT_MS
        )
        await expect(page.get_by_role("button", name=re.compile("helpful$", re.I))).to_have_count(
            0, timeout=UI_TIMEOUT_MS
        )
    except BaseException:
        await page.screenshot(path=str(tmp_path / "failure.png"), full_page=True)
        print(f"screenshot: {tmp_path / 'failure.png'}\n--- server log ---\n{live_app.log_tail()}")
        raise
    finally:
        await page.close()
