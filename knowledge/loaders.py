"""Reading documents: Markdown (templated too) and MDX (front matter), reStructuredText, AsciiDoc, HTML, PDF,
DOCX and text, with sidecar metadata.

Each loader returns the document as Markdown-like text (headings as `#` lines, tables as
pipe rows) so one chunker serves every format.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from knowledge.mdx import plain_markdown
from knowledge.models import parse_audience
from knowledge.templates import variables_as_words, without_erb

# Markdown under its other names: the short ones editors use, and Markdown a Ruby site renders through ERB
MARKDOWN = {".md", ".markdown", ".mdx", ".mkd", ".mkdn", ".mdown", ".mdwn", ".markerb"}
SUPPORTED = MARKDOWN | {".rst", ".adoc", ".asciidoc", ".html", ".htm", ".pdf", ".docx", ".txt"}
ERB_MARKDOWN = (".md.erb", ".markdown.erb")  # two suffixes: "pricing.md.erb"
META_KEYS = ("title", "product", "doc_type", "url", "owner", "updated_at", "audience")


class UnreadableDocument(Exception):
    """A file that cannot be read as a document; the message says why, for the ingest report."""


@dataclass
class Document:
    path: str  # the document id: relative to the knowledge root
    text: str
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return str(self.meta.get("title") or Path(self.path).stem.replace("-", " ").replace("_", " ").title())


def _sidecar(path: Path) -> dict[str, Any]:
    sidecar = path.with_name(path.name + ".meta.yaml")
    if not sidecar.exists():
        return {}
    try:
        data = yaml.safe_load(sidecar.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise UnreadableDocument(f"its metadata file {sidecar.name} is not valid YAML: {exc}") from None
    return data if isinstance(data, dict) else {}


def _text_file(path: Path) -> str:
    raw = path.read_bytes()
    if b"\x00" in raw[:4096]:
        raise UnreadableDocument("it is a binary file")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise UnreadableDocument("it is not UTF-8 text") from None


def _markdown(path: Path) -> tuple[str, dict[str, Any]]:
    import frontmatter

    try:
        post = frontmatter.loads(_text_file(path))
    except yaml.YAMLError as exc:
        raise UnreadableDocument(f"its front matter is not valid YAML: {exc}") from None
    return post.content, dict(post.metadata)


def _rst(path: Path) -> tuple[str, dict[str, Any]]:
    """reStructuredText, read through its HTML (knowledge/rst.py); front matter, if any, as for Markdown."""
    from knowledge.rst import to_html

    body, meta = _markdown(path)
    try:
        markup, title = to_html(body)
    except Exception as exc:  # docutils raises its own errors, and plain ones, on markup it cannot recover
        raise UnreadableDocument(f"the reStructuredText cannot be read ({type(exc).__name__})") from None
    text, _ = _html_text(markup)
    return text, {"title": title, **meta} if title else meta


def _asciidoc(path: Path) -> tuple[str, dict[str, Any]]:
    """AsciiDoc, read for its words and structure (knowledge/asciidoc.py); front matter, if any, as for Markdown."""
    from knowledge.asciidoc import to_markdown

    body, meta = _markdown(path)
    text, title = to_markdown(body)
    return text, {"title": title, **meta} if title else meta


def _html(path: Path) -> tuple[str, dict[str, Any]]:
    return _html_text(_text_file(path))


def _words(element: Any) -> str:
    """An element's text with one space between its parts and none before punctuation ("Enterprise, as", not
    "Enterprise , as": inline tags are joined with spaces so that words in separate tags stay apart)."""
    text = " ".join(element.get_text(" ", strip=True).split())
    return re.sub(r"\s+([,.;:!?)])", r"\1", text).replace("( ", "(")


def _html_text(markup: str) -> tuple[str, dict[str, Any]]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(markup, "html.parser")
    for tag in soup(["script", "style", "nav", "footer"]):
        tag.decompose()
    meta: dict[str, Any] = {}
    if soup.title and soup.title.string:
        meta["title"] = soup.title.string.strip()
    lines: list[str] = []
    body = soup.body or soup
    for element in body.find_all(["h1", "h2", "h3", "h4", "p", "li", "table", "pre"]):
        if element.find_parent(["table", "li"]) and element.name != "table":
            continue
        if element.name in ("h1", "h2", "h3", "h4"):
            lines += ["", "#" * int(element.name[1]) + " " + _words(element), ""]
        elif element.name == "table":
            for row in element.find_all("tr"):
                cells = [_words(c) for c in row.find_all(["th", "td"])]
                lines.append("| " + " | ".join(cells) + " |")
            lines.append("")
        elif element.name == "li":
            lines.append("- " + _words(element))
        else:
            if lines and lines[-1].startswith("- "):
                lines.append("")  # the list ends here: without a blank line the paragraph joins its last item
            lines += [_words(element), ""]
    return "\n".join(lines), meta


def _pdf(path: Path) -> tuple[str, dict[str, Any]]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted:
            raise UnreadableDocument("the PDF is encrypted")
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, ValueError, KeyError, OSError) as exc:
        raise UnreadableDocument(f"the PDF cannot be read ({type(exc).__name__})") from None
    text = "\n\n".join(pages).strip()
    meta: dict[str, Any] = {}
    if reader.metadata and reader.metadata.title:
        meta["title"] = reader.metadata.title
    return text, meta


def _docx(path: Path) -> tuple[str, dict[str, Any]]:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, KeyError, ValueError) as exc:
        raise UnreadableDocument(f"the DOCX cannot be read ({type(exc).__name__})") from None
    lines: list[str] = []
    for block in document.element.body.iterchildren():
        tag = block.tag.rsplit("}", 1)[-1]
        if tag == "p":
            paragraph = docx.text.paragraph.Paragraph(block, document)
            style = (paragraph.style.name if paragraph.style is not None else "") or ""
            text = paragraph.text.strip()
            if not text:
                continue
            if style.startswith("Heading"):
                level = int(style.split()[-1]) if style.split()[-1].isdigit() else 2
                lines += ["", "#" * min(level + 1, 4) + " " + text, ""]
            elif style.startswith("List"):
                lines.append("- " + text)
            else:
                lines += [text, ""]
        elif tag == "tbl":
            table = docx.table.Table(block, document)
            for row in table.rows:
                lines.append("| " + " | ".join(cell.text.strip() for cell in row.cells) + " |")
            lines.append("")
    meta: dict[str, Any] = {}
    if document.core_properties.title:
        meta["title"] = document.core_properties.title
    return "\n".join(lines), meta


def load(path: Path, root: Path) -> Document:
    """Read one file; raises UnreadableDocument with the reason when it cannot be used."""
    suffix = ".md" if path.name.lower().endswith(ERB_MARKDOWN) else path.suffix.lower()
    if suffix not in SUPPORTED:
        raise UnreadableDocument(f"{suffix or 'files without an extension'} is not a supported type")
    if path.stat().st_size == 0:
        raise UnreadableDocument("the file is empty")
    if suffix in MARKDOWN:
        text, meta = _markdown(path)
        text = plain_markdown(variables_as_words(without_erb(text)))  # template code out, names read as words
        if isinstance(meta.get("title"), str):
            meta["title"] = variables_as_words(meta["title"])
    elif suffix == ".rst":
        text, meta = _rst(path)
    elif suffix in (".adoc", ".asciidoc"):
        text, meta = _asciidoc(path)
    elif suffix in (".html", ".htm"):
        text, meta = _html(path)
    elif suffix == ".pdf":
        text, meta = _pdf(path)
    elif suffix == ".docx":
        text, meta = _docx(path)
    else:
        text, meta = _text_file(path), {}
    meta.update(_sidecar(path))
    if not text.strip():
        raise UnreadableDocument("no text could be read from it")
    try:
        meta["audience"] = parse_audience(meta.get("audience")).value  # unset: internal
    except ValueError as exc:
        raise UnreadableDocument(f"its {exc}") from None
    relative = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name
    clean = {key: (value.isoformat() if hasattr(value, "isoformat") else value) for key, value in meta.items()}
    return Document(path=relative, text=text, meta={k: clean[k] for k in META_KEYS if clean.get(k) is not None})
