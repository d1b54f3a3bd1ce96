"""Token budgeting: sections share one budget by priority and never exceed it."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from context.budget import TRIMMED, Item, SectionSpec, plan_budget, trim_to_sentences
from context.tokenizer_cache import install_tiktoken_cache
from context.tokens import TokenCounter
from guardrails.vault import PLACEHOLDER_RE


@pytest.fixture(scope="module")
def counter(tmp_path_factory: pytest.TempPathFactory) -> TokenCounter:
    install_tiktoken_cache(tmp_path_factory.mktemp("tiktoken"))
    return TokenCounter()


WORDS = ["refund", "order", "<PERSON_1>", "<ORDER_ID_12>", "the", "parcel", "arrives", "42"]


def sentence(words: list[str]) -> str:
    return " ".join(words) + "."


sentences = st.lists(st.sampled_from(WORDS), min_size=1, max_size=12).map(sentence)
texts = st.lists(sentences, min_size=1, max_size=6).map(" ".join)
items = st.lists(st.tuples(texts, st.booleans()), min_size=0, max_size=6).map(
    lambda pairs: [Item(f"item {i}", t, splittable=s) for i, (t, s) in enumerate(pairs)]
)
sections = st.lists(
    st.tuples(items, st.floats(min_value=0, max_value=1), st.booleans()), min_size=1, max_size=6
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sections=sections, budget=st.integers(min_value=0, max_value=600))
def test_a_plan_never_exceeds_its_budget(
    counter: TokenCounter, sections: list[tuple[list[Item], float, bool]], budget: int
) -> None:
    specs = [
        SectionSpec(f"s{i}", its, share, "<s>\n" if wrapped else "", "\n</s>" if wrapped else "")
        for i, (its, share, wrapped) in enumerate(sections)
    ]
    results = plan_budget(specs, budget, counter)
    assert sum(r.budget for r in results) <= budget
    for spec, result in zip(specs, results, strict=True):
        assert result.tokens <= result.budget
        rendered = result.render()
        # The rendered block costs no more than the plan says (a newline per item included).
        assert counter.count(rendered) <= result.tokens + 1 if rendered else result.tokens == 0
        labels = [i.label for i in spec.items]
        reported = [label.removesuffix(TRIMMED) for label in result.included + result.dropped]
        assert sorted(reported) == sorted(labels), "every item is either included or dropped"
        for text in result.texts:  # trimming never cuts a placeholder
            starts = len(re.findall(r"<[A-Z]", text))
            assert starts == len(PLACEHOLDER_RE.findall(text))
    assert sum(r.tokens for r in results) <= budget


def test_priority_order_decides_who_gets_the_leftovers(counter: TokenCounter) -> None:
    long = " ".join(f"Sentence number {n} about the order." for n in range(60))
    specs = [
        SectionSpec("rules", [Item("sla", "first_response_sla_hours: 24")], 0.1),
        SectionSpec("passages", [Item("a", long, splittable=True)], 0.3),
        SectionSpec("memory", [Item("m1", long), Item("m2", "user: thanks")], 0.3),
    ]
    results = {r.name: r for r in plan_budget(specs, 300, counter)}
    assert results["rules"].included == ["sla"]
    # Passages took their share and then the leftovers; the long memory message did not fit.
    assert results["passages"].included == ["a" + TRIMMED]
    assert results["memory"].dropped == ["m1"] and results["memory"].included == ["m2"]
    assert sum(r.tokens for r in results.values()) <= 300


def test_trimming_keeps_whole_sentences_only(counter: TokenCounter) -> None:
    text = "First sentence for <PERSON_1>. Second one is here! Third? Fourth."
    assert trim_to_sentences(text, 1000, counter) == text
    cut = trim_to_sentences(text, 12, counter)
    assert cut in {
        "First sentence for <PERSON_1>.",
        "First sentence for <PERSON_1>. Second one is here!",
    }
    assert trim_to_sentences(text, 2, counter) == ""


def test_nothing_fits_a_zero_budget(counter: TokenCounter) -> None:
    results = plan_budget([SectionSpec("x", [Item("a", "text")], 1.0)], 0, counter)
    assert results[0].dropped == ["a"] and results[0].tokens == 0 and results[0].render() == ""
