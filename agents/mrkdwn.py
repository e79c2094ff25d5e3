"""Slack mrkdwn from text we do not control: people's words, and replies a model wrote from them.

Slack treats `&`, `<` and `>` as control characters: `<!channel>` pings a whole channel and
`<https://evil.example|click here>` hides where a link goes. People's text is escaped wherever it
is shown; a model's reply is mrkdwn whose own formatting is kept while anything in angle brackets
it was not entitled to write is escaped. Both leave entities already escaped as they are, so text
escaped once (by an agent) and again (by a view) still reads as the person wrote it.
"""

from __future__ import annotations

import re
from collections.abc import Collection

_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_CONTROL = re.compile(r"&(?:amp|lt|gt);|[&<>]")
_MARKUP = re.compile(r"<(?P<token>[^<>\n]*)>|(?P<entity>&(?:amp|lt|gt);)|(?P<char>[&<>])")
_MENTION = re.compile(r"@([UW][A-Z0-9]{2,30})")


def escape(text: str) -> str:
    """People's text as mrkdwn that shows exactly what they wrote: no mention, link or command can come of it."""
    return _CONTROL.sub(lambda m: _ENTITIES.get(m[0], m[0]), text)


_ESCAPED_MENTION = re.compile(r"&lt;@([UW][A-Z0-9]{2,30})&gt;")


def escape_keeping_mentions(text: str) -> str:
    """People's text escaped, except the people they mentioned (`<@U…>`): a next step's title such as "Loop in
    <@U0SE1> on the POC" shows the colleague, while `<!channel>`, group pings and links stay text."""
    return _ESCAPED_MENTION.sub(lambda m: f"<@{m[1]}>", escape(text))


def untrusted(text: str, *, links: Collection[str] = (), users: Collection[str] = ()) -> str:
    """A model's mrkdwn made safe to post. Bold, italics, code, emoji and `>` quotes stay; a `<…>` stays
    only when it mentions one of `users` or links to one of `links` (the sources the run retrieved);
    every other one (`<!channel>`, `<!subteam^…>`, a mention, a disguised link) is shown as text."""

    def safe(match: re.Match[str]) -> str:
        if match["entity"]:
            return match["entity"]
        if match["char"]:
            at_line_start = match.start() == 0 or text[match.start() - 1] == "\n"
            return ">" if match["char"] == ">" and at_line_start else _ENTITIES[match["char"]]
        token = match["token"]
        mention = _MENTION.fullmatch(token)
        target = token.partition("|")[0]
        if (mention and mention[1] in users) or (target in links and target.startswith(("https://", "http://"))):
            return match[0]
        return f"&lt;{escape(token)}&gt;"

    return _MARKUP.sub(safe, text)
