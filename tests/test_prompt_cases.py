"""Prompt test cases: the runner reports per version, and each kind of check can fail."""

from __future__ import annotations

import json
from collections.abc import Mapping

from prompts.cases import PromptCase, evaluate, load_cases, run_prompt_cases
from prompts.json_output import JsonOutputError, extract_json, schema_errors
from prompts.library import load_library
from prompts.loader import PromptTemplate, load_prompt
from providers import LocalResponder, Message, local_triage


async def test_every_case_passes_on_the_local_responder_for_each_labelled_version() -> None:
    local = LocalResponder()

    async def respond(template: PromptTemplate, messages: list[Message]) -> str:
        return local.answer(messages)[0]

    def rules(template: PromptTemplate, values: Mapping[str, str]) -> dict[str, str] | None:
        return local_triage.classify(values["ticket"]) if "ticket" in values else None

    reports = await run_prompt_cases(load_library(), respond, rule_outcome=rules)
    refs = {(r.ref, r.label) for r in reports}
    assert ("triage_classify@1", "production") in refs and (
        "triage_classify@2",
        "candidate",
    ) in refs
    for report in reports:
        assert report.results, f"{report.ref} has no cases"
        assert report.pass_rate == 1.0, [(c.case_id, c.failures) for c in report.results]


async def test_a_responder_that_ignores_the_format_fails_the_cases() -> None:
    async def respond(template: PromptTemplate, messages: list[Message]) -> str:
        return "I think this is urgent."

    reports = await run_prompt_cases(load_library(), respond, names=["triage_classify"])
    assert all(r.pass_rate == 0.0 for r in reports)
    assert "not a JSON object" in reports[0].results[0].failures[0]


def test_each_check_reports_what_went_wrong() -> None:
    template = load_prompt("triage_classify")
    case = PromptCase(
        id="x",
        values={"company": "Acme", "ticket": "My charger is smoking."},
        question="Classify.",
        checks={
            "schema": True,
            "contains": ["P1"],
            "not_contains": ["refund"],
            "expect": {"urgency": "P1"},
            "expect_one_of": {"category": ["technical"]},
            "consistent_with_rules": ["urgency", "category"],
        },
    )
    rules = lambda t, v: local_triage.classify(v["ticket"])  # noqa: E731
    good = json.dumps({"urgency": "P1", "category": "technical", "reason": "smoke"})
    assert evaluate(template, case, good, rules) == []
    bad = json.dumps({"urgency": "P3", "category": "refund", "reason": "", "extra": 1})
    failures = evaluate(template, case, bad, rules)
    joined = " | ".join(failures)
    for expected in (
        "does not contain 'P1'",
        "contains 'refund'",
        "unexpected field 'extra'",
        "shorter than 1",
        "urgency is 'P3', expected 'P1'",
        "category is 'refund', expected one of",
        "the rules say 'P1'",
    ):
        assert expected in joined


def test_json_is_found_in_fences_and_checked_against_the_schema() -> None:
    assert extract_json('```json\n{"a": 1}\n```') == {"a": 1}
    assert extract_json('Sure! {"a": 2} Hope that helps.') == {"a": 2}
    try:
        extract_json("[1, 2]")
    except JsonOutputError:
        pass
    else:
        raise AssertionError("a list is not an answer object")
    schema = {"type": "object", "required": ["n"], "properties": {"n": {"type": "integer"}}}
    assert schema_errors({"n": True}, schema) == ["$.n: expected integer, got bool"]
    assert schema_errors({}, schema) == ["$: missing required field 'n'"]


def test_shipped_case_files_parse() -> None:
    library = load_library()
    for name in library.names():
        cases = load_cases(library.cases_file(name))
        assert len(cases) >= 2, name
        assert len({c.id for c in cases}) == len(cases)
