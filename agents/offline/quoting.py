"""Extractive answers: the sentences of a passage that answer a question, and how to cite it."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from agents import figures
from knowledge import lexical
from knowledge.asked import figure_asked_for
from knowledge.models import NOT_FOR_CUSTOMERS


def cite(passage: dict[str, Any]) -> str:
    source = passage.get("source", "")
    label = _title_words(passage)
    headings = [_heading_words(part) for part in str(passage.get("section") or "").split(" › ")]
    if any(headings):
        label = f"{label} › {' › '.join(heading for heading in headings if heading)}"
    link = f"<{source}|{label}>" if source.startswith("http") else f"{label} ({source})"
    warning = NOT_FOR_CUSTOMERS.get(passage.get("audience") or "")  # an Audience is its string
    restricted = f" · :lock: _{warning}_" if warning else ""  # a source that may not leave the company
    return link + (" _(may be out of date)_" if passage.get("stale") else "") + restricted


_EMPHASIS = re.compile(r"\*\*|__|`")  # Markdown emphasis reads as noise in a quote


def _heading_words(heading: str) -> str:
    """A heading as its words: a linked heading ("[TCP proxy sidecar](./sidecar.md)") reads as its link's words.
    A heading that states an amount ("Why is my invoice more than $25?") is left out: an answer copies no
    amount out of a document, its attribution included (prices come from CPQ)."""
    words = _EMPHASIS.sub("", _LINK.sub(r"\1", heading)).strip()
    return "" if figures.states_money(words) else words


def _title_words(passage: dict[str, Any]) -> str:
    """The document's title as its words; its file name when the title states an amount."""
    return _heading_words(str(passage.get("title") or "")) or _heading_words(
        str(passage.get("path") or passage.get("source") or "source").rsplit("/", 1)[-1]
    )


def quoted_from(passage: dict[str, Any]) -> str:
    """Where a quote is from, as its attribution reads: the document and the heading it sits under ("LDAP ›
    refresh_interval"), the place a reader would look, and in reference pages the very setting it is about."""
    title = _title_words(passage)
    heading = _heading_words(str(passage.get("section") or "").split(" › ")[-1])
    return f"{title} › {heading}" if heading and heading.lower() != title.lower() else title


def _cells(line: str) -> list[str] | None:
    """A Markdown table line's cells; None for the |---|---| line under the header."""
    cells = [c.strip() for c in line.strip("|").split("|")]
    return None if all(set(c) <= set("-: ") for c in cells) else cells


def sentences(text: str) -> list[str]:
    """Sentences, with table rows read out as "Row: Column value, ..." so they quote well."""
    return [unit for group in _groups(text) for unit in group]


SHORT_ITEM = 80  # characters: list items this short, after a lead-in ending in ":", read as one sentence


# A list item's marker: "- ", "* ", "+ ", "•" or a step's number ("1. ", "2) "). Not "**Viewer** (read-only)": bold words
# may open a line of prose.
_ITEM = re.compile(r"(?:[-*+]\s+|•\s*|\d{1,2}[.)]\s+)")
_RULE = re.compile(r"(?:[-*_]\s*){3,}$")  # a thematic break ("---", "***") ends a paragraph, as a heading does


def _groups(text: str) -> list[list[str]]:
    """The sentences of each paragraph, list item and table row (read out as "Row: Column value, ..."). A
    lead-in ending in ":" and the short items of the list under it are one sentence ("Invoices can be sent
    in: Euros; Pounds sterling; Swiss francs"): the answer is the list, not its first item."""
    groups: list[list[str]] = []
    items: set[int] = set()  # which groups are list items
    header: list[str] = []
    prose: list[str] = []
    in_item = False

    def flush() -> None:
        if prose:
            plain = _EMPHASIS.sub("", " ".join(prose))
            if in_item:
                items.add(len(groups))
            groups.append([u.strip() for u in re.split(r"(?<=[.!?])\s+", plain) if u.strip()])
            prose.clear()

    for line in text.split("\n"):
        line = line.strip()
        if line.startswith("|"):
            flush()
            cells = _cells(_EMPHASIS.sub("", line))
            if cells is None:
                continue
            if not header:
                header = cells
                continue
            pairs = [f"{h} {c}" for h, c in zip(header[1:], cells[1:], strict=False) if c]
            groups.append([f"{cells[0]}: {', '.join(pairs)}."])
            continue
        header = []
        item = _ITEM.match(line)
        if not line or item or line.startswith("#") or _RULE.match(line):
            flush()
            if item:
                in_item = True
                prose.append(line[item.end() :])
            elif line:  # a heading ends a list; a blank line may sit between its items
                in_item = False
            continue
        if not prose:
            in_item = False
        prose.append(line)
    flush()
    kept = [[u for u in group if len(u) > 3 and not u.startswith("…")] for group in _listed(groups, items)]
    return [group for group in kept if group]


