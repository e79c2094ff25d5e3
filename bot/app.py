"""The Bolt app factory: listeners, context middleware and the one error boundary."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import BotError
from bot.listeners import actions, commands, events, views
from bot.runtime import Runtime
from core.jobs import new_correlation_id
from core.logging import correlation, current_correlation_id

logger = logging.getLogger(__name__)


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

    @app.error
    async def on_error(error: Exception, body: dict[str, Any], respond: Any, response: BoltResponse) -> None:
        # A 200 either way: Slack would otherwise show the user a failure banner on top of our message.
        response.status, response.body = 200, ""
        if isinstance(error, BotError):
            message = error.message
        else:
            cid = current_correlation_id() or "-"
            logger.exception("unhandled error in a listener (correlation id %s)", cid, exc_info=error)
            message = f"Something went wrong on my side and I did nothing. Reference: `{cid}`."
        if body.get("response_url"):
            await respond(text=message, response_type="ephemeral", replace_original=False)

    for module in (commands, events, actions, views):
        module.register(app)
    return app
