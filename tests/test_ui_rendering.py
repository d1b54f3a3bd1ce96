"""What agents and customers read: the Context step, the answer's sources and notice, pickers."""

from __future__ import annotations

from dataclasses import dataclass

from app.turn_types import ContextReady, ContextSection, SourceRef, TurnResult
from app.ui.customer_picker import (
    Choices,
    NoMatch,
    Selected,
    customer_command,
    decide,
    no_match_message,
)
from app.ui.rendering import (
    answer_view,
    context_markdown,
    customer_card,
    notice_line,
    source_elements,
    source_name,
    sources_line,
    turn_footer,
)

REFUNDS = SourceRef(
    source="returns-and-refunds.md",
    title="Returns and refunds",
    section="Refund timing",
    score=0.82,
    text="Refunds are issued to the original payment method within 5 business days.",
)
REFUNDS_WINDOW = SourceRef(
    source="returns-and-refunds.md",
    title="Returns and refunds",
    section="Return window",
    score=0.61,
    text="Items can be returned within 30 days of delivery.",
)
SHIPPING = SourceRef(
    source="shipping.md",
    title="Shipping and delivery",
    section="Tracking",
    score=0.74,
    text="Track a parcel with the carrier's tracking number.",
)


@dataclass(frozen=True)
class Customer:
    id: str
    name: str
    email: str
    tier: str


ANNA = Customer("CUS-10001", "Anna Berg", "anna.berg@example.com", "plus")
ANDERS = Customer("CUS-10002", "Anders Berg", "anders@example.com", "basic")


def result(answer: str, sources: list[SourceRef], notice: str | None = None) -> TurnResult:
    return TurnResult(
        answer=answer,
        conversation_id=7,
        provider="local",
        model="local-responder",
        degraded=notice is not None,
        notice=notice,
        input_tokens=812,
        output_tokens=95,
        cost_usd=None,
        prompt="support_reply@1",
        sources=sources,
        context=[],
        latency_ms=431.6,
    )


# -- sources --------------------------------------------------------------------------------


def test_sources_line_lists_each_document_once_best_first() -> None:
    line = sources_line("Your parcel is on its way.", [SHIPPING, REFUNDS, REFUNDS_WINDOW])
    assert line == "Sources: Shipping and delivery, Returns and refunds"


def test_no_sources_line_when_the_answer_already_names_every_source() -> None:
    answer = "See Returns and refunds and Shipping and delivery."
    assert sources_line(answer, [REFUNDS, SHIPPING]) is None


def test_sources_line_lists_all_sources_when_the_answer_names_only_some() -> None:
    line = sources_line("See Returns and refunds.", [REFUNDS, SHIPPING])
    assert line == "Sources: Returns and refunds, Shipping and delivery"


def test_an_answer_with_its_own_sources_line_gets_only_the_missing_ones() -> None:
    answer = "Refunds take 5 days.\n\n**Sources:** Returns and refunds (returns-and-refunds.md)"
    assert sources_line(answer, [REFUNDS, SHIPPING]) == "Also consulted: Shipping and delivery"
    assert sources_line(answer, [REFUNDS]) is None


def test_no_sources_line_without_sources() -> None:
    assert sources_line("Hello.", []) is None


def test_source_names_cannot_break_element_links() -> None:
    odd = SourceRef("faq.md", "FAQ [beta] *new*", "", 0.5, "text")
    assert source_name(odd) == "FAQ beta new"
    untitled = SourceRef("warranty.md", "  ", "", 0.5, "text")
    assert source_name(untitled) == "warranty.md"


def test_one_element_per_document_holds_every_passage_used() -> None:
    elements = source_elements([REFUNDS, SHIPPING, REFUNDS_WINDOW])
    assert [e.name for e in elements] == ["Returns and refunds", "Shipping and delivery"]
    refunds = elements[0].content
    assert "within 5 business days" in refunds and "within 30 days" in refunds
    assert "### Refund timing" in refunds and "### Return window" in refunds
    assert "returns-and-refunds.md" in refunds


# -- the answer message ---------------------------------------------------------------------


def test_answer_view_references_every_source_element_by_name() -> None:
    view = answer_view(result("Refunds take 5 business days.", [REFUNDS, SHIPPING]))
    assert view.content.startswith("Refunds take 5 business days.")
    for element in view.elements:
        assert element.name in view.content  # Chainlit links an element only if named


