"""Knowledge-base articles: Markdown/text (optional YAML front matter), HTML and PDF files."""

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

DOCUMENT_SUFFIXES = (".md", ".markdown", ".txt", ".html", ".htm", ".pdf")

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


def content_hash(text: str | bytes, audience: str = "public") -> str:
    """SHA-256 of the whole file plus its resolved audience (an audience change is a change)."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    return hashlib.sha256(data + b"\0" + audience.encode()).hexdigest()


def parse_document(
    text: str,
    source: str,
    *,
    default_audience: str = "public",
    updated: str | None = None,
) -> Document:
    """Parse an article's text; raise ValueError on malformed front matter or unknown audience.

    Front matter wins over `default_audience` and `updated` (the file's modification time).
    """
    meta, body = _split_front_matter(text)
    audience = _audience(meta.get("audience"), default_audience)
    title = _text_field(meta.get("title")) or _first_h1(body) or _title_from_source(source)
    return Document(
        source=source,
        title=title,
        audience=audience,
        updated=_updated(meta.get("updated")) or updated,
        body=body,
        content_hash=content_hash(text, audience),
        tags=_tags(meta.get("tags")),
    )


def load_file(path: Path, root: Path, *, default_audience: str = "public") -> Document:
    """Read and parse one file of any supported kind; `source` is its path relative to `root`."""
    from retrieval.formats import html_to_markdown, pdf_to_text

    source = path.relative_to(root).as_posix() if path != root else path.name
    data = path.read_bytes()
    modified = _mtime(path)
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        body, pdf_title = pdf_to_text(data)
        audience = _audience(None, default_audience)
        return Document(
            source=source,
            title=pdf_title or _title_from_source(source),
            audience=audience,
            updated=modified,
            body=body,
            content_hash=content_hash(data, audience),
        )
    # Newlines are normalised, so a CRLF checkout hashes like an LF one.
    text = data.decode("utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")
    if suffix in (".html", ".htm"):
        body, page_title, meta = html_to_markdown(text)
        audience = _audience(meta.get("audience"), default_audience)
        return Document(
            source=source,
            # The H1 names the article; <title> often carries the site's name as well.
            title=meta.get("title", "").strip()
            or _first_h1(body)
            or page_title
            or _title_from_source(source),
            audience=audience,
            updated=_updated(meta.get("updated")) or modified,
            body=body,
            content_hash=content_hash(text, audience),
            tags=_tags(meta.get("keywords")),
        )
    return parse_document(text, source, default_audience=default_audience, updated=modified)


def load_directory(path: Path | str, *, default_audience: str = "public") -> LoadResult:
    """Load every supported file under `path` (recursively, sorted, hidden entries skipped).

    `path` may also be a single file. A file that cannot be read or parsed is reported in
    `errors` and the others are still loaded.
    """
    root = Path(path)
    if root.is_file():
        files, base = [root], root.parent
    elif root.is_dir():
        files, base = sorted(_document_files(root)), root
    else:
        raise NotADirectoryError(f"knowledge-base path not found: {root}")
    documents: list[Document] = []
    errors: list[tuple[str, str]] = []
    for file in files:
        try:
            documents.append(load_file(file, base, default_audience=default_audience))
        except Exception as exc:  # any parser's failure: report the file, keep the others
            errors.append((file.relative_to(base).as_posix(), f"{type(exc).__name__}: {exc}"))
    return LoadResult(documents=documents, errors=errors)


def _audience(value: object, default: str) -> str:
    audience = str(value or default).strip().lower()
    if audience not in AUDIENCES:
        # Fail closed: a typo must not turn an internal playbook into a public article.
        raise ValueError(f"audience must be one of {AUDIENCES}, got {value or default!r}")
    return audience


def _mtime(path: Path) -> str:
    stamp = dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.UTC)
    return stamp.replace(microsecond=0).isoformat()


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
