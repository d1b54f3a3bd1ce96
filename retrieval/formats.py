"""Turn HTML and PDF files into the Markdown-like text the chunker splits by heading."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser

_SKIPPED = {"script", "style", "nav", "header", "footer", "noscript", "template", "svg", "aside"}
_HEADINGS = {f"h{level}": level for level in range(1, 7)}
_BLOCKS = {"p", "div", "li", "tr", "section", "article", "main", "br", "pre", "blockquote", "dd"}
_BLOCKS |= {"table", "ul", "ol", "dl", "dt", "figure", "figcaption", "hr"}
_SPACES = re.compile(r"[ \t\r\f\v]+")
_BLANK_LINES = re.compile(r"\n{3,}")


class _HtmlText(HTMLParser):
    """Collect visible text; headings become `#` lines, block elements end paragraphs."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title = ""
        self.meta: dict[str, str] = {}
        self._skip_depth = 0
        self._in_title = False
        self._heading: int | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self._skip_depth += 1
        elif tag == "title":
            self._in_title = True
        elif tag == "meta":
            values = dict(attrs)
            name, content = values.get("name"), values.get("content")
            if name and content is not None:
                self.meta[name.lower()] = content
        elif tag in _HEADINGS and not self._skip_depth:
            self._heading = _HEADINGS[tag]
            self.parts.append("\n\n" + "#" * self._heading + " ")
        elif tag in _BLOCKS:
            self.parts.append("\n\n" if tag != "li" else "\n\n- ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self._skip_depth = max(0, self._skip_depth - 1)
        elif tag == "title":
            self._in_title = False
        elif tag in _HEADINGS and self._heading is not None:
            self._heading = None
            self.parts.append("\n\n")
        elif tag in _BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        elif not self._skip_depth:
            # A heading must stay on one line, or the chunker would not see it as a heading.
            self.parts.append(data.replace("\n", " ") if self._heading else data)


def html_to_markdown(html: str) -> tuple[str, str, dict[str, str]]:
    """(body with `#` headings, <title> text, <meta name=...> values) of an HTML page."""
    parser = _HtmlText()
    parser.feed(html)
    parser.close()
    lines = [_SPACES.sub(" ", line).strip() for line in "".join(parser.parts).split("\n")]
    body = _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip() + "\n"
    return body, _SPACES.sub(" ", parser.title).strip(), parser.meta


def pdf_to_text(data: bytes) -> tuple[str, str]:
    """(text of every page, paragraphs kept; title from the PDF metadata or "") of a PDF."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    pages = [(page.extract_text() or "").strip() for page in reader.pages]
    title = ""
    if reader.metadata is not None and reader.metadata.title:
        title = str(reader.metadata.title).strip()
    text = "\n\n".join(page for page in pages if page)
    if not text.strip():
        # A scanned PDF has no text layer; indexing it empty would hide that from the user.
        raise ValueError("PDF has no extractable text (scanned image?)")
    return text + "\n", title
