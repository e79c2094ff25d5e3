"""Chunking along the document's structure: sections by heading, blocks kept whole where they fit.

markdown-it parses the text into blocks (paragraphs, lists, tables, code); blocks are packed
into chunks of at most `max_chars` under one heading path, and each chunk after the first in a
section starts with the tail of the previous one, so a fact cut at a boundary is still found.
"""

from __future__ import annotations

import hashlib
import uuid

from markdown_it import MarkdownIt

from knowledge.loaders import Document
from knowledge.models import Chunk, parse_audience

MAX_CHARS = 1200
OVERLAP_CHARS = 150
NAMESPACE = uuid.UUID("6f1c3d1e-8a4b-4f7e-9d55-3b0f0a6c2e11")
_parser = MarkdownIt("commonmark").enable("table")
_BLOCK_OPENERS = {
    "paragraph_open",
    "bullet_list_open",
    "ordered_list_open",
    "table_open",
    "fence",
    "code_block",
    "blockquote_open",
    "html_block",
}


def _sections(text: str) -> list[tuple[list[str], list[str]]]:
    """[(heading path, [block text, ...])] in document order."""
    lines = text.splitlines()
    tokens = _parser.parse(text)
    path: list[tuple[int, str]] = []
    sections: list[tuple[list[str], list[str]]] = [([], [])]
    for index, token in enumerate(tokens):
        if token.level != 0:
            continue
        if token.type == "heading_open":
            level = int(token.tag[1])
            title = tokens[index + 1].content.strip()
            path = [(lvl, name) for lvl, name in path if lvl < level] + [(level, title)]
            sections.append(([name for _, name in path], []))
        elif token.type in _BLOCK_OPENERS and token.map:
            start, end = token.map
            block = "\n".join(lines[start:end]).strip()
            if block:
                sections[-1][1].append(block)
    return [(heading, blocks) for heading, blocks in sections if blocks]


def _split_long(block: str, limit: int) -> list[str]:
    """A block longer than a chunk: split at line ends, then at sentence ends, never mid-word."""
    pieces: list[str] = []
    current = ""
    units = block.split("\n") if "\n" in block else block.replace(". ", ".\n").split("\n")
    for unit in units:
        while len(unit) > limit:
            cut = unit.rfind(" ", 0, limit)
            cut = cut if cut > limit // 2 else limit
            pieces.append((current + "\n" + unit[:cut]).strip() if current else unit[:cut])
            current, unit = "", unit[cut:].strip()
        candidate = f"{current}\n{unit}" if current else unit
        if len(candidate) > limit and current:
            pieces.append(current)
            current = unit
        else:
            current = candidate
    if current:
        pieces.append(current)
    return pieces


def _tail(text: str, size: int) -> str:
    if len(text) <= size:
        return text
    cut = text.find(" ", len(text) - size)
    return "…" + text[cut + 1 if cut != -1 else len(text) - size :]


def chunk_document(document: Document, *, max_chars: int = MAX_CHARS, overlap: int = OVERLAP_CHARS) -> list[Chunk]:
    meta = document.meta
    source = str(meta.get("url") or document.path)
    audience = parse_audience(meta.get("audience"))
    chunks: list[Chunk] = []
    for heading, blocks in _sections(document.text):
        if heading and heading[0].strip().lower() == document.title.strip().lower():
            heading = heading[1:]  # the document's own title heading adds nothing to a citation
        section = " › ".join(heading)
        packed: list[str] = []
        current = ""
        for block in blocks:
            for piece in _split_long(block, max_chars) if len(block) > max_chars else [block]:
                candidate = f"{current}\n\n{piece}" if current else piece
                if len(candidate) > max_chars and current:
                    packed.append(current)
                    current = piece
                else:
                    current = candidate
        if current:
            packed.append(current)
        for index, body in enumerate(packed):
            text = body if index == 0 else f"{_tail(packed[index - 1], overlap)}\n\n{body}"
            # The audience is part of a chunk's identity: relabelling a document re-indexes it, so a filter
            # never sees the old label.
            fields = [document.title, section, text, str(meta.get("updated_at")), source, str(audience)]
            digest = hashlib.sha256("\n".join(fields).encode()).hexdigest()
            chunks.append(
                Chunk(
                    id=str(uuid.uuid5(NAMESPACE, f"{document.path}\n{digest}")),
                    source=source,
                    path=document.path,
                    title=document.title,
                    section=section,
                    position=len(chunks),
                    text=text,
                    doc_type=meta.get("doc_type"),
                    product=meta.get("product"),
                    updated_at=str(meta["updated_at"]) if meta.get("updated_at") else None,
                    content_hash=digest,
                    audience=audience,
                )
            )
    return chunks
