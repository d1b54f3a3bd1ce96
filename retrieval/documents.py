"""Knowledge-base articles: Markdown/text files with optional YAML front matter."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

AUDIENCES = ("public", "internal")
"""Who may read an article: `public` (customers and agents) or `internal` (agents only)."""

DOCUMENT_SUFFIXES = (".md", ".txt")

_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.DOTALL)
_H1 = re.compile(r"^#[ \t]+(.+?)[ \t#]*$", re.MULTILINE)


@dataclass(frozen=True)
class Document:
    """One knowledge article, parsed; `source` is its path relative to the knowledge-base root."""

    source: str
    title: str
    audience: str
    updated: str | None
    body: str
    content_hash: str
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class LoadResult:
    """Documents read from a directory, and (source, reason) for each file that was skipped."""

    documents: list[Document]
    errors: list[tuple[str, str]] = field(default_factory=list)


def content_hash(text: str) -> str:
    """SHA-256 of the whole file text, front matter included (an audience change is a change)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def parse_document(text: str, source: str) -> Document:
    """Parse an article's text; raise ValueError on malformed front matter or unknown audience."""
    meta, body = _split_front_matter(text)
    audience = str(meta.get("audience") or "public").strip().lower()
    if audience not in AUDIENCES:
        # Fail closed: a typo must not turn an internal playbook into a public article.
        raise ValueError(f"audience must be one of {AUDIENCES}, got {meta.get('audience')!r}")
    title = _text_field(meta.get("title")) or _first_h1(body) or _title_from_source(source)
    return Document(
        source=source,
        title=title,
        audience=audience,
        updated=_updated(meta.get("updated")),
        body=body,
        content_hash=content_hash(text),
        tags=_tags(meta.get("tags")),
    )


def load_file(path: Path, root: Path) -> Document:
    """Read and parse one file; `source` becomes its POSIX path relative to `root`."""
    source = path.relative_to(root).as_posix()
    # read_text translates newlines, so a CRLF checkout hashes like an LF one.
    return parse_document(path.read_text(encoding="utf-8-sig"), source)


def load_directory(path: Path | str) -> LoadResult:
    """Load every `*.md` / `*.txt` under `path` (recursively, sorted, hidden entries skipped)."""
    root = Path(path)
    if not root.is_dir():
        raise NotADirectoryError(f"knowledge-base directory not found: {root}")
    documents: list[Document] = []
    errors: list[tuple[str, str]] = []
    for file in sorted(_document_files(root)):
        try:
            documents.append(load_file(file, root))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            errors.append((file.relative_to(root).as_posix(), f"{type(exc).__name__}: {exc}"))
    return LoadResult(documents=documents, errors=errors)


def _document_files(root: Path) -> list[Path]:
    files = []
    for file in root.rglob("*"):
        relative = file.relative_to(root).parts
        if any(part.startswith(".") for part in relative):
            continue
        if file.suffix.lower() in DOCUMENT_SUFFIXES and file.is_file():
            files.append(file)
    return files


def _split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    match = _FRONT_MATTER.match(text)
    if match is None:
        return {}, text
    try:
        meta = yaml.safe_load(match.group(1))
    except yaml.YAMLError as exc:
        raise ValueError(f"invalid YAML front matter: {exc}") from exc
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise ValueError("front matter must be a mapping")
    return meta, text[match.end() :]


def _text_field(value: object) -> str:
    return str(value).strip() if value is not None else ""


def _first_h1(body: str) -> str:
    in_fence = False
    for line in body.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
        elif not in_fence and (match := _H1.match(line)):
            return match.group(1).strip()
    return ""


def _title_from_source(source: str) -> str:
    stem = Path(source).stem.replace("-", " ").replace("_", " ").strip()
    return stem[:1].upper() + stem[1:] if stem else source


def _updated(value: object) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):  # YAML turns 2026-10-02 into a date
        return value.isoformat()
    return str(value).strip()


def _tags(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(tag.strip() for tag in value.split(",") if tag.strip())
    if isinstance(value, list):
        return tuple(str(tag).strip() for tag in value if str(tag).strip())
    raise ValueError(f"tags must be a list or a comma-separated string, got {value!r}")
