"""The Telegram webhook at /telegram/webhook, served by `socialdesk serve`.

Telegram sends the secret given to setWebhook in X-Telegram-Bot-Api-Secret-Token; anything else is
refused with 403 and never processed. A malformed update is acknowledged (so Telegram stops
resending it) and logged; a failure to record an update answers 500, so Telegram retries it.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bot.errors import ChannelError
from bot.handlers.telegram_channel import WEBHOOK_PATH, TelegramIntake, make_bot

if TYPE_CHECKING:  # the web process hands us the running app; handlers never build one
    from bot.app import App

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
RETRY_AFTER_SECONDS = 5


def telegram_routes(app: "App") -> Sequence[BaseRoute]:
    """The webhook route, when TELEGRAM_BOT_TOKEN and TELEGRAM_WEBHOOK_SECRET are set."""
    settings = app.settings
    if not settings.configured("telegram_bot_token", "telegram_webhook_secret"):
        return []
    assert settings.telegram_webhook_secret is not None
    secret = settings.telegram_webhook_secret.get_secret_value().encode()
    intake = TelegramIntake(make_bot(settings, keep_alive=False))

    async def webhook(request: Request) -> Response:
        if not hmac.compare_digest(request.headers.get(SECRET_HEADER, "").encode(), secret):
            return PlainTextResponse("wrong or missing secret token", status_code=403)
        try:
            update = json.loads(await request.body())
        except ValueError:
            return PlainTextResponse("body is not JSON", status_code=400)
        if not isinstance(update, dict):
            return PlainTextResponse("body is not a Telegram update", status_code=400)
        try:
            await intake.process(update, app.router.handle)
        except ChannelError:
            # Not ready to read updates yet (Telegram has not answered getMe): Telegram sends it again.
            return PlainTextResponse("starting up: send it again shortly", status_code=503,
                                     headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
        return Response(status_code=200)

    return [Route(WEBHOOK_PATH, webhook, methods=["POST"])]
