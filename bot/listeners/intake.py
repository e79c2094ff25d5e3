"""Accepting a Slack delivery: its job and its audit event are recorded in one transaction before the ack."""

from __future__ import annotations

import asyncio
import re
import unicodedata
from dataclasses import dataclass
from datetime import timedelta

from slack_bolt.async_app import AsyncRespond

from bot.runtime import Runtime
from core import admission
from core.job_kinds import JobPayload

# A terminal escape sequence (`\x1b[31m`), then every control character but \n and \t (C0, DEL, C1),
# and the bidirectional overrides that make text read other than it is stored.
_ESCAPE_SEQUENCE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|[@-Z\\-_])?")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_NOT_TEXT = re.compile(r"[\ud800-\udfff\ufffe\uffff]")  # lone surrogates and non-characters


def clean_text(text: str) -> str:
    """People's text as everything downstream may read and store it: one kind of line break, no control
    character but line breaks and tabs, no escape sequence, lone surrogates replaced (U+FFFD), NFC.
    Applied to slash command text, event text and modal inputs before anything reads them."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n")
    text = _CONTROL.sub("", _ESCAPE_SEQUENCE.sub("", text))
    return unicodedata.normalize("NFC", _NOT_TEXT.sub("\ufffd", text))


# A response URL that hangs must not hold a follow-up forever either.
ANSWER_TIMEOUT_SECONDS = 10.0


def answer_later(runtime: Runtime, respond: AsyncRespond, text: str) -> None:
    """Tell the person something, only to them, after the ack: nothing on the ack path waits on the network
    (a response URL that hangs would hold Slack's request until it gives up and shows an error)."""
    reply = respond(text=text, response_type="ephemeral", replace_original=False)
    runtime.spawn(asyncio.wait_for(reply, timeout=ANSWER_TIMEOUT_SECONDS))


async def accept(
    runtime: Runtime,
    *,
    key: str,
    kind: str,
    job: JobPayload,
    actor: str,
    channel_id: str | None = None,
) -> int | None:
    """Record the job for this delivery (None when Slack sent it before) and wake the worker."""
    job_id = await asyncio.to_thread(
        admission.accept_delivery,
        runtime.session_factory,
        key=key,
        kind=kind,
        job=job,
        actor=actor,
        clock=runtime.clock,
        max_attempts=runtime.settings.job_max_attempts,
        channel_id=channel_id,
    )
    if job_id is not None:
        runtime.notify_worker()
    return job_id


@dataclass(frozen=True)
class Admission:
    refused: str | None  # why the request is turned away (rate limit), in words for the person
    queued_ahead: int  # jobs waiting before this one


def _admit(runtime: Runtime, *, user_id: str, channel_id: str, kind: str) -> Admission:
    """Rate limits per person and per channel, and the queue's depth, read from the database (all replicas)."""
    settings, since = runtime.settings, runtime.clock.now() - timedelta(minutes=1)
    with runtime.session_factory() as session:
        if admission.deliveries_by_user(session, user_id=user_id, kind=kind, since=since) >= settings.rate_limit_user:
            return Admission(
                f":raised_hand: That's more than {settings.rate_limit_user} commands in a minute: "
                "please wait a moment and try again. Nothing was recorded.",
                0,
            )
        in_channel = admission.deliveries_in_channel(session, channel_id=channel_id, kind=kind, since=since)
        if in_channel >= settings.rate_limit_channel:
            return Admission(
                ":raised_hand: This channel is sending more commands than I take in a minute: "
                "please try again shortly. Nothing was recorded.",
                0,
            )
        return Admission(None, admission.queue_depth(session))


async def admit(runtime: Runtime, *, user_id: str, channel_id: str, kind: str = "command") -> Admission:
    return await asyncio.to_thread(_admit, runtime, user_id=user_id, channel_id=channel_id, kind=kind)


def _message_refused(runtime: Runtime, user_id: str) -> bool | None:
    """None when the person is within the per-person limit; else True for the first refusal of the minute."""
    since = runtime.clock.now() - timedelta(minutes=1)
    with runtime.session_factory() as session:
        sent = admission.deliveries_by_user(session, user_id=user_id, kind="event", since=since)
    if sent < runtime.settings.rate_limit_user:
        return None
    return admission.first_refusal_in_window(
        runtime.session_factory, user_id=user_id, kind="event", clock=runtime.clock
    )


async def admit_message(runtime: Runtime, *, user_id: str, channel_id: str, thread_ts: str | None) -> bool:
    """Whether a message to the bot is taken in: the per-person limit of commands applies to messages too.
    A refused person is told once a minute, only to them, after the ack."""
    refused = await asyncio.to_thread(_message_refused, runtime, user_id)
    if refused is None:
        return True
    if refused:
        limit = runtime.settings.rate_limit_user
        notice = runtime.gateway.post_ephemeral(
            key=f"refused:event:{user_id}:{int(runtime.clock.now().timestamp()) // 60}",
            channel=channel_id,
            user=user_id,
            thread_ts=thread_ts,
            text=f":raised_hand: Please slow down: that's more than {limit} messages to me in a minute, so I "
            "did not read your last one (nor will I read more this minute). Send it again in a minute.",
        )
        runtime.spawn(asyncio.wait_for(notice, timeout=ANSWER_TIMEOUT_SECONDS))
    return False
