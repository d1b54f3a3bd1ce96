"""The prompt library: every template file, validated together, and the labels that pick versions.

Layout under the library root (the ``prompts`` package by default)::

    templates/<name>/v<N>.md     one file per version, front matter name/version must match
    templates/<name>/cases.yaml  test cases for the prompt (``prompts.cases``)
    labels.yaml                  <name>: {production: N, candidate: M}
    hashes.yaml                  content hash per name@version (``prompts.lock``)

Operators roll a prompt forward or back by editing ``labels.yaml``; no code changes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml

from prompts.loader import PromptError, PromptTemplate, parse_template

LABELS = ("production", "candidate")
_VERSION_FILE = re.compile(r"^v(\d+)\.md$")


def default_root() -> Path:
    """The library shipped with the package."""
    return Path(str(resources.files("prompts")))


@dataclass(frozen=True, slots=True)
class PromptLibrary:
    """All versions of all prompts, and which version each label points at."""

    root: Path
    templates: dict[str, dict[int, PromptTemplate]]
    labels: dict[str, dict[str, int]]

    def names(self) -> list[str]:
        """Prompt names, sorted."""
        return sorted(self.templates)

    def version(self, name: str, version: int) -> PromptTemplate:
        """One exact version."""
        try:
            return self.templates[name][version]
        except KeyError:
            raise PromptError(f"no prompt {name}@{version}") from None

    def get(self, name: str, label: str = "production") -> PromptTemplate:
        """The version ``label`` points at."""
        if name not in self.templates:
            raise PromptError(f"no prompt template named {name!r}")
        version = self.labels.get(name, {}).get(label)
        if version is None:
            raise PromptError(f"prompt {name!r} has no {label!r} label")
        return self.version(name, version)

    def labelled(self, name: str) -> list[tuple[str, PromptTemplate]]:
        """(label, template) for each label of a prompt; a version labelled twice appears once."""
        seen: set[int] = set()
        found = []
        for label in LABELS:
            version = self.labels.get(name, {}).get(label)
            if version is not None and version not in seen:
                seen.add(version)
                found.append((label, self.version(name, version)))
        return found

    def all_templates(self) -> list[PromptTemplate]:
        """Every version of every prompt, by name then version."""
        return [self.templates[n][v] for n in self.names() for v in sorted(self.templates[n])]

    def cases_file(self, name: str) -> Path:
        """Where the test cases of a prompt live."""
        return self.root / "templates" / name / "cases.yaml"


def _read_templates(templates_dir: Path) -> dict[str, dict[int, PromptTemplate]]:
    found: dict[str, dict[int, PromptTemplate]] = {}
    if not templates_dir.is_dir():
        raise PromptError(f"{templates_dir}: no templates directory")
    for folder in sorted(p for p in templates_dir.iterdir() if p.is_dir()):
        versions: dict[int, PromptTemplate] = {}
        for path in sorted(folder.glob("*.md")):
            origin = f"{folder.name}/{path.name}"
            matched = _VERSION_FILE.match(path.name)
            if not matched:
                raise PromptError(f"{origin}: template files are named v<N>.md")
            template = parse_template(path.read_text(encoding="utf-8"), origin=origin)
            if template.name != folder.name:
                raise PromptError(f"{origin}: front matter name is {template.name!r}")
            if template.version != int(matched.group(1)):
                raise PromptError(f"{origin}: front matter version is {template.version}")
            versions[template.version] = template
        if versions:
            found[folder.name] = versions
    return found


def _read_labels(
    path: Path, templates: dict[str, dict[int, PromptTemplate]]
) -> dict[str, dict[str, int]]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise PromptError(f"{path}: cannot read ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise PromptError(f"{path}: not valid YAML ({exc})") from None
    if not isinstance(data, dict):
        raise PromptError(f"{path.name}: expected a mapping of prompt name to labels")
    labels: dict[str, dict[str, int]] = {}
    for name, entry in data.items():
        if name not in templates:
            raise PromptError(f"{path.name}: labels for unknown prompt {name!r}")
        if not isinstance(entry, dict) or "production" not in entry:
            raise PromptError(f"{path.name}: {name} needs a production version")
        labels[name] = {}
        for label, version in entry.items():
            if label not in LABELS:
                raise PromptError(f"{path.name}: {name}: unknown label {label!r}")
            if not isinstance(version, int) or version not in templates[name]:
                raise PromptError(f"{path.name}: {name}: {label} -> no version {version!r}")
            labels[name][label] = version
    unlabelled = sorted(set(templates) - set(labels))
    if unlabelled:
        raise PromptError(f"{path.name}: no production version for {', '.join(unlabelled)}")
    return labels


def load_library(root: Path | None = None) -> PromptLibrary:
    """Read and validate every template and the labels; raises PromptError on the first problem."""
    root = root or default_root()
    templates = _read_templates(root / "templates")
    labels = _read_labels(root / "labels.yaml", templates)
    return PromptLibrary(root=root, templates=templates, labels=labels)