def _listed(groups: list[list[str]], items: set[int]) -> list[list[str]]:
    """`groups` with each lead-in ending in ":" joined to the run of short list items right under it."""
    joined: list[list[str]] = []
    index = 0
    while index < len(groups):
        group = groups[index]
        lead_in = index not in items and bool(group) and group[-1].endswith(":")
        run = index + 1
        while run < len(groups) and run in items and len(groups[run]) == 1 and len(groups[run][0]) <= SHORT_ITEM:
            run += 1
        if lead_in and run - index > 1:
            listed = "; ".join(g[0].rstrip(".;,") for g in groups[index + 1 : run])
            joined.append([*group[:-1], f"{group[-1]} {listed}."])
            index = run
            continue
        labels = _item_labels(groups, items, index + 1) if lead_in else []
        if len(labels) >= 2:
            # "There are three types of roles:" over items "Owner: ...", "Editor: ...": the lead-in names them all,
            # and each item stays a sentence of its own for what it says
            joined.append([*group[:-1], f"{group[-1]} {'; '.join(labels)}."])
            index += 1
            continue
        joined.append(group)
        index += 1
    return joined


# A list item that opens by naming its thing: "Editor: can edit...", "Okta - the ...". Bold is already gone.
_ITEM_LABEL = re.compile(r"^([^:;.,()\[\]]{1,40}?)\s*(?::|\s[-–—])\s+\S")
MOST_LABEL_WORDS = 5


def _item_labels(groups: list[list[str]], items: set[int], start: int) -> list[str]:
    """The names the run of list items from `start` open with, when every item of the run opens with one."""
    labels: list[str] = []
    index = start
    while index < len(groups) and index in items and groups[index]:
        match = _ITEM_LABEL.match(groups[index][0])
        if not match or len(match[1].split()) > MOST_LABEL_WORDS:
            return []
        labels.append(match[1].strip())
        index += 1
    return labels


def quote(text: str, query: str, limit: int = 420) -> str:
    """The passage's sentences that share the most words with the question, in their original order."""
    wanted = set(lexical.tokens(query))
    units = sentences(text)
    overlap = [len(wanted & set(lexical.tokens(unit))) for unit in units]
    ranked = sorted(range(len(units)), key=lambda i: (-overlap[i], i))
    best = overlap[ranked[0]] if ranked else 0
    chosen: list[int] = []
    for index in ranked:
        # Keep to the sentences that answer: close to the best match, within the length budget.
        if chosen and (overlap[index] < best * 0.6 or sum(len(units[i]) for i in chosen) + len(units[index]) > limit):
            break
        chosen.append(index)
        if len(chosen) == 3:
            break
    return " ".join(units[i] for i in sorted(chosen))


def _table_rows(text: str) -> Iterator[tuple[list[str], list[str]]]:
    """Each row of the tables in a passage, with its table's header, as a rep reads them (and as the row's
    sentence quotes it): links as their words, no HTML or emphasis."""
    header: list[str] = []
    for line in readable(text).split("\n"):
        line = line.strip()
        if not line.startswith("|"):
            header = []
            continue
        cells = _cells(_EMPHASIS.sub("", line))
        if cells is None:
            continue
        if not header:
            header = cells
            continue
        yield header, cells


