"""The Telegram webhook at /telegram/webhook, served by `socialdesk serve`.

Telegram sends the secret given to setWebhook in X-Telegram-Bot-Api-Secret-Token; anything else is
refused with 403 and never processed; a body that is not an update at all gets 400. An update that
cannot be handled (a malformed message, a bug it trips) is recorded as failed, the owner is told,
and it is acknowledged, so it never holds up the updates behind it. Only while the database is down
does it answer 500, so Telegram sends the update again.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Sequence

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bot.errors import ChannelError
from bot.handlers.telegram.channel import WEBHOOK_PATH, TelegramIntake, make_bot
from bot.ports import HandlerPorts

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
RETRY_AFTER_SECONDS = 5


def telegram_routes(ports: HandlerPorts) -> Sequence[BaseRoute]:
    """The webhook route, when TELEGRAM_BOT_TOKEN and TELEGRAM_WEBHOOK_SECRET are set."""
    settings = ports.settings
    if not settings.configured("telegram_bot_token", "telegram_webhook_secret"):
        return []
    assert settings.telegram_webhook_secret is not None
    secret = settings.telegram_webhook_secret.get_secret_value().encode()
    intake = TelegramIntake(make_bot(settings, keep_alive=False), ports.db, ports.clock)

    async def webhook(request: Request) -> Response:
        if not hmac.compare_digest(request.headers.get(SECRET_HEADER, "").encode(), secret):
            return PlainTextResponse("wrong or missing secret token", status_code=403)
        try:
            update = json.loads(await request.body())
        except ValueError:
            return PlainTextResponse("body is not JSON", status_code=400)
        if not isinstance(update, dict) or not _is_update_id(update.get("update_id")):
            return PlainTextResponse("body is not a Telegram update", status_code=400)
        try:
            await intake.process(update, ports.deliver)
        except ChannelError:
            # Not ready to read updates yet (Telegram has not answered getMe): Telegram sends it again.
            return PlainTextResponse("starting up: send it again shortly", status_code=503,
                                     headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
        except Exception:  # the database or Telegram is down: 500, so Telegram sends the update again
            log.exception("telegram update not handled; Telegram will send it again")
            return PlainTextResponse("the update could not be handled now", status_code=500)
        return Response(status_code=200)

    return [Route(WEBHOOK_PATH, webhook, methods=["POST"])]


def _is_update_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
