"""Requests built as Slack builds them: signatures Bolt's verifier accepts, envelopes and payloads as documented."""

from __future__ import annotations

import json
from urllib.parse import parse_qs

import pytest
from slack_sdk.signature import SignatureVerifier

from bot.emulator import requests
from bot.emulator.workspace import APP_ID, BOT_USER, TEAM_ID

SECRET = "0123456789abcdef0123456789abcdef"
CARD = {
    "ts": "1700000000.000100",
    "thread_ts": "1700000000.000001",
    "blocks": [
        {"type": "section", "block_id": "head", "accessory": {"type": "button", "action_id": "deal.open"}},
        {
            "type": "actions",
            "block_id": "buttons",
            "elements": [{"type": "button", "action_id": "deal.draft", "value": "7", "style": "primary"}],
        },
    ],
}


def command() -> requests.SlackRequest:
    return requests.slash_command(
        command="/lto",
        text="status #1",
        user_id="U0REP1",
        user_name="riley",
        channel_id="C0DEALS",
        channel_name="deals",
        team_domain="emulated",
        response_url="http://127.0.0.1:9/response/1",
        trigger_id="t.1",
    )


def test_a_signed_request_passes_slacks_own_verifier_and_a_changed_body_does_not():
    request = command()
    headers = request.headers(SECRET)
    verifier = SignatureVerifier(SECRET)
    timestamp, signature = headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"]
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert verifier.is_valid(request.body, timestamp, signature)
    assert not verifier.is_valid(request.body + b"&x=1", timestamp, signature)


def test_a_given_timestamp_and_extra_headers_are_kept():
    headers = requests.event_callback({"type": "app_mention"}, event_id="Ev1").headers(
        SECRET, timestamp=1_700_000_000, extra={"X-Slack-Retry-Num": "2"}
    )
    assert headers["X-Slack-Request-Timestamp"] == "1700000000" and headers["X-Slack-Retry-Num"] == "2"
    assert headers["Content-Type"] == "application/json"


def test_a_slash_command_carries_the_fields_slack_documents():
    form = {key: values[0] for key, values in parse_qs(command().body.decode()).items()}
    assert form["command"] == "/lto" and form["text"] == "status #1" and form["trigger_id"] == "t.1"
    assert (form["team_id"], form["api_app_id"], form["channel_name"]) == (TEAM_ID, APP_ID, "deals")


def test_an_event_arrives_in_its_envelope_addressed_to_the_bot():
    request = requests.event_callback({"type": "message", "text": "hi"}, event_id="Ev42", event_time=5)
    envelope = json.loads(request.body)
    assert (envelope["type"], envelope["event_id"], envelope["event_time"]) == ("event_callback", "Ev42", 5)
    assert envelope["event"] == {"type": "message", "text": "hi"}
    assert envelope["authorizations"][0]["user_id"] == BOT_USER


def test_a_click_names_the_button_its_block_and_the_thread_of_the_message():
    payload = requests.button_click(
        user=requests.slack_user("U0REP1", "riley"),
        message=CARD,
        message_ts=CARD["ts"],
        channel_id="C0DEALS",
        channel_name="deals",
        team_domain="emulated",
        action_id="deal.draft",
        trigger_id="t.2",
        response_url="http://127.0.0.1:9/response/2",
    )
    action = payload["actions"][0]
    assert (action["block_id"], action["value"], action["style"]) == ("buttons", "7", "primary")
    assert payload["container"]["thread_ts"] == CARD["thread_ts"]
    body = requests.interaction(payload).body
    assert json.loads(parse_qs(body.decode())["payload"][0]) == payload


def test_an_accessory_is_found_and_a_missing_button_is_a_lookup_error():
    assert requests.find_element(CARD, "deal.open") == ("head", {"type": "button", "action_id": "deal.open"})
    with pytest.raises(LookupError, match=r"no element deal\.gone"):
        requests.find_element(CARD, "deal.gone")