def table_cell(text: str, query: str, *, rows: Collection[str] | None = None) -> str | None:
    """The one cell of a table the question asks for, as "Row, Column: value": the question names the
    row ("P1") and the column ("Premium"), each by at least half of its words (one shared word of "Consent
    required for third-party marketing" does not name that row). With `rows`, only a row of those labels
    (the rows that answer the question best) may hold it. None when no table cell is named that way."""
    wanted = set(lexical.tokens(query))
    numbers = set(_LABEL_NUMBER.findall(query.lower()))
    best: tuple[int, str] | None = None
    for header, cells in _table_rows(text):
        if rows is not None and cells[0] not in rows:
            continue
        row = _named(wanted, cells[0], numbers)
        if not row:
            continue
        for name, value in zip(header[1:], cells[1:], strict=False):
            column = _named(wanted - row, name, numbers)  # the column names something the row does not
            if column and value and (best is None or len(row) + len(column) > best[0]):
                best = (len(row) + len(column), f"{cells[0]}, {name}: {value}")
    return best[1] if best else None


LISTED_LABEL = 40  # characters: longer first cells are sentences, not names of a kind


def table_listing(text: str, query: str) -> str | None:
    """The labels of a table's rows, as "Role: Owner, Developer, Viewer", when the question asks which of the
    kind its first column names there are ("what roles come out of the box?" over a table of roles and what each
    may do). Not when the question names a row or another column: "which plans have SSO?" over a table of plans
    and features asks for some of the rows, not all of them."""
    wanted = set(lexical.tokens(query))
    tables: dict[tuple[str, ...], list[str]] = {}
    for header, cells in _table_rows(text):
        tables.setdefault(tuple(header), []).append(cells[0])
    for header, labels in tables.items():
        kind = set(lexical.tokens(header[0]))
        if not kind or not kind <= wanted or not _asks_for_plural(query, header[0]):
            continue
        others = [name for name in header[1:] if set(lexical.tokens(name)) - kind & wanted]
        named = [label for label in labels if set(lexical.tokens(label)) & wanted]
        shown = [label for label in dict.fromkeys(labels) if label and len(label) <= LISTED_LABEL]
        if not others and not named and len(shown) >= 2:
            return f"{header[0]}: {', '.join(shown)}"
    return None


def _asks_for_plural(query: str, kind: str) -> bool:
    """Whether the question asks which of the column's kind there are: "which headers does it pass?", "what
    roles come out of the box?", "list of endpoints". Not "does the metrics endpoint need auth?"."""
    last = kind.strip().split()[-1].lower() if kind.strip() else ""
    plural = rf"{re.escape(last)}(?:s|es)\b"
    # the kind is what "which" asks about, not a word after a preposition ("which port for the metrics")
    word = r"(?!(?:for|on|in|to|with|from|by|at|about|per)\b)[\w/-]+\s+"
    asks = rf"\b(?:(?:which|what)(?:\s+(?:are|is)\s+the)?|list\s+of|all\s+the)\s+(?:{word}){{0,5}}?{plural}"
    return bool(last) and re.search(asks, query, re.IGNORECASE) is not None


# A number standing alone ("0.1", "2.11" at a sentence's end), not P1's 1 or a footnote's ("Chrome [^1]").
_LABEL_NUMBER = re.compile(r"(?<![\w.^])\d+(?:\.\d+)*(?!\w|\.\d)")


def _named(wanted: set[str], label: str, numbers: set[str]) -> set[str]:
    """The words of `wanted` that name `label`: none unless they are at least half of its words and, when the
    label has numbers standing alone, the question says one of them ("0.1 vCores" is named by neither "1 vCore"
    nor "version 1.0"; "2.18 - 2.19" is named by "2.19")."""
    words = {token for token in lexical.tokens(label) if "-" not in token}  # a compound counts as its parts
    own = set(_LABEL_NUMBER.findall(label.lower()))
    if own and not own & numbers:
        return set()
    shared = wanted & words
    return shared if 2 * len(shared) >= len(words) else set()


def row_label(unit: str) -> str:
    """The row a table row's sentence ("P4: Premium 8 hours, ...") reads out: the words before its colon."""
    return unit.split(":", 1)[0]


