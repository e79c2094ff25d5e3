"""Accepting a Slack delivery: the rate limits, then its job, the delivery and its audit event in one
transaction before the ack (core/admission.py)."""

from __future__ import annotations

import asyncio
import contextvars
import functools
import re
import unicodedata
from collections.abc import Callable
from typing import Any, TypeVar

from slack_bolt.async_app import AsyncRespond

from bot.runtime import Runtime
from core import admission
from core.admission import Accepted, Refused
from core.job_kinds import JobPayload

T = TypeVar("T")

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


async def on_ack_thread(runtime: Runtime, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """Run a blocking step of an ack (the database) on the listener's own threads, never queued behind a job's."""
    call = functools.partial(contextvars.copy_context().run, fn, *args, **kwargs)  # with the correlation id
    return await asyncio.get_running_loop().run_in_executor(runtime.ack_threads, call)


async def accept(
    runtime: Runtime,
    *,
    key: str,
    kind: str,
    job: JobPayload,
    actor: str,
    channel_id: str | None = None,
) -> int | None:
    """Record the job for this delivery (None when Slack sent it before) and wake the worker; no rate limit
    (clicks and modal submissions: a person's own pace on their own cards)."""
    taken = await _accept(runtime, key=key, kind=kind, job=job, actor=actor, channel_id=channel_id, limited=False)
    assert isinstance(taken, Accepted)
    return taken.job_id


async def accept_within_limits(
    runtime: Runtime, *, key: str, kind: str, job: JobPayload, actor: str, channel_id: str | None = None
) -> Accepted | Refused:
    """Like `accept`, within the per-minute limits: the person's for `kind`, and the channel's when given."""
    taken = await _accept(runtime, key=key, kind=kind, job=job, actor=actor, channel_id=channel_id, limited=True)
    assert taken is not None
    return taken


async def _accept(
    runtime: Runtime,
    *,
    key: str,
    kind: str,
    job: JobPayload,
    actor: str,
    channel_id: str | None,
    limited: bool,
    only_if: Callable[[], bool] | None = None,
) -> Accepted | Refused | None:
    """Admission on an ack thread; None when `only_if` (checked on the same thread, first) says no."""
    settings = runtime.settings
    taken = await on_ack_thread(
        runtime,
        _admit,
        runtime,
        only_if,
        key=key,
        kind=kind,
        job=job,
        actor=actor,
        max_attempts=settings.job_max_attempts,
        per_user=settings.rate_limit_user if limited else None,
        channel_id=channel_id,
        per_channel=settings.rate_limit_channel if limited and channel_id else None,
    )
    if isinstance(taken, Accepted) and taken.job_id is not None:
        runtime.notify_worker()
    return taken


def _admit(runtime: Runtime, only_if: Callable[[], bool] | None, **delivery: Any) -> Accepted | Refused | None:
    if only_if is not None and not only_if():
        return None
    return runtime.admissions.accept(**delivery)


def refusal_text(refused: Refused, runtime: Runtime) -> str:
    """What a person over a command limit is told in the ack."""
    if refused.over == "person":
        return (
            f":raised_hand: That's more than {runtime.settings.rate_limit_user} commands in a minute: "
            "please wait a moment and try again. Nothing was recorded."
        )
    return (
        ":raised_hand: This channel is sending more commands than I take in a minute: "
        "please try again shortly. Nothing was recorded."
    )


async def take_in_message(
    runtime: Runtime,
    *,
    key: str,
    job: JobPayload,
    user_id: str,
    channel_id: str,
    thread_ts: str | None,
    only_if: Callable[[], bool] | None = None,
) -> None:
    """Record a message to the bot, within the per-person limit of commands, which applies to messages too;
    `only_if` (a blocking check, run on the same thread just before) may say it is not ours to read.
    A refused person is told once a minute, only to them, after the ack."""
    taken = await _accept(
        runtime, key=key, kind="event", job=job, actor=user_id, channel_id=None, limited=True, only_if=only_if
    )
    if not isinstance(taken, Refused):
        return
    first = await asyncio.to_thread(
        admission.first_refusal_in_window, runtime.session_factory, user_id=user_id, kind="event", clock=runtime.clock
    )
    if first:
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
