"""End to end in Debian Chromium: an agent signs in, picks a customer, asks, reads the sources."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, get_args

import pytest
from playwright.async_api import Browser, Locator, Page, async_playwright, expect

from app.triage.schemas import Category

if TYPE_CHECKING:  # the `live_app` fixture (tests/conftest.py) yields a browser_app.LiveApp
    from app.settings import Settings
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
THUMBS_UP = "button.positive-feedback-off"  # Chainlit's feedback buttons under an answer
THUMBS_UP_ON = "button.positive-feedback-on"
FEEDBACK_COMMENT = "[role=dialog] textarea"
FEEDBACK_SUBMIT = "#submit-feedback"
FEEDBACK_TEXT = "Clear answer, and the sources were right."


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


async def report_failure(page: Page, app: LiveApp, tmp_path: Path) -> None:
    """Keep a screenshot and print the server's log tail: what a failed run needs to be read."""
    await page.screenshot(path=str(tmp_path / "failure.png"), full_page=True)
    print(f"screenshot: {tmp_path / 'failure.png'}\n--- server log ---\n{app.log_tail()}")


async def eventually(check: Callable[[], bool], timeout_s: float = UI_TIMEOUT_MS / 1000) -> None:
    """Wait until ``check()`` holds (the server writes after the browser shows)."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"still not true after {timeout_s:.0f} s: {check}")
        await asyncio.sleep(0.25)


def stored_feedback(settings: Settings) -> list[tuple[int, str | None]]:
    """(value, comment) of every feedback row, oldest first."""
    from sqlmodel import col, select

    from app.runtime import open_database
    from app.storage.tables import Feedback

    with open_database(settings).sessions() as session:
        rows = session.exec(select(Feedback).order_by(col(Feedback.id))).all()
        return [(row.value, row.comment) for row in rows]


async def test_agent_gets_a_sourced_answer_about_the_chosen_customer(
    live_app: LiveApp, chromium: Path, tmp_path: Path, seeded_settings: Settings
) -> None:
    async with launch_chromium(chromium) as browser:
        page = await browser.new_page(viewport={"width": 1400, "height": 1000})
        await _agent_session(page, live_app, tmp_path, seeded_settings)


async def _agent_session(page: Page, live_app: LiveApp, tmp_path: Path, settings: Settings) -> None:
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

        # Feedback: Chainlit's thumbs-up with a comment, stored on the answer in our table.
        await page.keyboard.press("Escape")  # close the source's side view
        await answer.hover()
        await answer.locator(THUMBS_UP).click()
        await page.locator(FEEDBACK_COMMENT).fill(FEEDBACK_TEXT)
        await page.locator(FEEDBACK_SUBMIT).click()
        await expect(answer.locator(THUMBS_UP_ON)).to_have_count(1, timeout=UI_TIMEOUT_MS)
        await eventually(lambda: (1, FEEDBACK_TEXT) in stored_feedback(settings))
    except BaseException:
        await report_failure(page, live_app, tmp_path)
        raise
    finally:
        await page.close()


@dataclass(frozen=True, slots=True)
class TriageTarget:
    """A demo customer's first open ticket as the agent view lists it (newest first)."""

    customer_id: str
    customer_name: str
    ticket_id: str


@pytest.fixture()
def triage_target(seeded_settings: Settings) -> TriageTarget:
    """The first demo customer (by id) who has an open or pending ticket, from the seeded data."""
    from sqlmodel import col, select

    from app.runtime import open_database
    from app.triage.tickets import open_tickets
    from context.crm_tables import Customer, Ticket

    with open_database(seeded_settings).sessions() as session:
        customer_id = session.exec(
            select(Ticket.customer_id)
            .where(col(Ticket.status).in_(("open", "pending")))
            .order_by(col(Ticket.customer_id))
            .limit(1)
        ).first()
        assert customer_id is not None, "the demo data has no open ticket"
        customer = session.get(Customer, customer_id)
        assert customer is not None
        first = open_tickets(session, customer_id)[0]
        return TriageTarget(customer.id, customer.name, first.id)


def stored_triage(settings: Settings, ticket_id: str, kind: str) -> list[tuple[str, str, str]]:
    """(urgency, category, prompt_ref) of every stored triage answer of a kind for a ticket."""
    from sqlmodel import col, select

    from app.runtime import open_database
    from app.storage.triage_tables import TicketTriage

    with open_database(settings).sessions() as session:
        rows = session.exec(
            select(TicketTriage)
            .where(TicketTriage.ticket_id == ticket_id, TicketTriage.kind == kind)
            .order_by(col(TicketTriage.id))
        ).all()
        return [(r.urgency or "", r.category or "", r.prompt_ref) for r in rows]


CATEGORIES = "|".join(get_args(Category))
# "**P2** · technical — reason" over the footer "_model · triage_classify@version_".
CLASSIFICATION = re.compile(rf"\b(P[1-4]) · ({CATEGORIES}) — ")


async def test_agent_triages_an_open_ticket(
    live_app: LiveApp,
    chromium: Path,
    tmp_path: Path,
    seeded_settings: Settings,
    triage_target: TriageTarget,
) -> None:
    target = triage_target
    app = replace(live_app, customer_id=target.customer_id, customer_name=target.customer_name)
    before = len(stored_triage(seeded_settings, target.ticket_id, "classification"))
    async with launch_chromium(chromium) as browser:
        page = await browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            await sign_in(page, app)
            card = await pick_customer(page, app)
            await card.get_by_role("button", name=re.compile("Open tickets$")).click()

            # One message per open ticket, each with the three triage buttons.
            ticket = page.locator(ASSISTANT_MESSAGE).filter(has_text=target.ticket_id).first
            await expect(ticket).to_be_visible(timeout=UI_TIMEOUT_MS)
            for label in ("Classify", "Summarise", "Next action"):
                button = ticket.get_by_role("button", name=re.compile(f"{label}$"))
                await expect(button).to_have_count(1)

            await ticket.get_by_role("button", name=re.compile("Classify$")).click()
            classified = page.locator(ASSISTANT_MESSAGE).filter(
                has_text=f"Classification of {target.ticket_id}"
            )
            await expect(classified).to_contain_text(CLASSIFICATION, timeout=TURN_TIMEOUT_MS)
            await expect(classified).to_contain_text("triage_classify@")
            text = await classified.text_content() or ""
            shown = CLASSIFICATION.search(text)
            assert shown is not None, text

            # The answer shown is the one stored on the ticket, with its prompt version.
            rows = stored_triage(seeded_settings, target.ticket_id, "classification")
            assert len(rows) == before + 1, rows
            urgency, category, prompt_ref = rows[-1]
            assert (urgency, category) == shown.groups(), (rows[-1], text)
            assert prompt_ref.startswith("triage_classify@") and prompt_ref in text, text

            await ticket.get_by_role("button", name=re.compile("Summarise$")).click()
            summary = page.locator(ASSISTANT_MESSAGE).filter(
                has_text=f"Summary of {target.ticket_id}"
            )
            await expect(summary).to_contain_text("ticket_summary@", timeout=TURN_TIMEOUT_MS)
            body = (await summary.text_content() or "").split(target.ticket_id, 1)[-1]
            assert len(body.split("ticket_summary@", 1)[0].strip()) > 20, body
            assert "Sorry, something went wrong" not in await page.content()
            await page.screenshot(path=str(tmp_path / "triage.png"), full_page=True)
        except BaseException:
            await report_failure(page, live_app, tmp_path)
            raise
        finally:
            await page.close()