def other_rows(cell: str, texts: list[str], query: str) -> tuple[str, ...]:
    """How the rows of the tables in `texts` other than the row of `cell` ("P1, Premium: 30 minutes") read as
    sentences ("P4: ..."): when the question names one row, the others do not answer it. A row the question
    names too ("Postgres, Redis and NATS?") is not among them."""
    row = cell.split(",", 1)[0].strip()
    wanted = set(lexical.tokens(query))
    labels = {
        cells[0] + ":"
        for text in texts
        for _, cells in _table_rows(text)
        if cells[0] and cells[0] != row and not wanted & set(lexical.tokens(cells[0]))
    }
    return tuple(sorted(labels))


# Composing an answer from several passages --------------------------------------------------------------------

_FENCE_LINE = re.compile(r"^\s*(?:```|~~~)")  # a code block reads as noise in a quote
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
# inline and reference links, their words perhaps bracketed themselves ("[kopia policy set [target]](...)")
_LINK = re.compile(r"\[((?:[^\[\]\n]|\[[^\]\n]*\])*)\](?:\([^)\n]*\)|\[[^\]\n]*\])")
# HTML tags, template shortcodes ("{{% alert %}}", "{{< ref ... >}}"), MDX expressions, admonition fences
_MARKUP = re.compile(r"<[^>\n]*>|\{\{[^\n]*?\}\}|\{[^{}\n]*\}|:::[a-z]*")
# An MDX component that shows a label (a console button, an icon) reads as that label: "Click actions >", not
# "Click  >".
_LABELLED = re.compile(r'<[A-Z]\w*\s[^>\n]*?\b(?:name|label|title)="([^"]+)"[^>\n]*/?>')
_HEADING = re.compile(r"^\s*#{2,}\s*(.+?)\s*#*\s*$")
# A notice's marker ("!!! warning", "!!!!! Only in Enterprise": MkDocs and Grav admonitions) says how the text
# is boxed on the site, not what it says.
_ADMONITION = re.compile(
    r"^[ \t>]*!{2,}[ \t]*(?:(?:note|tip|hint|info|warning|danger|important|caution|example|success|abstract)\b"
    r"(?:[ \t]+\"[^\"\n]*\")?[ \t]*$)?",
    re.IGNORECASE | re.MULTILINE,
)
# A Markdown quote's markers and a GitHub alert's label ("> [!NOTE]"): the quoted words are the page's own.
_BLOCKQUOTE = re.compile(r"^[ \t]*(?:>[ \t]?)+(?:\[![A-Z]+\][ \t]*$)?", re.MULTILINE)
# The question asks for an amount, a duration, a version or a limit: a sentence stating a number answers it.
_ASKS_FOR_NUMBER = re.compile(
    r"\b(?:how\s+(?:long|many|much|often|fast|soon|quickly|big|large|old)|what\s+versions?|which\s+versions?|"
    r"max(?:imum)?|min(?:imum)?|limits?|cap|caps|timeouts?|when|response\s+time|uptime|retention|notice|"
    r"percent(?:age)?|rate|size|number\s+of|oldest|newest|latest)\b",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"\d")
_CODE_CHARACTERS = frozenset("{}[]=<>_/#`|$\\")
NUMBER_BONUS = 0.15  # of a sentence's share of the question, when the question asks for a number and it has one
# The question asks which plan, tier or edition has something: a sentence that says where a feature is available
# answers it ("Managed SSO — Available on the Enterprise Plus plan", a comparison row "Enforce 2FA: Free ❌, Team ✅").
_ASKS_FOR_PLAN = re.compile(
    r"\b(?:which|what)\s+(?:\w+\s+)?(?:plans?|tiers?|editions?|subscriptions?|licen[cs]es?)\b|"
    r"\b(?:plans?|tiers?|editions?)\s+(?:do|does|is|are)\b",
    re.IGNORECASE,
)
_PLAN_STATED = re.compile(
    r"\b(?:available|included|offered|only)\s+(?:on|in|with|for)\b|\b(?:plans?|tiers?|editions?)\b|[✅✓]",
    re.IGNORECASE,
)
PLAN_BONUS = NUMBER_BONUS  # of a sentence's share of the question, as for a number
RANK_DISCOUNT = 0.02  # per place a passage is below the first
RUNNERS_UP = 0.5  # a further sentence is quoted when it answers at least this share of the best one
MOST_SENTENCES = 5
ANSWER_BUDGET = 800  # characters of quoted sentences
HEADING_SHARE = 0.5  # of a concept's weight, when the passage's heading holds it and the sentence does not
LONGEST_QUOTE = 450  # characters of one sentence
WHOLE_PARAGRAPH = 320  # characters: a paragraph or list item this short is quoted whole
CLOSENESS_WEIGHT = 1.0  # of a sentence's cosine to the question, next to its share of the question's concepts
PARAGRAPH_FOLLOWS = 2  # sentences of the best sentence's paragraph quoted after it
ANNOUNCED_COMMAND = 120  # characters: a one-line code block this short, announced by a sentence, is quoted with it
SHORT_SENTENCE = 70  # characters: a sentence this short, or one ending in ":", is quoted with the one after it
# Of the share of the question a heading holds, for the first sentence under a heading that asks a question (a
# FAQ's "What happens once I reach the limit?"): that sentence is the page's own answer to it.
FIRST_ANSWER_SHARE = 0.5


