"""Reading documents: Markdown (front matter), HTML, PDF, DOCX and text, with sidecar metadata.

Each loader returns the document as Markdown-like text (headings as `#` lines, tables as pipe
rows, list items as `- ` lines) so one structure-aware chunker serves every format.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from knowledge.models import META_KEYS, Document

__all__ = ["SUPPORTED", "Document", "UnreadableDocument", "load", "sidecar_path"]

SUPPORTED = frozenset({".md", ".markdown", ".html", ".htm", ".pdf", ".docx", ".txt", ".text"})
SIDECAR_SUFFIX = ".meta.yaml"
_BINARY_SNIFF = 8192


class UnreadableDocument(Exception):
    """A file that cannot be read as a document; the message says why, for the ingest report."""


def sidecar_path(path: Path) -> Path:
    return path.with_name(path.name + SIDECAR_SUFFIX)


def _sidecar(path: Path) -> dict[str, Any]:
    sidecar = sidecar_path(path)
    if not sidecar.exists():
        return {}
    try:
        data = yaml.safe_load(sidecar.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise UnreadableDocument(f"its metadata file {sidecar.name} is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise UnreadableDocument(f"its metadata file {sidecar.name} is not a mapping of fields")
    return data


def _text_file(path: Path) -> str:
    raw = path.read_bytes()
    if b"\x00" in raw[:_BINARY_SNIFF]:
        raise UnreadableDocument("it is a binary file, not text")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UnreadableDocument("it is not UTF-8 text") from None


def _markdown(path: Path) -> tuple[str, dict[str, Any]]:
    import frontmatter

    try:
        post = frontmatter.loads(_text_file(path))
    except (yaml.YAMLError, ValueError, TypeError) as exc:
        raise UnreadableDocument(f"its front matter is not valid YAML: {exc}") from None
    return post.content, dict(post.metadata)


_HTML_BLOCKS = ["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "table", "pre", "blockquote", "dt", "dd"]
_HTML_CONTAINERS = ["table", "li", "pre", "blockquote"]  # their inner blocks are read with them


def _html(path: Path) -> tuple[str, dict[str, Any]]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(_text_file(path), "html.parser")
    meta: dict[str, Any] = {}
    if soup.title and soup.title.string:
        meta["title"] = soup.title.string.strip()
    canonical = soup.find("link", rel="canonical")
    if canonical is not None and canonical.get("href"):
        meta["url"] = str(canonical["href"])
    for tag in soup(["script", "style", "nav", "footer", "header", "noscript", "template"]):
        tag.decompose()
    lines: list[str] = []
    body = soup.body or soup
    for element in body.find_all(_HTML_BLOCKS):
        if element.find_parent(_HTML_CONTAINERS) is not None:
            continue
        name = element.name
        if name[0] == "h" and name[1:].isdigit():
            lines += ["", "#" * int(name[1]) + " " + element.get_text(" ", strip=True), ""]
        elif name == "table":
            lines += _table_rows([[c.get_text(" ", strip=True) for c in r.find_all(["th", "td"])] for r in element("tr")])
        elif name == "li":
            lines.append("- " + element.get_text(" ", strip=True))
        elif name == "pre":
            lines += ["", "```", element.get_text().strip("\n"), "```", ""]
        else:
            lines += [element.get_text(" ", strip=True), ""]
    text = "\n".join(lines)
    if not text.strip():  # a page of bare <div>s: keep its words rather than nothing
        text = body.get_text("\n\n", strip=True)
    return text, meta


def _table_rows(rows: list[list[str]]) -> list[str]:
    """Pipe rows with a header separator, so the chunker sees one Markdown table it keeps whole."""
    rows = [[cell.replace("|", "/") for cell in row] for row in rows if any(cell for cell in row)]
    if not rows:
        return []
    width = max(len(row) for row in rows)
    out = ["", "| " + " | ".join(rows[0]) + " |", "|" + "---|" * width]
    out += ["| " + " | ".join(row) + " |" for row in rows[1:]]
    return [*out, ""]


def _pdf(path: Path) -> tuple[str, dict[str, Any]]:
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, PdfReadError

    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted:
            # Many PDFs are "encrypted" with an empty user password and open in any viewer.
            try:
                opened = reader.decrypt("")
            except (DependencyError, NotImplementedError):
                opened = 0
            if not opened:
                raise UnreadableDocument("the PDF is encrypted (password protected)")
        pages = [page.extract_text() or "" for page in reader.pages]
        title = reader.metadata.title if reader.metadata else None
    except UnreadableDocument:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError, AttributeError) as exc:
        raise UnreadableDocument(f"the PDF cannot be read: it is damaged or not a PDF ({type(exc).__name__})") from None
    # A blank line between pages: a page break is at least a paragraph break.
    text = "\n\n".join(page.strip() for page in pages if page.strip())
    return text, ({"title": str(title)} if title else {})


def _docx(path: Path) -> tuple[str, dict[str, Any]]:
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, KeyError, ValueError, OSError) as exc:
        raise UnreadableDocument(f"the DOCX cannot be read: it is damaged or not a DOCX ({type(exc).__name__})") from None
    lines: list[str] = []
    for block in document.element.body.iterchildren():
        tag = block.tag.rsplit("}", 1)[-1]
        if tag == "p":
            paragraph = Paragraph(block, document)
            style = (paragraph.style.name if paragraph.style is not None else "") or ""
            text = paragraph.text.strip()
            if not text:
                continue
            if style == "Title":
                lines += ["", "# " + text, ""]
            elif style.startswith("Heading"):
                level = int(style.split()[-1]) if style.split()[-1].isdigit() else 1
                lines += ["", "#" * min(level, 6) + " " + text, ""]
            elif style.startswith("List"):
                lines.append("- " + text)
            else:
                lines += [text, ""]
        elif tag == "tbl":
            table = Table(block, document)
            lines += _table_rows([[cell.text.strip() for cell in row.cells] for row in table.rows])
    title = document.core_properties.title
    return "\n".join(lines), ({"title": title} if title else {})


def _plain(path: Path) -> tuple[str, dict[str, Any]]:
    return _text_file(path), {}


_LOADERS = {
    ".md": _markdown,
    ".markdown": _markdown,
    ".html": _html,
    ".htm": _html,
    ".pdf": _pdf,
    ".docx": _docx,
    ".txt": _plain,
    ".text": _plain,
}


def _normalise_date(value: Any) -> str | None:
    """updated_at as an ISO date or datetime string (what freshness and the Qdrant datetime index read)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip()
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).isoformat()
    except ValueError:
        raise UnreadableDocument(f"its updated_at '{text}' is not a date (write it as YYYY-MM-DD)") from None


def load(path: Path, root: Path) -> Document:
    """Read one file; raises UnreadableDocument with the reason when it cannot be used."""
    suffix = path.suffix.lower()
    loader = _LOADERS.get(suffix)
    if loader is None:
        kind = f"'{suffix}'" if suffix else "a file without an extension"
        raise UnreadableDocument(f"{kind} is not a supported type (supported: {', '.join(sorted(SUPPORTED))})")
    if path.stat().st_size == 0:
        raise UnreadableDocument("the file is empty")
    text, meta = loader(path)
    meta.update(_sidecar(path))
    if not text.strip():
        raise UnreadableDocument("no text could be read from it (empty, or a scanned image without text)")
    relative = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name
    clean: dict[str, Any] = {}
    for key in META_KEYS:
        value = meta.get(key)
        if key == "updated_at":
            value = _normalise_date(value)
        elif value is not None:
            value = str(value).strip() or None
        if value is not None:
            clean[key] = value
    return Document(path=relative, text=text, meta=clean)
