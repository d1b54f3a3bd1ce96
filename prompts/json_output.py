"""Structured answers: find the JSON object in a model's text and check it against a schema.

The schema language is the small subset of JSON Schema the prompt files use (``type``,
``properties``, ``required``, ``enum``, ``additionalProperties``, ``items``, ``minLength``,
``maxLength``, ``minItems``, ``maxItems``); an unknown keyword is ignored, as JSON Schema does.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

_FENCE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.DOTALL)
_TYPES: dict[str, type | tuple[type, ...]] = {
    "object": dict,
    "array": list,
    "string": str,
    "boolean": bool,
    "integer": int,
    "number": (int, float),
}


class JsonOutputError(ValueError):
    """The answer holds no JSON object, or one that does not fit the schema."""


def extract_json(text: str) -> dict[str, Any]:
    """The JSON object of an answer: the whole text, a fenced block, or the outermost braces."""
    stripped = text.strip()
    fenced = _FENCE.match(stripped)
    if fenced:
        stripped = fenced.group(1)
    candidates = [stripped]
    start, end = stripped.find("{"), stripped.rfind("}")
    if 0 <= start < end:
        candidates.append(stripped[start : end + 1])
    for candidate in candidates:
        try:
            value = json.loads(candidate)
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict):
            return value
    raise JsonOutputError("the answer is not a JSON object")


def schema_errors(value: object, schema: Mapping[str, Any], path: str = "$") -> list[str]:
    """Every way ``value`` breaks ``schema`` (empty when it fits)."""
    expected = schema.get("type")
    if isinstance(expected, str) and expected in _TYPES:
        wanted = _TYPES[expected]
        # bool is an int in Python, never a number or an integer in JSON.
        if not isinstance(value, wanted) or (expected != "boolean" and isinstance(value, bool)):
            return [f"{path}: expected {expected}, got {type(value).__name__}"]
    errors: list[str] = []
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{path}: {value!r} is not one of {list(schema['enum'])}")
    if isinstance(value, str):
        if len(value) < int(schema.get("minLength", 0)):
            errors.append(f"{path}: shorter than {schema['minLength']} characters")
        if "maxLength" in schema and len(value) > int(schema["maxLength"]):
            errors.append(f"{path}: longer than {schema['maxLength']} characters")
    if isinstance(value, list):
        if len(value) < int(schema.get("minItems", 0)):
            errors.append(f"{path}: fewer than {schema['minItems']} items")
        if "maxItems" in schema and len(value) > int(schema["maxItems"]):
            errors.append(f"{path}: more than {schema['maxItems']} items")
        items = schema.get("items")
        if isinstance(items, Mapping):
            for index, item in enumerate(value):
                errors += schema_errors(item, items, f"{path}[{index}]")
    if isinstance(value, dict):
        properties: Mapping[str, Any] = schema.get("properties", {})
        for key in schema.get("required", ()):
            if key not in value:
                errors.append(f"{path}: missing required field {key!r}")
        for key, item in value.items():
            if key in properties:
                errors += schema_errors(item, properties[key], f"{path}.{key}")
            elif schema.get("additionalProperties") is False:
                errors.append(f"{path}: unexpected field {key!r}")
    return errors


def parse_structured(text: str, schema: Mapping[str, Any]) -> dict[str, Any]:
    """The answer's JSON object if it fits ``schema``; else JsonOutputError saying why."""
    value = extract_json(text)
    errors = schema_errors(value, schema)
    if errors:
        raise JsonOutputError("; ".join(errors))
    return value