def _without_code(text: str) -> str:
    """`text` without its code blocks. A chunk may begin inside a code block: then its first fence closes that
    block, and the prose after it is kept."""
    lines = text.split("\n")
    fences = [i for i, line in enumerate(lines) if _FENCE_LINE.match(line)]
    # A fence that names its language opens a block: if reading from outside would meet one inside a block, the
    # passage began inside one. Either reading may fit: then an odd number of fences, the first of them bare,
    # says the first one closes.
    from_outside, from_inside = _fences_agree(lines, fences, inside=False), _fences_agree(lines, fences, inside=True)
    odd_and_bare = len(fences) % 2 == 1 and lines[fences[0]].strip() in ("```", "~~~")
    inside = from_inside and (not from_outside or odd_and_bare)
    kept: list[str] = []
    block: list[str] = []
    for index, line in enumerate(lines):
        if index in fences:
            if inside:
                _announced_command(kept, block)
            inside, block = not inside, []
            kept.append("")
        elif inside:
            block.append(line)
        else:
            kept.append(line)
    return "\n".join(kept)


def _announced_command(kept: list[str], block: list[str]) -> None:
    """A one-line code block that a sentence ending in ":" announces ("Update the CRDs:", then `velero install
    --crds-only ...`) is what the sentence says to do: it joins the sentence, where the flag a rep asks about is."""
    code = [line.strip().removeprefix("$ ") for line in block if line.strip()]
    if len(code) != 1 or len(code[0]) > ANNOUNCED_COMMAND or code[0].startswith(("#", "//")):
        return
    lead = next((i for i in range(len(kept) - 1, -1, -1) if kept[i].strip()), None)
    if lead is not None and kept[lead].rstrip().endswith(":") and not kept[lead].lstrip().startswith(("|", "#")):
        kept[lead] = f"{kept[lead].rstrip()} {code[0]}"


def _fences_agree(lines: list[str], fences: list[int], *, inside: bool) -> bool:
    for index in fences:
        if inside and lines[index].strip() not in ("```", "~~~"):
            return False  # "```bash" cannot close a block
        inside = not inside
    return True


def readable(text: str) -> str:
    """A passage's text as a rep reads it: no code blocks, images, HTML or MDX markup, links as their words, and
    each sub-heading in front of the first sentence under it (it names what the sentences below are about)."""
    text = _without_code(text)
    text = _BLOCKQUOTE.sub("", _ADMONITION.sub("", _IMAGE.sub("", text)))
    text = _LINK.sub(r"\1", text)
    text = _MARKUP.sub(" ", _LABELLED.sub(r"\1", text))
    lines: list[str] = []
    heading: str | None = None
    for line in text.split("\n"):
        match = _HEADING.match(line)
        if match:
            heading = match[1].rstrip(":")
            lines.append("")
            continue
        stripped = line.strip()
        if heading and stripped and not stripped.startswith("|"):
            item = _ITEM.match(stripped)
            bullet = item is not None
            body = stripped[item.end() :] if item else stripped
            line = f"{'- ' if bullet else ''}{heading}: {body}"
            heading = None
        elif stripped.startswith("|"):
            heading = None
        lines.append(line)
    return "\n".join(lines)


@dataclass(frozen=True)
class Quoted:
    """A sentence chosen to answer a question: which passage it is from, where, and how well it answers."""

    text: str
    passage: int
    position: int
    score: float


