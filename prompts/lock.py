"""The content-hash lock: a released prompt version never changes silently.

``hashes.yaml`` maps ``name@version`` to the SHA-256 of its file. A file whose hash differs from
its recorded one was edited without a version bump: the check fails. A new version is recorded
with ``deskpilot prompts lock`` (``record_new``), which never overwrites an existing entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from prompts.library import PromptLibrary
from prompts.loader import PromptError

LOCK_FILE = "hashes.yaml"
_HEADER = (
    "# Content hash of every released prompt version (name@version: sha256).\n"
    "# Never edit a line: change a prompt by adding v<N+1>.md, then run `deskpilot prompts lock`.\n"
)


@dataclass(frozen=True, slots=True)
class LockProblem:
    """A version whose file does not match the lock, or that the lock does not know."""

    ref: str
    kind: str  # changed | unrecorded | missing
    message: str


def read_lock(path: Path) -> dict[str, str]:
    """The recorded hashes (empty when the file does not exist yet)."""
    if not path.exists():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise PromptError(f"{path}: not valid YAML ({exc})") from None
    if not isinstance(data, dict):
        raise PromptError(f"{path}: expected a mapping of name@version to hash")
    return {str(k): str(v) for k, v in data.items()}


def check_lock(library: PromptLibrary, path: Path | None = None) -> list[LockProblem]:
    """Every mismatch between the templates and the lock; empty when all is in order."""
    path = path or library.root / LOCK_FILE
    recorded = read_lock(path)
    problems = []
    present = set()
    for template in library.all_templates():
        present.add(template.ref)
        expected = recorded.get(template.ref)
        if expected is None:
            problems.append(
                LockProblem(
                    template.ref,
                    "unrecorded",
                    f"{template.ref} is not in {path.name}; run `deskpilot prompts lock`",
                )
            )
        elif expected != template.content_hash:
            problems.append(
                LockProblem(
                    template.ref,
                    "changed",
                    f"{template.ref} changed without a version bump: add "
                    f"v{template.version + 1}.md instead of editing v{template.version}.md",
                )
            )
    for ref in sorted(set(recorded) - present):
        problems.append(LockProblem(ref, "missing", f"{ref} is in {path.name} but has no file"))
    return problems


def record_new(library: PromptLibrary, path: Path | None = None) -> list[str]:
    """Add the hashes of versions the lock does not know yet; returns their refs.

    Refuses (PromptError) while any recorded version has changed: that needs a new version.
    """
    path = path or library.root / LOCK_FILE
    changed = [p for p in check_lock(library, path) if p.kind == "changed"]
    if changed:
        raise PromptError("; ".join(p.message for p in changed))
    recorded = read_lock(path)
    added = [t.ref for t in library.all_templates() if t.ref not in recorded]
    for template in library.all_templates():
        recorded.setdefault(template.ref, template.content_hash)
    lines = [f"{ref}: {recorded[ref]}" for ref in sorted(recorded)]
    path.write_text(_HEADER + "\n".join(lines) + "\n", encoding="utf-8")
    return added
