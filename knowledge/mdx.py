"""MDX read as the Markdown it carries: documentation sites (Docusaurus, Nextra, Mintlify) write pages in MDX,
and those pages often arrive as `.md` files. Their JavaScript is not content: `import` and `export` statements,
component tags and the expressions passed to them would otherwise be indexed, embedded and quoted to a rep
("import Tabs from '@theme/Tabs'", "<Mermaid chart={ graph TD ... }>").

What is kept: the text between component tags (a `<Note>`'s words, a `<TabItem>`'s content) and the label a
component shows (`<ConsoleLabel name="Service settings"/>` reads "Service settings"). Fenced code blocks are left
exactly as written. There is no MDX parser for Python; the rules here follow the MDX grammar's top-level
statements and JSX tags, and leave anything they do not recognise as it is.
"""

from __future__ import annotations

import re

_FENCE = re.compile(r"^\s*(```|~~~)")
_MDX_BLOCK = re.compile(r"^\s*(?:```|~~~)\s*mdx-code-block\s*$")
# A statement at the start of a line: `import X from "..."`, `import "..."`, `import {` (its names on the lines
# below), `export const ...`. Prose that happens to start a line with "import" or "export" does not match.
_ESM = re.compile(
    r"^(?:import\s+(?:[\w*{}\s,]+\s+from\s+)?['\"]|import\s*\{|export\s+(?:const|let|var|default|function|async|\{))"
)
# `export const description = "..."`: what the page says it is about, kept as a line of its text.
_DESCRIBED = re.compile(
    r"""^export\s+const\s+(?:description|summary|subtitle|excerpt)\s*=\s*(?:"([^"]*)"|'([^']*)')\s*;?\s*$"""
)
# Any tag: in MDX even `<div style={{...}}>` is JSX, and its words are what a reader sees between the tags.
_COMPONENT_START = re.compile(r"<(/?)([A-Za-z][\w.-]*)")
_HEADING_ID = re.compile(r"^(#{1,6}\s.*?)\s*\{#[\w-]+\}\s*$")  # "## Plans {#plans}": the anchor is not a word
_LABEL = re.compile(r'\b(?:name|label|title)\s*=\s*"([^"]+)"')
# An icon shows a picture: its `name` ("angle-right", "star") is no word a reader sees. Only a label it is given
# for screen readers counts; a tick or a cross in a comparison table reads as one.
_ICON = re.compile(r"<(?:\w+\.)?(?:Icon\w*|\w+Icon)\b")
_ICON_LABEL = re.compile(r'\b(?:label|title|aria-label|alt)\s*=\s*"([^"]+)"')
_ICON_MARKS = {"iconcheck": "✓", "iconx": "✗", "iconcross": "✗"}
_EXPRESSION_LINE = re.compile(r"^\s*\{")  # `{/* a comment */}`, `{props.items.map(...)}`


def plain_markdown(text: str) -> str:
    """`text` with MDX's import/export statements, component tags and JavaScript expressions taken out."""
    if not _looks_like_mdx(text):
        return text
    lines = text.split("\n")
    kept: list[str] = []
    index = 0
    fenced: str | None = None  # inside a code block opened with this fence
    unwrapping: str | None = None  # inside an `mdx-code-block`, closed with this fence
    while index < len(lines):
        line = lines[index]
        fence = _FENCE.match(line)
        if fence and fenced is None and _MDX_BLOCK.match(line):
            unwrapping, index = fence[1], index + 1  # Docusaurus's fence for MDX to render: read as MDX
            continue
        if fence and fenced is None and unwrapping == fence[1] and not line.strip().strip(fence[1]):
            unwrapping, index = None, index + 1
            continue
        if fenced is not None or fence:
            if fence and fenced is None:
                fenced = fence[1]
            elif fence and fence[1] == fenced:
                fenced = None
            kept.append(line)
            index += 1
            continue
        if _ESM.match(line):
            described = _DESCRIBED.match(line)
            if described:  # the page's own summary: words a reader (and retrieval) needs
                kept.append(described[1] or described[2])
            index = _statement_end(lines, index) + 1
            continue
        if _EXPRESSION_LINE.match(line):
            end, rest = _expression_end(lines, index, line.index("{"))
            if end is not None:
                if rest.strip():
                    lines[end] = rest
                    index = end
                else:
                    index = end + 1
                continue
        line = _HEADING_ID.sub(r"\1", line)
        if "<" in line and _COMPONENT_START.search(line):
            in_markup = line.lstrip().startswith("<")
            line, index = _without_components(lines, index)
            if in_markup:  # what was inside a JSX block, not an indented code block
                line = line.strip()
        kept.append(line)
        index += 1
    return "\n".join(kept)


