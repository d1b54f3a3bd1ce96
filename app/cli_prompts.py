"""``deskpilot prompts test|lock|list``: the prompt library's test cases and hash lock."""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import TYPE_CHECKING

from app.cli_shared import settings_from_args
from app.errors import DeskpilotError

if TYPE_CHECKING:
    from prompts.cases import VersionReport


# -- commands --------------------------------------------------------------------------------
def cmd_prompts_test(args: argparse.Namespace) -> int:
    """Run the prompt test cases against the configured providers (local when no key is set)."""
    from app.triage.wiring import build_chain_caller
    from prompts.cases import run_prompt_cases
    from prompts.library import load_library
    from prompts.loader import PromptError, PromptMessage, PromptTemplate
    from prompts.lock import check_lock
    from providers import Message, local_triage

    try:
        library = load_library()
    except PromptError as exc:
        raise DeskpilotError(f"prompts: {exc}") from None
    caller = build_chain_caller(settings_from_args(args))
    answered_by: dict[str, set[str]] = {}

    async def respond(template: PromptTemplate, messages: list[PromptMessage]) -> str:
        task = template.task or "agent_reply"
        sent = [Message(m.role, m.content) for m in messages]
        reply = await caller(sent, task=task, prompt_ref=template.ref, scope="prompt-tests")
        answered_by.setdefault(template.ref, set()).add(reply.model)
        return reply.text

    def rules(template: PromptTemplate, values: object) -> dict[str, str] | None:
        ticket = values.get("ticket") if isinstance(values, dict) else None
        return local_triage.classify(ticket) if isinstance(ticket, str) else None

    names = [args.name] if args.name else None
    try:
        reports = asyncio.run(run_prompt_cases(library, respond, names=names, rule_outcome=rules))
    except PromptError as exc:
        raise DeskpilotError(f"prompts: {exc}") from None
    problems = check_lock(library)
    if args.json:
        print(json.dumps(_reports_json(reports, answered_by, [p.message for p in problems])))
    else:
        _print_reports(reports, answered_by, [p.message for p in problems])
    failed = any(r.passed < len(r.results) for r in reports)
    return 1 if failed or problems else 0


def _reports_json(
    reports: list[VersionReport], answered_by: dict[str, set[str]], problems: list[str]
) -> dict[str, object]:
    return {
        "versions": [
            {
                "prompt": r.ref,
                "label": r.label,
                "passed": r.passed,
                "cases": len(r.results),
                "pass_rate": round(r.pass_rate, 4),
                "answered_by": sorted(answered_by.get(r.ref, ())),
                "failures": [
                    {"case": c.case_id, "failures": list(c.failures)}
                    for c in r.results
                    if not c.passed
                ],
            }
            for r in reports
        ],
        "lock_problems": problems,
    }


def _print_reports(
    reports: list[VersionReport], answered_by: dict[str, set[str]], problems: list[str]
) -> None:
    print(f"{'prompt version':<24} {'label':<11} {'passed':>7} {'rate':>6}  answered by")
    for r in reports:
        models = ", ".join(sorted(answered_by.get(r.ref, ()))) or "-"
        passed = f"{r.passed}/{len(r.results)}"
        print(f"{r.ref:<24} {r.label:<11} {passed:>7} {r.pass_rate:>6.0%}  {models}")
        for case in r.results:
            if not case.passed:
                print(f"  FAIL {case.case_id}: {'; '.join(case.failures)}")
    for problem in problems:
        print(f"LOCK {problem}")


def cmd_prompts_lock(args: argparse.Namespace) -> int:
    """Record the content hash of new prompt versions (never of a changed one)."""
    from prompts.library import load_library
    from prompts.loader import PromptError
    from prompts.lock import record_new

    try:
        added = record_new(load_library())
    except PromptError as exc:
        raise DeskpilotError(f"prompts: {exc}") from None
    print(f"Recorded {', '.join(added)}." if added else "Every prompt version is already recorded.")
    return 0


def cmd_prompts_list(args: argparse.Namespace) -> int:
    """Every prompt version, its labels and its description."""
    from prompts.library import load_library
    from prompts.loader import PromptError

    try:
        library = load_library()
    except PromptError as exc:
        raise DeskpilotError(f"prompts: {exc}") from None
    for template in library.all_templates():
        labels = [
            k for k, v in library.labels.get(template.name, {}).items() if v == template.version
        ]
        shown = f" [{', '.join(labels)}]" if labels else ""
        print(f"{template.ref:<24}{shown:<24} {template.description}")
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``prompts test [NAME]``, ``prompts lock`` and ``prompts list``."""
    prompts = subparsers.add_parser("prompts", help="versioned prompts: test cases, hash lock")
    prompts_sub = prompts.add_subparsers(dest="prompts_command", required=True)
    test = prompts_sub.add_parser("test", help="run the prompt test cases; exit 1 on a failure")
    test.add_argument("name", nargs="?", help="one prompt (default: all)")
    test.add_argument("--json", action="store_true", help="print one JSON object")
    test.set_defaults(func=cmd_prompts_test)
    lock = prompts_sub.add_parser("lock", help="record the content hash of new prompt versions")
    lock.set_defaults(func=cmd_prompts_lock)
    listing = prompts_sub.add_parser("list", help="prompt versions and their labels")
    listing.set_defaults(func=cmd_prompts_list)
