"""Prompt test cases: inputs plus checks, run against any responder, reported per version.

``templates/<name>/cases.yaml``::

    defaults: {values: {company: Acme}, question: "Classify this ticket."}
    cases:
      - id: battery-swelling
        values: {ticket: "The battery of my phone is bulging ..."}
        checks:
          schema: true                  # the answer is JSON valid against output_schema
          contains: ["P1"]              # substrings, case-insensitive
          not_contains: ["refund"]
          expect: {urgency: P1}         # fields of the JSON answer
          expect_one_of: {category: [technical, warranty]}
          consistent_with_rules: [urgency]   # same field values as the rules-based outcome

The runner knows nothing of providers or the app: it is given ``respond`` (messages -> text)
and, optionally, ``rule_outcome`` (the rules-based answer for the same inputs).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from prompts.json_output import JsonOutputError, extract_json, schema_errors
from prompts.library import PromptLibrary
from prompts.loader import PromptError, PromptMessage, PromptTemplate

Respond = Callable[[PromptTemplate, list[PromptMessage]], Awaitable[str]]
RuleOutcome = Callable[[PromptTemplate, Mapping[str, str]], Mapping[str, Any] | None]
_CHECKS = frozenset(
    {"schema", "contains", "not_contains", "expect", "expect_one_of", "consistent_with_rules"}
)


@dataclass(frozen=True, slots=True)
class PromptCase:
    """One input of a prompt and what its answer must satisfy."""

    id: str
    values: dict[str, str]
    question: str
    checks: dict[str, Any]


@dataclass(frozen=True, slots=True)
class CaseResult:
    """How one case went for one prompt version."""

    case_id: str
    failures: tuple[str, ...]
    output: str

    @property
    def passed(self) -> bool:
        """No check failed."""
        return not self.failures


@dataclass(slots=True)
class VersionReport:
    """The results of all cases of one prompt version."""

    ref: str
    label: str
    results: list[CaseResult] = field(default_factory=list)

    @property
    def passed(self) -> int:
        """Cases that passed."""
        return sum(r.passed for r in self.results)

    @property
    def pass_rate(self) -> float:
        """Share of cases that passed (1.0 for a prompt without cases)."""
        return self.passed / len(self.results) if self.results else 1.0


def load_cases(path: Path) -> list[PromptCase]:
    """The cases of one prompt (none when the file does not exist); PromptError when malformed."""
    if not path.exists():
        return []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise PromptError(f"{path}: not valid YAML ({exc})") from None
    defaults = data.get("defaults", {}) if isinstance(data, dict) else {}
    raw_cases = data.get("cases", []) if isinstance(data, dict) else None
    if not isinstance(raw_cases, list) or not isinstance(defaults, dict):
        raise PromptError(f"{path}: expected 'defaults' and a list of 'cases'")
    cases = []
    for index, raw in enumerate(raw_cases):
        if not isinstance(raw, dict) or "id" not in raw:
            raise PromptError(f"{path}: case {index + 1} needs an id")
        checks = raw.get("checks", {})
        unknown = set(checks) - _CHECKS
        if unknown:
            raise PromptError(f"{path}: case {raw['id']}: unknown checks {sorted(unknown)}")
        values = {**defaults.get("values", {}), **raw.get("values", {})}
        cases.append(
            PromptCase(
                id=str(raw["id"]),
                values={str(k): str(v) for k, v in values.items()},
                question=str(raw.get("question", defaults.get("question", ""))),
                checks=dict(checks),
            )
        )
    return cases


def evaluate(
    template: PromptTemplate,
    case: PromptCase,
    output: str,
    rule_outcome: RuleOutcome | None = None,
) -> list[str]:
    """The checks of ``case`` that ``output`` fails (empty: the case passed)."""
    checks = case.checks
    failures = []
    lowered = output.casefold()
    for text in checks.get("contains", ()):
        if str(text).casefold() not in lowered:
            failures.append(f"does not contain {text!r}")
    for text in checks.get("not_contains", ()):
        if str(text).casefold() in lowered:
            failures.append(f"contains {text!r}")
    needs_json = any(k in checks for k in ("schema", "expect", "expect_one_of"))
    needs_json = needs_json or bool(checks.get("consistent_with_rules"))
    if not needs_json:
        return failures
    try:
        answer = extract_json(output)
    except JsonOutputError as exc:
        return [*failures, str(exc)]
    if checks.get("schema"):
        if template.output_schema is None:
            failures.append(f"{template.ref} declares no output_schema")
        else:
            failures += schema_errors(answer, template.output_schema)
    for key, wanted in checks.get("expect", {}).items():
        if answer.get(key) != wanted:
            failures.append(f"{key} is {answer.get(key)!r}, expected {wanted!r}")
    for key, allowed in checks.get("expect_one_of", {}).items():
        if answer.get(key) not in allowed:
            failures.append(f"{key} is {answer.get(key)!r}, expected one of {allowed}")
    fields = checks.get("consistent_with_rules") or ()
    if fields:
        outcome = rule_outcome(template, case.values) if rule_outcome else None
        if outcome is None:
            failures.append("no rules outcome to compare with")
        else:
            for key in fields:
                if answer.get(key) != outcome.get(key):
                    failures.append(
                        f"{key} is {answer.get(key)!r}, the rules say {outcome.get(key)!r}"
                    )
    return failures


async def run_prompt_cases(
    library: PromptLibrary,
    respond: Respond,
    *,
    names: Sequence[str] | None = None,
    rule_outcome: RuleOutcome | None = None,
) -> list[VersionReport]:
    """Run every case of the chosen prompts against each labelled version."""
    chosen = list(names) if names else library.names()
    unknown = [n for n in chosen if n not in library.templates]
    if unknown:
        raise PromptError(f"no prompt named {', '.join(unknown)}")
    reports = []
    for name in chosen:
        cases = load_cases(library.cases_file(name))
        for label, template in library.labelled(name):
            report = VersionReport(template.ref, label)
            for case in cases:
                messages = template.render(case.values, case.question)
                output = await respond(template, messages)
                failures = evaluate(template, case, output, rule_outcome)
                report.results.append(CaseResult(case.id, tuple(failures), output))
            reports.append(report)
    return reports
