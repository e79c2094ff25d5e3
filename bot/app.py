"""The Bolt app factory: listeners, context middleware and the one error boundary."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext, AsyncRespond
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import BotError
from bot.listeners import actions, commands, contracts, events, home, meetings, next_steps, poc, reviews, views
from bot.listeners.intake import answer_later
from bot.runtime import Runtime
from core.jobs import new_correlation_id
from core.logging import correlation, current_correlation_id

logger = logging.getLogger(__name__)


FOREIGN_WORKSPACE = (
    ":no_entry: I only work for people of the workspace I'm installed in; I did nothing. "
    "Ask an admin of this workspace if you need access."
)


def teams_of(body: dict[str, Any]) -> set[str]:
    """Every workspace a request names for the person or the place it came from."""
    team, user, event = body.get("team"), body.get("user"), body.get("event")
    event = event if isinstance(event, dict) else {}
    found = (
        body.get("team_id"),
        body.get("user_team"),
        team.get("id") if isinstance(team, dict) else None,
        user.get("team_id") if isinstance(user, dict) else None,
        event.get("team"),
        event.get("user_team"),
        event.get("source_team"),
    )
    return {value for value in found if isinstance(value, str) and value}


def create_app(runtime: Runtime) -> AsyncApp:
    """A Bolt app bound to one runtime. Nothing global: tests build as many as they like."""
    settings = runtime.settings
    settings.require("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET")
    assert settings.slack_bot_token and settings.slack_signing_secret
    token = settings.slack_bot_token.get_secret_value()

    async def authorize(enterprise_id: str | None, team_id: str | None, **_: Any) -> AuthorizeResult:
        # auth.test is asked once per process (at start), never on the ack path.
        identity = runtime.identity or await runtime.identify()
        return AuthorizeResult(
            enterprise_id=enterprise_id,
            team_id=team_id or identity.team_id,
            bot_token=token,
            bot_id=identity.bot_id,
            bot_user_id=identity.user_id,
        )

    app = AsyncApp(
        signing_secret=settings.slack_signing_secret.get_secret_value(),
        authorize=authorize,
        # Bolt's own client gets its token per request from `authorize`.
        client=AsyncWebClient(base_url=runtime.client.base_url, retry_handlers=runtime.client.retry_handlers),
        # Listeners only record a job and ack, so running them before the response is
        # both fast and safe: the HTTP response leaves once the job row is committed.
        process_before_response=True,
        logger=logging.getLogger("slack_bolt.AsyncApp"),
    )

    @app.middleware
    async def inject_runtime(context: AsyncBoltContext, next: Callable[[], Awaitable[BoltResponse]]) -> BoltResponse:
        context["runtime"] = runtime
        with correlation(new_correlation_id()):
            return await next()

    @app.middleware
    async def only_our_workspaces(body: dict[str, Any], next: Callable[[], Awaitable[BoltResponse]]) -> BoltResponse:
        # A person from another workspace (a Slack Connect channel, another install) is no rep of ours.
        identity = runtime.identity or await runtime.identify()
        foreign = teams_of(body) - (settings.allowed_teams or {identity.team_id})
        if not foreign:
            return await next()
        logger.warning("refused a request from workspace(s) %s", ", ".join(sorted(foreign)))
        if body.get("command"):  # answered in the ack, only to them
            said = json.dumps({"response_type": "ephemeral", "text": FOREIGN_WORKSPACE})
            return BoltResponse(status=200, body=said, headers={"content-type": "application/json"})
        return BoltResponse(status=200, body="")  # an event or a click: taken, and nothing done

    @app.error
    async def on_error(error: Exception, body: dict[str, Any], respond: AsyncRespond, response: BoltResponse) -> None:
        # A 200 either way: Slack would otherwise show the user a failure banner on top of our message.
        # The message follows the ack: a response URL that hangs must not hold the answer to Slack.
        response.status, response.body = 200, ""
        if isinstance(error, BotError):
            message = error.message
        else:
            cid = current_correlation_id() or "-"
            logger.exception("unhandled error in a listener (correlation id %s)", cid, exc_info=error)
            message = f"Something went wrong on my side and I did nothing. Reference: `{cid}`."
        if body.get("response_url"):
            answer_later(runtime, respond, message)

    # actions ends with its catch-all for unknown buttons, so it registers last but for the views
    for module in (commands, events, home, next_steps, contracts, meetings, reviews, poc, actions, views):
        module.register(app)
    return app