def _looks_like_mdx(text: str) -> bool:
    """An import or export statement, or a component closed as JSX closes it (`</Tabs>`, `<Note />`): not
    Markdown that merely writes `List<String>`."""
    return bool(
        any(_ESM.match(line) for line in text.split("\n"))
        or re.search(r"</[A-Z][\w.]*>|<[A-Z][\w.]*(?:\s[^<>]*)?/>", text)
    )


def _statement_end(lines: list[str], start: int) -> int:
    """The last line of the import or export statement starting at `start`: brackets balanced, and for an
    import, its `from '...'` reached."""
    depth = 0
    for index in range(start, len(lines)):
        depth += _depth_change(lines[index])
        import_open = lines[start].startswith("import") and not re.search(r"['\"]\s*;?\s*$", lines[index])
        if depth <= 0 and not import_open:
            return index
    return len(lines) - 1


def _depth_change(line: str) -> int:
    code = re.sub(r"'[^'\n]*'|\"[^\"\n]*\"|`[^`\n]*`", "", line)
    return sum(code.count(c) for c in "{[(") - sum(code.count(c) for c in "}])")


def _expression_end(lines: list[str], start: int, column: int) -> tuple[int | None, str]:
    """Where the `{...}` opened at `lines[start][column]` closes: its line and what follows it there."""
    depth = 0
    for index in range(start, len(lines)):
        line = lines[index]
        for position in range(column if index == start else 0, len(line)):
            if line[position] == "{":
                depth += 1
            elif line[position] == "}":
                depth -= 1
                if depth == 0:
                    return index, line[position + 1 :]
    return None, ""


def _without_components(lines: list[str], index: int) -> tuple[str, int]:
    """The line at `index` with its component tags replaced by the labels they show (or nothing); a tag that
    runs over several lines (an expression in its props) is taken out whole. Returns the line and the index
    of the last line read."""
    text = lines[index]
    out: list[str] = []
    position = 0
    while True:
        match = _COMPONENT_START.search(text, position)
        while match is not None and _in_code_span(text, match.start()):  # `List<String>` is code, not a tag
            match = _COMPONENT_START.search(text, match.end())
        if match is None:
            out.append(text[position:])
            return "".join(out), index
        out.append(text[position : match.start()])
        end = _tag_end(text, match.end())
        while end is None and index + 1 < len(lines):  # the tag continues on the next line
            index += 1
            text = text + "\n" + lines[index]
            end = _tag_end(text, match.end())
        if end is None:
            out.append(text[match.start() :])
            return "".join(out), index
        tag = text[match.start() : end]
        out.append("" if match[1] else _shown(match[2], re.sub(r"\{[^{}]*\}", "", tag)))
        position = end


def _shown(name: str, tag: str) -> str:
    """What a component's tag shows a reader in place of itself: its label, an icon's mark, or nothing."""
    if _ICON.match(f"<{name}"):
        label = _ICON_LABEL.search(tag)
        return label[1] if label else _ICON_MARKS.get(name.lower(), "")
    label = _LABEL.search(tag)
    return label[1] if label else ""


def _in_code_span(text: str, position: int) -> bool:
    line_start = text.rfind("\n", 0, position) + 1
    return text.count("`", line_start, position) % 2 == 1


def _tag_end(text: str, start: int) -> int | None:
    """The position just after the `>` closing the tag whose name ends at `start`, skipping quoted values and
    `{...}` expressions; None when the text ends first."""
    depth = 0
    quote: str | None = None
    for position in range(start, len(text)):
        char = text[position]
        if quote:
            if char == quote:
                quote = None
        elif char in "\"'" and depth == 0:
            quote = char
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        elif char == ">" and depth == 0:
            return position + 1
    return None
