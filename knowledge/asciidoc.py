"""AsciiDoc to the Markdown-like text the chunker reads (knowledge/loaders.py): headings as `#` lines,
paragraphs, lists, tables as pipe rows, listings as fenced code, admonitions as "Note: ...".

Documentation sites built with Antora or Asciidoctor write their pages in AsciiDoc. A knowledge base needs
their words and structure, not a rendering: attributes are substituted where the page defines them, macros
read as their text (`xref:sso.adoc[Single sign-on]` is "Single sign-on"), and what only a build could
resolve (`include::`, `ifdef::`) is left out while the text it guards stays. Files are never read on a
document's behalf. (No Python AsciiDoc library fits: the maintained one is GPL-licensed, and the one
permissively licensed parser is an alpha that fails on plain tables.)
"""

from __future__ import annotations

import re

_ATTRIBUTE_ENTRY = re.compile(r"^:(!?)([\w][\w-]*)(!?):(?:\s+(.*))?$")
_HEADING = re.compile(r"^(={1,6}|#{1,6})\s+(.+?)\s*(?:\1)?$")
_PREPROCESSOR = re.compile(r"^(?:include|ifdef|ifndef|ifeval|endif)::.*\[.*\]\s*$")
_BLOCK_MACRO = re.compile(r"^(?:image|video|audio|toc)::.*\[.*\]\s*$")
_BLOCK_ATTRIBUTES = re.compile(r"^\[(?:[^\[\]]|\[[^\]]*\])*\]\s*$")
_BLOCK_TITLE = re.compile(r"^\.([^.\s].*)$")
_ADMONITION = re.compile(r"^(NOTE|TIP|IMPORTANT|WARNING|CAUTION):\s+(.*)$")
_ADMONITION_STYLE = re.compile(r"^\[(NOTE|TIP|IMPORTANT|WARNING|CAUTION)\b")
_LIST_ITEM = re.compile(r"^\s*(?:\*{1,5}|-|\.{1,5}|\d+\.|[a-zA-Z]\.)\s+(?:\[[ xX*]\]\s+)?(.*)$")
_DESCRIPTION = re.compile(r"^(\S.*?)(?::{2,4}|;;)(?:\s+(.*))?$")
_DELIMITER = re.compile(r"^(-{4,}|\.{4,}|\+{4,}|_{4,}|={4,}|\*{4,}|/{4,}|--)\s*$")
_TABLE = re.compile(r"^([|,:!])={3,}\s*$")
_COLS = re.compile(r"\bcols\s*=\s*\"?([^\"\],]*(?:,[^\"\],]*)*)\"?")
_CELL_SPEC = re.compile(r"(?:^|(?<=\s))(?:\d+\*)?(?:\d*(?:\.\d+)?\+)?[<^>]?(?:\.[<^>])?[aehlmsdv]?$")
_ATTRIBUTE_REFERENCE = re.compile(r"\{([\w][\w-]*)\}")

# Inline markup, reduced to its words.
_XREF = re.compile(r"xref:([^\[\s]+)\[([^\]]*)\]")
_CROSS_REFERENCE = re.compile(r"<<([^,>]+)(?:,\s*([^>]+))?>>")
_LINK = re.compile(r"(?:link:|mailto:)([^\s\[]+)\[([^\]]*)\]|((?:https?|ftp)://[^\s\[]+)\[([^\]]*)\]")
_MACRO = re.compile(r"\b(?:kbd|btn|pass|footnote|footnoteref|indexterm2?|stem|latexmath|asciimath):\[([^\]]*)\]")
_MENU = re.compile(r"\bmenu:([^\[\s]+)\[([^\]]*)\]")
_INLINE_IMAGE = re.compile(r"\bimage:[^\[\s]+\[([^\],]*)[^\]]*\]")
_ANCHOR = re.compile(r"\[\[[^\]]*\]\]|\banchor:[^\[\s]+\[[^\]]*\]|\[#[\w-]+(?:\.[\w-]+)*\]")
_ROLE = re.compile(r"\[\.[\w-]+(?:\.[\w-]+)*\](?=[#*_`])")  # [.role]#text#: the role goes, the text stays
_EMPHASIS = re.compile(r"(?<![\w*_#+])([*_#+]{1,2})(?=\S)(.+?)(?<=\S)\1(?![\w*_#+])")
_HARD_BREAK = re.compile(r"\s\+$")

