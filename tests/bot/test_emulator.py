"""The Slack Web API emulator answers the real slack_sdk client the way Slack does."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.emulator import Workspace, run_emulator


class Clock:
    def __init__(self) -> None:
        self.now = 1_767_600_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def slack() -> AsyncIterator[tuple[Workspace, AsyncWebClient, Clock]]:
    clock = Clock()
    workspace = Workspace(clock=clock)
    async with run_emulator(workspace) as url:
        yield workspace, AsyncWebClient(token=workspace.bot_token, base_url=f"{url}/api/"), clock


async def _error(call) -> tuple[int, str]:
    with pytest.raises(SlackApiError) as raised:
        await call
    return raised.value.response.status_code, raised.value.response["error"]


async def test_a_thread_reply_updates_its_parent_like_slack(slack):
    _, client, _ = slack
    parent = await client.chat_postMessage(channel="C0DEALS", text="root")
    reply = await client.chat_postMessage(channel="C0DEALS", text="reply", thread_ts=parent["ts"])
    assert reply["message"]["thread_ts"] == parent["ts"] and reply["message"]["bot_id"] == "B0LTOBOT"
    root = (await client.conversations_replies(channel="C0DEALS", ts=parent["ts"]))["messages"][0]
    assert root["reply_count"] == 1 and root["latest_reply"] == reply["ts"]
    assert float(reply["ts"]) > float(parent["ts"])


async def test_auth_errors_come_before_anything_else(slack):
    _, client, _ = slack
    no_token = AsyncWebClient(base_url=client.base_url)
    assert await _error(no_token.chat_postMessage(channel="C0DEALS", text="x")) == (200, "not_authed")
    wrong = AsyncWebClient(token="xoxb-wrong", base_url=client.base_url)
    assert await _error(wrong.auth_test()) == (200, "invalid_auth")
    assert (await client.auth_test())["user_id"] == "U0LTOBOT"


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
async def test_method_errors_are_slacks(slack):
    workspace, client, _ = slack
    assert await _error(client.chat_postMessage(channel="C0NOPE", text="x")) == (200, "channel_not_found")
    assert await _error(client.chat_postMessage(channel="C0DEALS")) == (200, "no_text")
    assert await _error(client.chat_postMessage(channel="C0DEALS", text="x" * 40_001)) == (200, "msg_too_long")
    assert await _error(client.chat_update(channel="C0DEALS", ts="1.000001", text="x")) == (200, "message_not_found")
    human = workspace.post_as("U0REP1", "C0DEALS", "mine")
    assert await _error(client.chat_update(channel="C0DEALS", ts=human, text="x")) == (200, "cant_update_message")
    assert await _error(client.api_call("chat.frobnicate")) == (200, "unknown_method")


async def test_blocks_that_break_block_kit_limits_are_refused_with_the_reasons(slack):
    _, client, _ = slack
    too_long = [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}]
    with pytest.raises(SlackApiError) as raised:
        await client.chat_postMessage(channel="C0DEALS", text="x", blocks=too_long)
    assert raised.value.response["error"] == "invalid_blocks"
    assert "3000" in raised.value.response["errors"][0]
    duplicate = [
        {
            "type": "actions",
            "elements": [{"type": "button", "action_id": "a", "text": {"type": "plain_text", "text": "1"}}],
        },
        {
            "type": "actions",
            "elements": [{"type": "button", "action_id": "a", "text": {"type": "plain_text", "text": "2"}}],
        },
    ]
    assert await _error(client.chat_postMessage(channel="C0DEALS", text="x", blocks=duplicate)) == (
        200,
        "invalid_blocks",
    )
    unknown = [{"type": "hologram"}]
    assert await _error(client.chat_postMessage(channel="C0DEALS", text="x", blocks=unknown)) == (200, "invalid_blocks")
    too_many = [{"type": "divider"}] * 51
    assert await _error(client.chat_postMessage(channel="C0DEALS", text="x", blocks=too_many)) == (
        200,
        "invalid_blocks",
    )


async def test_rate_limits_answer_429_with_retry_after(slack):
    workspace, client, _ = slack
    workspace.rate_limit("chat.postMessage", times=1, retry_after=7)
    with pytest.raises(SlackApiError) as raised:
        await client.chat_postMessage(channel="C0DEALS", text="x")
    assert raised.value.response.status_code == 429
    assert raised.value.response.headers["Retry-After"] in ("7", ["7"])
    assert (await client.chat_postMessage(channel="C0DEALS", text="x"))["ok"]


async def test_a_trigger_id_opens_one_modal_within_three_seconds(slack):
    workspace, client, clock = slack
    view = {"type": "modal", "title": {"type": "plain_text", "text": "T"}, "blocks": [{"type": "divider"}]}
    late = workspace.issue_trigger("U0REP1")
    clock.now += 3.5
    assert await _error(client.views_open(trigger_id=late, view=view)) == (200, "expired_trigger_id")
    fresh = workspace.issue_trigger("U0REP1")
    opened = await client.views_open(trigger_id=fresh, view=view)
    assert workspace.open_views_for("U0REP1")[0]["id"] == opened["view"]["id"]
    assert await _error(client.views_open(trigger_id=fresh, view=view)) == (200, "invalid_trigger_id")
    updated = await client.views_update(
        view_id=opened["view"]["id"], view={**view, "title": {"type": "plain_text", "text": "U"}}
    )
    assert updated["view"]["title"]["text"] == "U"
    assert await _error(client.views_update(view_id="V0NOPE", view=view)) == (200, "not_found")


async def test_files_upload_v2_lands_the_file_in_the_thread(slack):
    workspace, client, _ = slack
    parent = await client.chat_postMessage(channel="C0DEALS", text="deal")
    result = await client.files_upload_v2(
        channel="C0DEALS",
        thread_ts=parent["ts"],
        filename="proposal.pdf",
        content=b"%PDF-1.7 demo",
        title="Proposal",
        initial_comment="Here is the proposal",
    )
    file_id = result["file"]["id"]
    assert workspace.files[file_id].content == b"%PDF-1.7 demo"
    thread = workspace.replies("C0DEALS", parent["ts"])
    assert thread[-1]["files"][0]["title"] == "Proposal" and thread[-1]["text"] == "Here is the proposal"


async def test_metadata_is_returned_only_when_asked_for(slack):
    _, client, _ = slack
    metadata = {"event_type": "lto_effect", "event_payload": {"key": "k1"}}
    posted = await client.chat_postMessage(channel="C0DEALS", text="x", metadata=metadata)
    plain = await client.conversations_history(channel="C0DEALS")
    assert "metadata" not in plain["messages"][0]
    full = await client.conversations_history(channel="C0DEALS", include_all_metadata=True)
    assert full["messages"][0]["metadata"] == metadata and full["messages"][0]["ts"] == posted["ts"]


async def test_conversation_lists_page_with_cursors(slack):
    workspace, client, _ = slack
    for i in range(5):
        workspace.add_channel(f"C0EXTRA{i}", f"extra-{i}")
    names, cursor = [], None
    while True:
        page = await client.conversations_list(limit=3, cursor=cursor)
        names += [c["name"] for c in page["channels"]]
        cursor = page["response_metadata"]["next_cursor"]
        if not cursor:
            break
    assert len(names) == 9 and "deals" in names  # the four channels of the workspace and five more


async def test_ephemeral_messages_are_seen_only_by_their_user(slack):
    workspace, client, _ = slack
    await client.chat_postEphemeral(channel="C0DEALS", user="U0REP1", text="just you")
    assert [m["text"] for m in workspace.ephemeral_for("U0REP1")] == ["just you"]
    assert workspace.ephemeral_for("U0REP2") == [] and workspace.history("C0DEALS") == []
    assert await _error(client.chat_postEphemeral(channel="C0DEALS", user="U0NOBODY", text="x")) == (
        200,
        "user_not_found",
    )