def test_answer_view_shows_the_notice_as_an_italic_last_line() -> None:
    notice = "Answered by the fallback local (local-responder): the primary is unavailable."
    view = answer_view(result("Refunds take 5 business days.", [REFUNDS], notice))
    assert view.content.splitlines()[-1] == (
        "*Answered by the fallback local (local-responder): the primary is unavailable.*"
    )


def test_answer_view_falls_back_to_the_streamed_text_then_to_a_polite_line() -> None:
    assert answer_view(result("", []), streamed="Streamed words").content == "Streamed words"
    assert "rephrase" in answer_view(result("  ", [])).content


def test_notice_line_escapes_markdown_and_skips_empty_notices() -> None:
    assert notice_line("primary_model *down*\n again") == r"*primary\_model \*down\* again*"
    assert notice_line(None) is None
    assert notice_line("   ") is None


# -- the Context step -----------------------------------------------------------------------


def test_context_markdown_shows_budget_included_dropped_and_sources() -> None:
    event = ContextReady(
        sections=[
            ContextSection("customer", 54, 250, included=["CUS-10001"]),
            ContextSection(
                "orders", 880, 900, included=["ORD-200001"], dropped=["ORD-199001", "ORD-199002"]
            ),
            ContextSection("memory", 0, 1200),
        ],
        sources=[REFUNDS, SHIPPING],
    )
    md = context_markdown(event)
    lines = md.splitlines()
    assert lines[0] == "**934 / 2350 tokens** of context"
    assert "- **customer**: 54 / 250 tokens; included: CUS-10001" in lines
    assert (
        "- **orders**: 880 / 900 tokens; included: ORD-200001; "
        "dropped for budget: ORD-199001, ORD-199002"
    ) in lines
    assert "- **memory**: 0 / 1200 tokens" in lines
    assert "1. Returns and refunds › Refund timing (`returns-and-refunds.md`, score 0.82)" in lines
    assert "2. Shipping and delivery › Tracking (`shipping.md`, score 0.74)" in lines


def test_context_markdown_caps_long_item_lists() -> None:
    ids = [f"ORD-2000{i:02d}" for i in range(12)]
    md = context_markdown(ContextReady([ContextSection("orders", 900, 900, included=ids)], []))
    assert "ORD-200007 (+4 more)" in md
    assert "ORD-200008" not in md
    assert "No knowledge-base passage matched." in md


def test_turn_footer_names_model_tokens_and_latency() -> None:
    footer = turn_footer(result("x", [], notice="fallback"))
    assert footer == (
        "Answered by `local` / `local-responder` · 812 in, 95 out tokens · cost n/a · 432 ms"
        " · degraded"
    )


def test_customer_card_shows_id_name_email_and_tier() -> None:
    card = customer_card(ANNA)
    for value in ("CUS-10001", "Anna Berg", "anna.berg@example.com", "plus"):
        assert value in card


# -- picking the customer -------------------------------------------------------------------


def test_customer_command_extracts_the_query() -> None:
    assert customer_command("/customer  anna@example.com ") == "anna@example.com"
    assert customer_command("/Customer") == ""
    assert customer_command("where is /customer") is None
    assert customer_command("/customers") is None


def test_an_id_or_email_with_one_match_selects_directly() -> None:
    assert decide("cus-10001", [ANNA]) == Selected(ANNA)
    assert decide("anders@example.com", [ANDERS]) == Selected(ANDERS)
    assert decide("CUS-10001", [ANNA, ANDERS]) == Selected(ANNA)  # prefix search, one exact


def test_a_name_search_always_offers_a_choice() -> None:
    assert decide("Berg", [ANNA, ANDERS]) == Choices("Berg", [ANNA, ANDERS])
    assert decide("Anna", [ANNA]) == Choices("Anna", [ANNA])
    assert decide("Zed", []) == NoMatch("Zed")


def test_a_pasted_paragraph_is_not_echoed_back_whole() -> None:
    message = no_match_message(NoMatch("Where is my order? " * 40))
    assert len(message) < 200
    assert "“Where is my order? Where is my order? Where is my order?" in message
    assert "…”" in message
