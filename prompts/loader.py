"""Versioned prompt templates: Markdown files with front matter, rendered into chat messages.

Each prompt lives in ``templates/<name>/v<N>.md``; ``labels.yaml`` says which version is
``production`` (and optionally ``candidate``). ``load_prompt(name)`` returns the production
version after validating the whole library (``prompts.library``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from typing import Any, Literal

import yaml

REQUIRED_KEYS = ("name", "version", "description", "tier", "variables")


class PromptError(ValueError):
    """A template is malformed or was rendered with missing variables."""


@dataclass(frozen=True, slots=True)
class PromptMessage:
    """One rendered chat message (the app turns it into its providers' message type)."""

    role: Literal["system", "user", "assistant"]
    content: str


def content_hash(text: str) -> str:
    """The SHA-256 of a template file's text (line endings normalised), as the lock records it."""
    normalised = text.replace("\r\n", "\n")
    return "sha256:" + hashlib.sha256(normalised.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class PromptTemplate:
    """One version of one prompt."""

    name: str
    version: int
    description: str
    tier: str
    variables: tuple[str, ...]
    body: str
    # A JSON Schema the answer must satisfy (structured tasks), else None (free text).
    output_schema: Mapping[str, Any] | None = None
    # The provider routing task (providers.yaml ``tasks``) this prompt is sent under.
    task: str | None = None
    content_hash: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def ref(self) -> str:
        """``name@version``, as the call ledger records it."""
        return f"{self.name}@{self.version}"

    def render(self, values: Mapping[str, str], question: str) -> list[PromptMessage]:
        """The system message from the template, then the user's question."""
        missing = [v for v in self.variables if v not in values]
        if missing:
            raise PromptError(f"{self.ref}: missing variables {', '.join(missing)}")
        system = Template(self.body).safe_substitute({k: values[k] for k in self.variables})
        return [PromptMessage("system", system.strip()), PromptMessage("user", question)]


def _front_matter(text: str, origin: str) -> tuple[dict[str, Any], str]:
    if not text.startswith("---\n"):
        raise PromptError(f"{origin}: no front matter")
    try:
        head, body = text[4:].split("\n---\n", 1)
        meta = yaml.safe_load(head)
    except (ValueError, yaml.YAMLError) as exc:
        raise PromptError(f"{origin}: unreadable front matter ({exc})") from exc
    if not isinstance(meta, dict):
        raise PromptError(f"{origin}: front matter is not a mapping")
    return meta, body


def parse_template(text: str, *, origin: str) -> PromptTemplate:
    """Parse a template file: YAML front matter between ``---`` lines, then the body."""
    text = text.replace("\r\n", "\n")
    meta, body = _front_matter(text, origin)
    for key in REQUIRED_KEYS:
        if key not in meta:
            raise PromptError(f"{origin}: front matter lacks {key!r}")
    if not isinstance(meta["variables"], list):
        raise PromptError(f"{origin}: 'variables' must be a list")
    variables = tuple(str(v) for v in meta["variables"])
    for var in variables:
        if f"${var}" not in body:
            raise PromptError(f"{origin}: variable {var!r} is declared but never used")
    schema = meta.get("output_schema")
    if schema is not None and (not isinstance(schema, dict) or schema.get("type") != "object"):
        raise PromptError(f"{origin}: output_schema must be a JSON Schema of type object")
    try:
        version = int(meta["version"])
    except (TypeError, ValueError):
        raise PromptError(f"{origin}: version must be an integer") from None
    known = {*REQUIRED_KEYS, "output_schema", "task"}
    return PromptTemplate(
        name=str(meta["name"]),
        version=version,
        description=str(meta["description"]),
        tier=str(meta["tier"]),
        variables=variables,
        body=body,
        output_schema=schema,
        task=str(meta["task"]) if meta.get("task") else None,
        content_hash=content_hash(text),
        extra={k: v for k, v in meta.items() if k not in known},
    )


def load_prompt(name: str, label: str = "production", root: Path | None = None) -> PromptTemplate:
    """The version of prompt ``name`` that ``label`` points at (the library is validated first)."""
    from prompts.library import load_library

    return load_library(root).get(name, label)