def _code_like(unit: str) -> bool:
    return sum(ch in _CODE_CHARACTERS for ch in unit) > 0.05 * len(unit)


def _units(text: str, quotable: Callable[[str], bool]) -> tuple[list[str], list[int]]:
    """What may be quoted of a passage: a short paragraph or list item whole (its later sentences often hold
    the figure its first one introduces), a longer one sentence by sentence; and the paragraph of each."""
    units: list[str] = []
    paragraphs: list[int] = []
    for paragraph, group in enumerate(_groups(readable(text))):
        kept = [unit for unit in group if quotable(unit)]
        whole = " ".join(kept)
        if len(whole) <= WHOLE_PARAGRAPH:
            kept = [whole] if whole else []
        units.extend(_clipped(unit) for unit in kept)
        paragraphs.extend([paragraph] * len(kept))
    return units, paragraphs


def _clipped(unit: str) -> str:
    """A run-on "sentence" (a flattened list or code with no full stop) cut to a quotable length."""
    return unit if len(unit) <= LONGEST_QUOTE else unit[:LONGEST_QUOTE].rsplit(" ", 1)[0] + " …"


def _closeness(question: str, units: list[str]) -> list[float]:
    """The cosine between the question and each unit, by the shipped static embedding model (zeros without it)."""
    from knowledge.static_model import StaticModelMissing, shipped_model

    if not units:
        return []
    try:
        vectors = shipped_model().encode([question, *units])
    except StaticModelMissing:
        return [0.0] * len(units)
    norms = np.linalg.norm(vectors, axis=1)
    norms[norms == 0] = 1.0
    unit = vectors / norms[:, None]
    return [float(x) for x in unit[1:] @ unit[0]]


def answering_sentences(
    texts: list[str],
    question: str,
    *,
    headings: list[str] | None = None,
    most: int | None = None,
    budget: int | None = None,
    quotable: Callable[[str], bool] = lambda unit: True,
) -> list[Quoted]:
    """The sentences across `texts` (passages, best first) that answer `question` best, best first.

    Each sentence (or short paragraph) scores the share of the question's concepts it holds, each concept
    weighted by how rare it is among these sentences (a product name every sentence repeats says little; the
    word the question turns on says much), plus its closeness in meaning to the question, a little more when
    the question asks for a number and the sentence states one (of the kind asked for: a duration for "how
    long", a size for "max size"), a little less for each place its passage ranks lower. The best sentence
    leads; others follow when they answer nearly as well, within a length budget; a short sentence (or one
    that announces a list) brings the next one, and a question the page asks itself brings its answer. Only
    sentences `quotable` accepts are considered. A passage's heading (`headings`, one per text: the section a
    chunk is under, often the very question it answers) counts, at a discount, for each of its sentences."""
    most = most or MOST_SENTENCES
    budget = budget or ANSWER_BUDGET
    from knowledge.glossary import default_glossary

    concepts = lexical.analyze(question, default_glossary()).concepts
    split = [_units(text, quotable) for text in texts]
    units = [passage_units for passage_units, _ in split]
    paragraphs = [passage_paragraphs for _, passage_paragraphs in split]
    held = [
        [frozenset(i for i, c in enumerate(concepts) if c.found_in(set(lexical.tokens(u)))) for u in p] for p in units
    ]
    count = sum(len(p) for p in units)
    if not concepts or not count:
        return []
    frequency = [sum(i in h for p in held for h in p) for i in range(len(concepts))]
    weight = [math.log(1 + count / f) if f else 0.0 for f in frequency]
    total = sum(weight)
    if total <= 0:
        return []
    near = iter(_closeness(question, [u for p in units for u in p]))
    wants_number = bool(_ASKS_FOR_NUMBER.search(question))
    wants_plan = bool(_ASKS_FOR_PLAN.search(question))
    figure = figure_asked_for(question) or _NUMBER  # a duration for "how long", a size for "max size"
    headings = headings or [""] * len(texts)
    titled = [
        frozenset(i for i, c in enumerate(concepts) if c.found_in(set(lexical.tokens(heading)))) for heading in headings
    ]
    answered = [
        _asks(heading) and not text.lstrip().startswith("…")  # a chunk that goes on from another starts "…"
        for heading, text in zip(headings, texts, strict=True)
    ]
    candidates: list[tuple[str, int, int, frozenset[int], frozenset[int], float]] = []
    for rank, (passage_units, passage_held) in enumerate(zip(units, held, strict=True)):
        for position, (unit, found) in enumerate(zip(passage_units, passage_held, strict=True)):
            closeness = next(near)
            context = titled[rank] - found
            if not found and not context:
                continue
            extra = CLOSENESS_WEIGHT * closeness + (NUMBER_BONUS if wants_number and figure.search(unit) else 0.0)
            extra += PLAN_BONUS if wants_plan and _PLAN_STATED.search(unit) else 0.0
            if position == 0 and answered[rank]:
                extra += FIRST_ANSWER_SHARE * sum(weight[i] for i in titled[rank]) / total
            candidates.append((unit, rank, position, found, context, extra))

    def score(candidate: tuple[str, int, int, frozenset[int], frozenset[int], float]) -> float:
        unit, rank, _, found, context, extra = candidate
        share = (sum(weight[i] for i in found) + HEADING_SHARE * sum(weight[i] for i in context)) / total + extra
        return share * (0.5 if _code_like(unit) else 1.0) * (1 - RANK_DISCOUNT * rank)

    ranked = sorted(
        (Quoted(c[0], c[1], c[2], score(c)) for c in candidates), key=lambda q: (-q.score, q.passage, q.position)
    )
    chosen: list[Quoted] = []
    used = 0
    for candidate in ranked:
        if len(chosen) == most or (chosen and candidate.score < RUNNERS_UP * chosen[0].score):
            break
        reply = _reply(candidate, units)
        length = len(candidate.text) + (len(reply.text) if reply else 0)
        if (chosen and used + length > budget) or any(q.text == candidate.text for q in chosen):
            continue  # over budget, or the same words again (overlapping chunks of one page)
        chosen.append(candidate)
        if reply is not None and all(q.text != reply.text for q in chosen):
            chosen.append(reply)
        used += length
    return _with_what_follows(chosen, units, paragraphs, budget - used)


