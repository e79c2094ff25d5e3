"""A channel as a person reads it: messages, their threads indented beneath, Block Kit rendered as text."""

from __future__ import annotations

import re
import textwrap
from datetime import UTC, datetime
from typing import Any

from bot.emulator.workspace import Workspace

WIDTH = 88
_LINK = re.compile(r"<(https?://[^|>]+)\|([^>]+)>")
_USER = re.compile(r"<@(\w+)>")
_CHANNEL = re.compile(r"<#(\w+)(?:\|[^>]*)?>")
_BOLD = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
_ITALIC = re.compile(r"(?<![\w_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w_])")
_CODE = re.compile(r"`([^`\n]+)`")


def _plain(text: str, workspace: Workspace) -> str:
    text = _LINK.sub(lambda m: f"{m[2]} ({m[1]})", text)
    text = _USER.sub(lambda m: "@" + workspace.user_name(m[1]), text)
    text = _CHANNEL.sub(lambda m: "#" + workspace.channels.get(m[1], {}).get("name", m[1]), text)
    # mrkdwn emphasis reads fine as plain text once its markers are gone; quotes get a bar.
    text = _CODE.sub(r"\1", _ITALIC.sub(r"\1", _BOLD.sub(r"\1", text)))
    text = "\n".join("┃ " + line[1:].lstrip() if line.startswith(">") else line for line in text.split("\n"))
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _text(obj: Any) -> str:
    return obj.get("text", "") if isinstance(obj, dict) else ""


def _block_lines(block: dict[str, Any], workspace: Workspace) -> list[str]:
    kind = block.get("type")
    if kind == "header":
        title = _text(block.get("text"))
        return [title, "─" * min(len(title), WIDTH)]
    if kind == "section":
        lines = [_plain(_text(block.get("text")), workspace)] if block.get("text") else []
        fields = [_plain(_text(f), workspace).replace("\n", ": ", 1) for f in block.get("fields") or []]
        for left, right in zip(fields[::2], [*fields[1::2], ""], strict=False):
            lines.append(f"{left:<46}  {right}".rstrip())
        return lines
    if kind == "context":
        return ["  " + " · ".join(_plain(_text(e), workspace) for e in block.get("elements") or [])]
    if kind == "divider":
        return ["·" * 40]
    if kind == "actions":
        return ["  ".join(f"[ {_text(e.get('text'))} ]" for e in block.get("elements") or [])]
    if kind == "table":
        rows = block.get("rows") or []
        cells = [[_text(c) or str(c.get("value", "")) for c in row] for row in rows]
        widths = [max(len(r[i]) for r in cells if i < len(r)) for i in range(max(len(r) for r in cells))]
        return ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)) for row in cells]
    if kind == "rich_text":
        return []
    return [f"({kind} block)"]


def render_message(message: dict[str, Any], workspace: Workspace) -> list[str]:
    when = datetime.fromtimestamp(float(message["ts"].split(".")[0]), UTC).strftime("%H:%M")
    who = workspace.user_name(message.get("user"))
    head = f"{when}  {who}" + ("  (edited)" if message.get("edited") else "")
    body: list[str] = []
    blocks = [b for b in message.get("blocks") or [] if b.get("type") != "rich_text"]
    if blocks:
        for block in blocks:
            body.extend(_block_lines(block, workspace))
    elif message.get("text"):
        body.extend(_plain(message["text"], workspace).split("\n"))
    for file in message.get("files") or []:
        body.append(f"📎 {file['name']} ({file['size']:,} bytes)")
    reactions = " ".join(f":{r['name']}: {r['count']}" for r in message.get("reactions") or [])
    if reactions:
        body.append(reactions)
    wrapped = []
    for line in (part for entry in body for part in entry.split("\n")):
        wrapped.extend(textwrap.wrap(line, WIDTH, subsequent_indent="  ") or [""])
    return [head] + ["  " + line for line in wrapped]


def render_transcript(
    workspace: Workspace, channel: str, *, viewer: str | None = None, ephemeral_only: bool = False
) -> str:
    """The channel with threads indented; with `ephemeral_only`, what only `viewer` saw."""
    if ephemeral_only:
        lines = []
        for message in workspace.ephemeral_for(viewer or ""):
            lines.extend(render_message({**message, "user": None}, workspace)[1:])
            lines.append("")
        return "\n".join(lines)
    name = workspace.channels[channel]["name"]
    out = [f"#{name}", ""]
    day = None
    for message in workspace.history(channel):
        day = _day_divider(out, message, day, indent="")
        out.extend(render_message(message, workspace))
        thread_day = day
        for reply in workspace.replies(channel, message["ts"])[1:]:
            thread_day = _day_divider(out, reply, thread_day, indent="    │ ")
            out.extend("    │ " + line for line in render_message(reply, workspace))
        out.append("")
    return "\n".join(out)


def _day_divider(out: list[str], message: dict[str, Any], shown: str | None, *, indent: str) -> str:
    """Slack's date line: a message written on another day than the one before it is preceded by its date."""
    day = datetime.fromtimestamp(float(message["ts"].split(".")[0]), UTC).strftime("%a %d %b %Y")
    if shown is not None and day != shown:
        out.append(f"{indent}── {day} ──")
    return day
