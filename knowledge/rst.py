"""reStructuredText to HTML with docutils, safely and forgivingly, for the HTML reader (knowledge/loaders.py).

Documentation sets written for Sphinx use roles and directives plain docutils does not know (`:doc:`,
`:ref:`, `.. tab::`). A Sphinx build resolves them; a knowledge base only needs their words. So every role
reads as its title ("Cloud subscriptions" of ``:doc:`Cloud subscriptions </cloud>` ``) and every unknown
directive as a plain container of its content, so nothing a page says is lost to markup we cannot build.
Files are never read on a document's behalf (`.. include::`, `.. raw::` are off): a document is text.
"""

from __future__ import annotations

import functools
import re
from typing import Any

_DIRECTIVE = re.compile(r"^\s*\.\.\s+([A-Za-z][\w:-]*)::", re.MULTILINE)
_ROLE = re.compile(r":([A-Za-z][\w:+-]*):`")
_TARGET = re.compile(r"^(.*?)\s*<[^<>]*>$", re.DOTALL)  # "Title <target>": the title

# Directives whose content is navigation or code, not prose a rep asks about.
_SKIPPED = frozenset({"toctree", "code-block", "sourcecode", "literalinclude", "automodule", "autoclass"})

SETTINGS = {
    "file_insertion_enabled": False,  # no `.. include::` of files on this machine
    "raw_enabled": False,
    "report_level": 5,  # markup problems are not the reader's business
    "halt_level": 5,
    "warning_stream": False,
    "input_encoding": "unicode",
    "syntax_highlight": "none",
    "embed_stylesheet": False,
}


def _title_role(
    name: str, rawtext: str, text: str, lineno: int, inliner: Any, options: Any = None, content: Any = None
) -> tuple[list[Any], list[Any]]:
    from docutils import nodes

    match = _TARGET.match(text)
    shown = (match[1] if match and match[1] else text).lstrip("~!")
    return [nodes.inline(rawtext, shown)], []


class _AnyOption(dict):  # type: ignore[type-arg]
    """An option table that accepts any option name and keeps its value as written."""

    def __contains__(self, key: object) -> bool:
        return True

    def __getitem__(self, key: str) -> Any:
        return lambda value: value


@functools.cache
def _containers() -> tuple[type, type]:
    """Two directives for what docutils does not know: one reads as its content, one (navigation, code) as
    nothing. Made once: docutils is imported only when a reStructuredText document is read."""
    from docutils import nodes
    from docutils.parsers.rst import Directive

    class Container(Directive):
        has_content = True
        optional_arguments = 10
        final_argument_whitespace = True
        option_spec = _AnyOption()  # any options, ignored

        def run(self) -> list[Any]:
            if not self.content:
                return []
            node = nodes.container("\n".join(self.content))
            self.state.nested_parse(self.content, self.content_offset, node)
            return [node]

    class Skipped(Container):
        def run(self) -> list[Any]:
            return []

    return Container, Skipped


def to_html(source: str) -> tuple[str, str | None]:
    """The document as HTML, and its title (the first heading) when it has one."""
    from docutils.core import publish_parts
    from docutils.parsers.rst import directives, roles
    from docutils.parsers.rst.languages import en

    for name in set(_ROLE.findall(source)):
        if name.lower() not in en.roles:  # Sphinx's :doc:, :ref:, :guilabel: ...: their words
            roles.register_local_role(name, _title_role)
    container, skipped = _containers()
    for name in set(_DIRECTIVE.findall(source)):
        if name in _SKIPPED or name.lower() not in en.directives:
            directives.register_directive(name, skipped if name in _SKIPPED else container)
    parts = publish_parts(source, writer="html5", settings_overrides=SETTINGS)
    title = re.sub(r"<[^>]+>", "", parts.get("title") or "").strip() or None
    return parts["html_title"] + parts["body"], title
