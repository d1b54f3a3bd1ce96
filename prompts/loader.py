"""Versioned prompt templates: Markdown files with front matter, rendered into chat messages."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from string import Template

import yaml

from providers.base import Message


class PromptError(ValueError):
    """A template is malformed or was rendered with missing variables."""


@dataclass(frozen=True, slots=True)
class PromptTemplate:
    """One version of one prompt."""

    name: str
    version: int
    description: str
    tier: str
    variables: tuple[str, ...]
    body: str

    @property
    def ref(self) -> str:
        """``name@version``, as the call ledger records it."""
        return f"{self.name}@{self.version}"

    def render(self, values: Mapping[str, str], question: str) -> list[Message]:
        """The system message from the template, then the user's question."""
        missing = [v for v in self.variables if v not in values]
        if missing:
            raise PromptError(f"{self.ref}: missing variables {', '.join(missing)}")
        system = Template(self.body).safe_substitute({k: values[k] for k in self.variables})
        return [Message("system", system.strip()), Message("user", question)]


def parse_template(text: str, *, origin: str) -> PromptTemplate:
    """Parse a template file: YAML front matter between ``---`` lines, then the body."""
    if not text.startswith("---\n"):
        raise PromptError(f"{origin}: no front matter")
    try:
        head, body = text[4:].split("\n---\n", 1)
        meta = yaml.safe_load(head)
    except (ValueError, yaml.YAMLError) as exc:
        raise PromptError(f"{origin}: unreadable front matter ({exc})") from exc
    if not isinstance(meta, dict):
        raise PromptError(f"{origin}: front matter is not a mapping")
    for key in ("name", "version", "description", "variables"):
        if key not in meta:
            raise PromptError(f"{origin}: front matter lacks {key!r}")
    variables = tuple(str(v) for v in meta["variables"])
    for var in variables:
        if f"${var}" not in body:
            raise PromptError(f"{origin}: variable {var!r} is declared but never used")
    return PromptTemplate(
        name=str(meta["name"]),
        version=int(meta["version"]),
        description=str(meta["description"]),
        tier=str(meta.get("tier", "standard")),
        variables=variables,
        body=body,
    )


def load_prompt(name: str) -> PromptTemplate:
    """Load a packaged template by name."""
    path = resources.files("prompts").joinpath(f"templates/{name}.md")
    if not path.is_file():
        raise PromptError(f"no prompt template named {name!r}")
    return parse_template(path.read_text(encoding="utf-8"), origin=f"{name}.md")