ADMONITION_WORDS = {"NOTE": "Note", "TIP": "Tip", "IMPORTANT": "Important", "WARNING": "Warning", "CAUTION": "Caution"}


def _words_of(target: str) -> str:
    """An xref or anchor target as words: `security/sso.adoc#saml-setup` is "saml setup", and an Antora
    resource id (`cloudhub-2::ch2-config-app-alerts.adoc`, `ROOT:page$sso.adoc`) is its page's name."""
    name = target.rsplit("#", 1)[-1] if "#" in target else re.split(r"[/:$@]", target)[-1]
    name = re.sub(r"\.adoc$", "", name)
    return re.sub(r"[-_]+", " ", name).strip()


def inline(text: str, attributes: dict[str, str]) -> str:
    """One line's inline markup as its words."""
    text = _ATTRIBUTE_REFERENCE.sub(lambda m: attributes.get(m[1], m[0]), text)
    text = _XREF.sub(lambda m: m[2].strip() or _words_of(m[1]), text)
    text = _CROSS_REFERENCE.sub(lambda m: (m[2] or "").strip() or _words_of(m[1]), text)
    text = _MENU.sub(lambda m: " > ".join([m[1], *[part.strip() for part in m[2].split(">") if part.strip()]]), text)
    text = _INLINE_IMAGE.sub(lambda m: m[1].strip(), text)
    text = _MACRO.sub(lambda m: m[1], text)
    text = _LINK.sub(lambda m: (m[2] if m[1] else m[4]).split(",")[0].strip() or m[1] or m[3], text)
    text = _ANCHOR.sub("", text)
    text = _ROLE.sub("", text)
    for _ in range(2):  # *_nested_* emphasis
        text = _EMPHASIS.sub(lambda m: m[2], text)
    return _HARD_BREAK.sub("", text)


def _column_count(attributes: str) -> int | None:
    """How many columns a table's `cols` attribute declares ("1,2,3": 3, "3*": 3, "2*,1": 3)."""
    match = _COLS.search(attributes)
    if not match:
        return None
    count = 0
    for spec in match[1].split(","):
        spec = spec.strip()
        repeat = re.match(r"(\d+)\*", spec)
        count += int(repeat[1]) if repeat else 1 if spec else 0
    return count or None


def _cells(line: str, separator: str) -> tuple[str | None, list[str]]:
    """A table line's cells: the text before its first separator (what continues the previous cell), and the
    cells it starts, their specs (`2+`, `a`, `.^`) left out."""
    parts = re.split(rf"(?<!\\){re.escape(separator)}", line)
    if len(parts) == 1:
        return line.strip(), []
    lead, cells = parts[0], parts[1:]
    spec = _CELL_SPEC.search(lead.rstrip()) if lead.strip() else None
    before = lead[: spec.start()] if spec and spec.group(0) else lead
    out: list[str] = []
    for index, cell in enumerate(cells):
        if index + 1 < len(cells):  # a spec at the end of this cell's text belongs to the next cell
            match = _CELL_SPEC.search(cell.rstrip())
            if match and match.group(0):
                cell = cell[: match.start()]
        out.append(cell.replace(f"\\{separator}", separator).strip())
    return (before.strip() or None), out


def _table(lines: list[str], separator: str, columns: int | None, attributes: dict[str, str]) -> list[str]:
    """A table's rows as pipe rows; the first row is its header."""
    if separator in ",:":  # CSV and DSV tables: one row per line
        rows = [[cell.strip() for cell in line.split("," if separator == "," else ":")] for line in lines if line]
    else:
        cells: list[str] = []
        first_line_cells: int | None = None
        for line in lines:
            if not line.strip():
                continue
            before, started = _cells(line, separator)
            if before and cells:
                cells[-1] = f"{cells[-1]} {before}".strip()
            if started and first_line_cells is None:
                first_line_cells = len(started)
            cells.extend(started)
        width = columns or first_line_cells or 1
        rows = [cells[i : i + width] for i in range(0, len(cells), width)]
    if not rows:
        return []
    out = ["| " + " | ".join(inline(cell, attributes).replace("|", "/") for cell in row) + " |" for row in rows]
    out.insert(1, "| " + " | ".join("---" for _ in rows[0]) + " |")
    return ["", *out, ""]


