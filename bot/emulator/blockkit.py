"""Block Kit validation as Slack applies it: slack_sdk's models first, then the limits they do not check."""

from __future__ import annotations

from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
TEXT_LIMITS = {"header": 150, "section": 3000}
BUTTON_TEXT, BUTTON_VALUE, ACTION_ID, BLOCK_ID, URL = 75, 2000, 255, 255, 3000


def _text_of(obj: Any) -> str:
    return obj.get("text", "") if isinstance(obj, dict) else ""


def _element_errors(index: int, element: dict[str, Any], action_ids: set[str]) -> list[str]:
    errors: list[str] = []
    where = f"[block {index}] {element.get('type', '?')}"
    action_id = element.get("action_id")
    if action_id is not None:
        if len(action_id) > ACTION_ID:
            errors.append(f"{where}: action_id must be at most {ACTION_ID} characters")
        if action_id in action_ids:
            errors.append(f"{where}: action_id '{action_id}' is already used in this message")
        action_ids.add(action_id)
    if element.get("type") == "button":
        if len(_text_of(element.get("text"))) > BUTTON_TEXT:
            errors.append(f"{where}: button text must be at most {BUTTON_TEXT} characters")
        if len(element.get("value") or "") > BUTTON_VALUE:
            errors.append(f"{where}: button value must be at most {BUTTON_VALUE} characters")
        if len(element.get("url") or "") > URL:
            errors.append(f"{where}: url must be at most {URL} characters")
    return errors


def _table_errors(index: int, block: dict[str, Any]) -> list[str]:
    rows = block.get("rows")
    if not isinstance(rows, list) or not rows:
        return [f"[block {index}] table: rows are required"]
    errors = []
    if len(rows) > 100:
        errors.append(f"[block {index}] table: at most 100 rows")
    if any(not isinstance(row, list) or len(row) > 20 for row in rows):
        errors.append(f"[block {index}] table: each row is a list of at most 20 cells")
    return errors


def block_errors(blocks: Any, *, limit: int = MESSAGE_BLOCKS) -> list[str]:
    """Human-readable problems with `blocks`; an empty list means Slack would accept them."""
    if not isinstance(blocks, list):
        return ["blocks must be an array"]
    errors: list[str] = []
    if len(blocks) > limit:
        errors.append(f"no more than {limit} items allowed [json-pointer:/blocks]")
    block_ids: set[str] = set()
    action_ids: set[str] = set()
    for index, raw in enumerate(blocks):
        if not isinstance(raw, dict) or "type" not in raw:
            errors.append(f"[block {index}] must be an object with a type")
            continue
        block_id = raw.get("block_id")
        if block_id is not None:
            if len(block_id) > BLOCK_ID:
                errors.append(f"[block {index}] block_id must be at most {BLOCK_ID} characters")
            if block_id in block_ids:
                errors.append(f"[block {index}] block_id '{block_id}' is already used")
            block_ids.add(block_id)
        parsed = Block.parse(raw)
        if parsed is None:
            errors.append(f"[block {index}] unsupported type '{raw.get('type')}'")
            continue
        try:
            parsed.validate_json()
        except SlackObjectFormationError as exc:
            errors.append(f"[block {index}] {raw['type']}: {exc}")
        kind = raw["type"]
        if kind == "table":
            errors.extend(_table_errors(index, raw))
        if kind == "section":
            fields = raw.get("fields") or []
            if len(fields) > 10 or any(len(_text_of(f)) > 2000 for f in fields):
                errors.append(f"[block {index}] section: at most 10 fields of at most 2000 characters")
        if kind == "header" and (raw.get("text") or {}).get("type") != "plain_text":
            errors.append(f"[block {index}] header: text must be plain_text")
        if kind == "context" and len(raw.get("elements") or []) > 10:
            errors.append(f"[block {index}] context: at most 10 elements")
        if kind == "actions":
            elements = raw.get("elements") or []
            if not elements or len(elements) > 25:
                errors.append(f"[block {index}] actions: 1 to 25 elements")
        for element in _elements_of(raw):
            errors.extend(_element_errors(index, element, action_ids))
    return errors


def _elements_of(block: dict[str, Any]) -> list[dict[str, Any]]:
    elements = [e for e in block.get("elements") or [] if isinstance(e, dict)]
    if isinstance(block.get("accessory"), dict):
        elements.append(block["accessory"])
    if isinstance(block.get("element"), dict):
        elements.append(block["element"])
    return elements


def view_errors(view: Any) -> list[str]:
    if not isinstance(view, dict):
        return ["view must be an object"]
    errors: list[str] = []
    if view.get("type") not in ("modal", "home"):
        errors.append("view type must be modal or home")
    try:
        View(**view).validate_json()
    except (SlackObjectFormationError, TypeError) as exc:
        errors.append(f"view: {exc}")
    if view.get("type") == "modal":
        for name, limit in (("title", 24), ("submit", 24), ("close", 24)):
            if len(_text_of(view.get(name))) > limit:
                errors.append(f"view {name} must be at most {limit} characters")
    if len(view.get("callback_id") or "") > 255:
        errors.append("view callback_id must be at most 255 characters")
    if len(view.get("private_metadata") or "") > 3000:
        errors.append("view private_metadata must be at most 3000 characters")
    errors.extend(block_errors(view.get("blocks") or [], limit=VIEW_BLOCKS))
    return errors
