"""Sentence selection of the offline responder: tables and lead-ins read as people expect."""

from __future__ import annotations

from providers.passage_selection import select_sentences, split_sentences
from providers.prompt_parsing import Passage

TABLE_PASSAGE = """After the refund is issued, the time until you see it depends on how you paid:

| Payment method | Time after the refund is issued |
|---|---|
| Credit or debit card | 5-10 business days |
| PayPal | 1-3 business days |
"""


def test_table_rows_become_sentences_and_lead_ins_are_dropped() -> None:
    sentences = split_sentences(TABLE_PASSAGE)
    assert sentences == ["Credit or debit card: 5-10 business days.", "PayPal: 1-3 business days."]


def test_a_question_about_a_payment_method_gets_its_table_row() -> None:
    passage = Passage("refund-timing.md", "Refund timing", "Step 2", 0.8, TABLE_PASSAGE)
    selection = select_sentences("How long does a PayPal refund take?", [passage])
    assert selection.sentences[0] == "PayPal: 1-3 business days."


def test_wider_tables_name_their_columns() -> None:
    text = "| Tier | Refund window | First reply |\n|--|--|--|\n| Plus | 45 days | 8 hours |\n"
    assert split_sentences(text) == ["Plus: refund window 45 days; first reply 8 hours."]