def _asks(heading: str) -> bool:
    """Whether the nearest of a passage's headings ("FAQ › Billing › What happens once I reach the limit?") asks."""
    return heading.split(" › ")[-1].strip().endswith("?")


def _reply(asked: Quoted, units: list[list[str]]) -> Quoted | None:
    """The sentence after a question a page asks itself (a FAQ's "Can it run air-gapped?"): it is the answer,
    and the question alone answers nothing, so the two are quoted together."""
    following = asked.position + 1
    if not asked.text.endswith("?") or following >= len(units[asked.passage]):
        return None
    after = units[asked.passage][following]
    return None if after.endswith("?") else Quoted(after, asked.passage, following, 0.0)


def _with_what_follows(
    chosen: list[Quoted], units: list[list[str]], paragraphs: list[list[int]], room: int
) -> list[Quoted]:
    """`chosen` with the sentences that finish what they start, within `room` characters: up to
    PARAGRAPH_FOLLOWS more of the best sentence's paragraph (its key length, its exception), then the sentence
    after each short one or one ending in ":" (what it announces)."""
    taken = {(q.passage, q.position) for q in chosen}

    def take(passage: int, position: int) -> bool:
        nonlocal room
        after = units[passage][position]
        if len(after) > room:
            return False
        chosen.append(Quoted(after, passage, position, 0.0))
        taken.add((passage, position))
        room -= len(after)
        return True

    if chosen:
        best = chosen[0]
        for position in range(best.position + 1, len(units[best.passage])):
            if paragraphs[best.passage][position] != paragraphs[best.passage][best.position]:
                break
            if (best.passage, position) in taken:
                continue
            if position - best.position > PARAGRAPH_FOLLOWS or not take(best.passage, position):
                break
    for quoted in list(chosen):
        following = quoted.position + 1
        announces = len(quoted.text) < SHORT_SENTENCE or quoted.text.endswith(":")
        if announces and following < len(units[quoted.passage]) and (quoted.passage, following) not in taken:
            take(quoted.passage, following)
    return chosen
