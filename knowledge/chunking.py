"""Chunking along the document's structure: sections by heading, blocks kept whole where they fit.

markdown-it parses the text into blocks (paragraphs, lists, tables, code); blocks are packed
into chunks of at most `max_chars` under one heading path, and each chunk after the first in a
section starts with the tail of the previous one, so a fact cut at a boundary is still found.
"""

from __future__ import annotations

import hashlib
import json
import uuid

from markdown_it import MarkdownIt

from knowledge.models import Chunk, Document

MAX_CHARS = 1200
OVERLAP_CHARS = 150
SECTION_SEPARATOR = " › "
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


def sections(text: str) -> list[tuple[list[str], list[str]]]:
    """[(heading path, [block text, ...])] in document order; sections without blocks are dropped."""
    lines = text.splitlines()
    tokens = _parser.parse(text)
    path: list[tuple[int, str]] = []
    found: list[tuple[list[str], list[str]]] = [([], [])]
    for index, token in enumerate(tokens):
        if token.level != 0:
            continue
        if token.type == "heading_open":
            level = int(token.tag[1])
            title = " ".join(tokens[index + 1].content.split()).strip("#* ")
            path = [(lvl, name) for lvl, name in path if lvl < level] + [(level, title)]
            found.append(([name for _, name in path], []))
        elif token.type in _BLOCK_OPENERS and token.map:
            start, end = token.map
            block = "\n".join(lines[start:end]).strip()
            if block:
                found[-1][1].append(block)
    return [(heading, blocks) for heading, blocks in found if blocks]


def _split_long(block: str, limit: int) -> list[str]:
    """A block longer than a chunk: split at line ends, then at sentence ends, never mid-word.
    A table keeps its header row on every piece, so each piece still reads as a table."""
    header = ""
    lines = block.split("\n")
    if len(lines) > 2 and lines[0].lstrip().startswith("|") and set(lines[1].strip()) <= set("|-: "):
        header, lines = "\n".join(lines[:2]), lines[2:]
    units = lines if len(lines) > 1 else block.replace(". ", ".\n").split("\n")
    budget = max(limit - len(header) - 1, limit // 2) if header else limit
    pieces: list[str] = []
    current = ""
    for unit in units:
        while len(unit) > budget:
            cut = unit.rfind(" ", 0, budget)
            cut = cut if cut > budget // 2 else budget
            if current:
                pieces.append(current)
                current = ""
            pieces.append(unit[:cut].strip())
            unit = unit[cut:].strip()
        candidate = f"{current}\n{unit}" if current else unit
        if len(candidate) > budget and current:
            pieces.append(current)
            current = unit
        else:
            current = candidate
    if current:
        pieces.append(current)
    return [f"{header}\n{piece}" if header else piece for piece in pieces if piece.strip()]


def _tail(text: str, size: int) -> str:
    """The end of the previous chunk (its last paragraph's tail), starting at a word."""
    last = text.rsplit("\n\n", 1)[-1]
    if len(last) <= size:
        return last
    cut = last.find(" ", len(last) - size)
    return "…" + last[cut + 1 if cut != -1 else len(last) - size :]


def _pack(blocks: list[str], max_chars: int) -> list[str]:
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
    return packed


def chunk_id(source: str, path: str, content_hash: str) -> str:
    """Derived from where the chunk comes from and what it says: the same chunk always gets the same id."""
    return str(uuid.uuid5(NAMESPACE, f"{source}\n{path}\n{content_hash}"))


def chunk_document(document: Document, *, max_chars: int = MAX_CHARS, overlap: int = OVERLAP_CHARS) -> list[Chunk]:
    """The document's chunks in order; each carries its heading path, metadata and a content-derived id."""
    meta = document.meta
    source = document.source
    chunks: list[Chunk] = []
    for heading, blocks in sections(document.text):
        if heading and heading[0].strip().lower() == document.title.strip().lower():
            heading = heading[1:]  # the document's own title heading adds nothing to a citation
        section = SECTION_SEPARATOR.join(heading)
        packed = _pack(blocks, max_chars)
        for index, body in enumerate(packed):
            text = body if index == 0 or overlap <= 0 else f"{_tail(packed[index - 1], overlap)}\n\n{body}"
            fields = {
                "title": document.title,
                "section": section,
                "text": text,
                **{key: meta.get(key) for key in ("product", "doc_type", "url", "owner", "updated_at")},
            }
            # Every field a point stores is in the hash: a changed date or product is a changed chunk.
            digest = hashlib.sha256(json.dumps(fields, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
            chunks.append(
                Chunk(
                    id=chunk_id(source, document.path, digest),
                    source=source,
                    path=document.path,
                    title=document.title,
                    section=section,
                    position=len(chunks),
                    text=text,
                    doc_type=meta.get("doc_type"),
                    product=meta.get("product"),
                    owner=meta.get("owner"),
                    updated_at=meta.get("updated_at"),
                    content_hash=digest,
                )
            )
    return chunks
