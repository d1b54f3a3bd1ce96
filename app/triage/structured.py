"""Ask for a structured answer: validate it, retry once with the error, then fall back to rules.

The model's JSON is checked against the prompt's output schema and the pydantic model. An invalid
answer gets exactly one more try, with the validation error quoted back; a second failure, or no
provider answering at all, gives the deterministic answer of ``fallback``. Nothing here raises to
the user.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from app.triage.caller import ModelCaller
from app.triage.schemas import Method, TriageKind
from prompts.json_output import JsonOutputError, extract_json, schema_errors
from prompts.loader import PromptTemplate
from providers import Message, ProviderError

log = logging.getLogger(__name__)
RETRY_INSTRUCTION = (
    "Your answer was not valid: {error}. Answer again with one JSON object that follows the "
    "format given above, and nothing else."
)
RULES_MODEL = "rules"


@dataclass(frozen=True, slots=True)
class TriageResult:
    """One validated triage answer and how it was made."""

    kind: TriageKind
    answer: BaseModel
    model: str
    provider: str
    prompt_ref: str
    method: Method
    attempts: int  # provider calls made (0 when none could be made)
    errors: tuple[str, ...] = ()  # why earlier answers were rejected

    def payload(self) -> dict[str, Any]:
        """The answer as plain JSON data."""
        return self.answer.model_dump(mode="json")


def _restore_strings(value: Any, restore: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return restore(value)
    if isinstance(value, list):
        return [_restore_strings(v, restore) for v in value]
    if isinstance(value, dict):
        return {k: _restore_strings(v, restore) for k, v in value.items()}
    return value


def validate_answer(
    text: str,
    template: PromptTemplate,
    answer_type: type[BaseModel],
    restore: Callable[[str], str] | None = None,
) -> BaseModel:
    """The answer as ``answer_type``; JsonOutputError or ValidationError when it is not valid."""
    data = extract_json(text)
    errors = schema_errors(data, template.output_schema) if template.output_schema else []
    if errors:
        raise JsonOutputError("; ".join(errors[:5]))
    if restore is not None:
        data = _restore_strings(data, restore)
    return answer_type.model_validate(data)


def _short(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'answer'}: {e['msg']}" for e in exc.errors()
        )[:500]
    return str(exc)[:500]


async def ask_structured(
    caller: ModelCaller,
    template: PromptTemplate,
    values: Mapping[str, str],
    question: str,
    *,
    kind: TriageKind,
    answer_type: type[BaseModel],
    fallback: Callable[[], BaseModel],
    scope: str | None = None,
    restore: Callable[[str], str] | None = None,
) -> TriageResult:
    """Call, validate, retry once with the error, else the rules' answer."""
    messages = [Message(m.role, m.content) for m in template.render(values, question)]
    errors: list[str] = []
    calls = 0
    for _ in range(2):
        try:
            calls += 1
            reply = await caller(
                messages, task=template.task or "triage", prompt_ref=template.ref, scope=scope
            )
        except ProviderError as exc:
            log.warning("%s: no provider answered (%s)", template.ref, type(exc).__name__)
            errors.append(f"no provider answered ({type(exc).__name__})")
            break
        try:
            answer = validate_answer(reply.text, template, answer_type, restore)
        except (JsonOutputError, ValidationError) as exc:
            error = _short(exc)
            log.warning("%s: invalid answer from %s: %s", template.ref, reply.model, error)
            errors.append(error)
            messages = [
                *messages,
                Message("assistant", reply.text[:4000]),
                Message("user", RETRY_INSTRUCTION.format(error=error)),
            ]
            continue
        method: Method = "local" if reply.local else "model"
        return TriageResult(
            kind, answer, reply.model, reply.provider, template.ref, method, calls, tuple(errors)
        )
    return TriageResult(
        kind, fallback(), RULES_MODEL, "local", template.ref, "rules", calls, tuple(errors)
    )