def to_markdown(source: str) -> tuple[str, str | None]:
    """The page as Markdown-like text, and its title (the document's `= Title`) when it has one."""
    attributes: dict[str, str] = {}
    out: list[str] = []
    title: str | None = None
    lines = source.replace("\r\n", "\n").split("\n")
    pending_attributes = ""  # the block attribute line before a block: [NOTE], [source,java], [cols="1,2"]
    admonition: str | None = None  # an admonition block's label, for its first paragraph
    closing: list[str] = []  # open delimiters of blocks whose content is read as text
    index = 0
    while index < len(lines):
        line = lines[index].rstrip()
        index += 1
        stripped = line.strip()
        if stripped.startswith("////") and _DELIMITER.match(stripped):  # a comment block: skipped whole
            while index < len(lines) and lines[index].strip() != stripped:
                index += 1
            index += 1
            continue
        if line.startswith("//"):
            continue
        entry = _ATTRIBUTE_ENTRY.match(line)
        if entry:
            value = entry[4] or ""
            while value.endswith(" \\") and index < len(lines):  # a value continued on the next line
                value = value[:-2] + " " + lines[index].strip()
                index += 1
            if entry[1] or entry[3]:
                attributes.pop(entry[2], None)
            else:
                attributes[entry[2]] = inline(value.strip(), attributes)
            continue
        if _PREPROCESSOR.match(stripped) or _BLOCK_MACRO.match(stripped) or stripped == "+":
            continue
        if _BLOCK_ATTRIBUTES.match(stripped) and not stripped.startswith("[["):
            pending_attributes = stripped
            style = _ADMONITION_STYLE.match(stripped)
            admonition = ADMONITION_WORDS[style[1]] if style else admonition
            continue
        if stripped.startswith("[[") and stripped.endswith("]]"):
            continue  # an anchor
        table = _TABLE.match(stripped)
        if table:
            body: list[str] = []
            while index < len(lines) and not _TABLE.match(lines[index].strip()):
                body.append(lines[index].rstrip())
                index += 1
            index += 1
            columns = _column_count(pending_attributes)
            out += _table(body, table[1], columns, attributes)
            pending_attributes = ""
            continue
        delimiter = _DELIMITER.match(stripped)
        if delimiter:
            fence = delimiter[1]
            if closing and closing[-1] == fence:  # the end of a block read as text
                closing.pop()
                admonition = None
                continue
            verbatim = fence[0] in "-.+" and fence != "--"
            if verbatim:  # a listing, literal or passthrough block: code, or nothing a reader needs
                body = []
                while index < len(lines) and lines[index].rstrip() != fence:
                    body.append(lines[index].rstrip())
                    index += 1
                index += 1
                if fence[0] != "+" and body:
                    out += ["", "```", *body, "```", ""]
                pending_attributes = ""
                continue
            closing.append(fence)  # an example, sidebar, quote or open block: its content is text
            pending_attributes = ""
            continue
        heading = _HEADING.match(line)
        if heading:
            level = len(heading[1])
            text = inline(heading[2], attributes)
            if level == 1 and title is None:
                title = text
            out += ["", "#" * level + " " + text, ""]
            pending_attributes = ""
            continue
        if not stripped:
            out.append("")
            continue
        block_title = _BLOCK_TITLE.match(stripped)
        if block_title and not _LIST_ITEM.match(stripped):
            words = inline(block_title[1], attributes)
            out += ["", words if words.endswith((".", ":", "?", "!")) else words + ":", ""]
            continue
        said = _ADMONITION.match(stripped)
        if said:
            out.append(f"{ADMONITION_WORDS[said[1]]}: {inline(said[2], attributes)}")
            continue
        item = _LIST_ITEM.match(line)
        if item:
            out.append("- " + inline(item[1], attributes))
            continue
        term = _DESCRIPTION.match(stripped)
        if term and "://" not in term[1] and not term[1].startswith("|"):
            meaning = inline(term[2] or "", attributes)
            out.append(f"- {inline(term[1], attributes)}:" + (f" {meaning}" if meaning else ""))
            continue
        text = inline(stripped, attributes)
        if admonition and (not out or not out[-1].strip()):
            text = f"{admonition}: {text}"
            admonition = None
        if out and out[-1].startswith("- "):
            out[-1] = f"{out[-1]} {text}"  # a list item's text continued on the next line
            continue
        out.append(text)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip() + "\n", title
