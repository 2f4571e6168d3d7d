"""Meta's webhook at /meta/webhook, served by `socialdesk serve`: one URL for WhatsApp, Messenger and
Instagram (one Meta app). GET is the verification handshake; every POST must carry Meta's signature
(X-Hub-Signature-256 with META_APP_SECRET) or it gets 403 and nothing in it is processed.

Acknowledge fast, then route: a signed body is stored first (storage/deliveries.py), answered 200 at once,
and routed after the answer has gone (bot/handlers/meta/intake.py), so a slow reply never makes Meta time
out and send it again. Only when the body cannot be stored (the database is down) is the answer 500, and
Meta sends it again. Meta's retry of a stored body is one row; a message already recorded (same message id)
is never answered twice.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bot.clock import Clock
from bot.handlers.meta.intake import MetaIntake
from bot.handlers.meta.names import SenderNames
from bot.handlers.meta.parse import OBJECTS
from bot.handlers.meta.signature import HEADER, is_signed, verify_challenge
from bot.messages import Inbound
from storage.engine import Database

log = logging.getLogger(__name__)
WEBHOOK_PATH = "/meta/webhook"
WEBHOOK_BODY_LIMIT = 1024 * 1024


def meta_webhook(app_secret: str, verify_token: str, platforms: frozenset[str], deliver: Callable[[Inbound], Awaitable[Any]],
                 db: Database, clock: Clock, names: SenderNames | None = None) -> Sequence[BaseRoute]:
    """`platforms`: the Meta platforms that are on; payloads for the others are acknowledged and dropped.
    `names` reads Messenger and Instagram customers' names, which their webhooks leave out."""
    intake = MetaIntake(deliver, db, clock, names)

    async def verify(request: Request) -> Response:
        challenge = verify_challenge(dict(request.query_params), verify_token)
        if challenge is None:
            return PlainTextResponse("wrong verify token", status_code=403)
        return PlainTextResponse(challenge)

    async def receive(request: Request) -> Response:
        body = await request.body()
        if not is_signed(body, request.headers.get(HEADER), app_secret):
            return PlainTextResponse("wrong or missing X-Hub-Signature-256", status_code=403)
        platform = _platform_of(body)
        if platform is None:
            return PlainTextResponse("body is not a Meta webhook payload", status_code=400)
        if platform not in platforms:
            return Response(status_code=200)
        try:
            stored = await intake.store(platform, body)
        except Exception:  # the database is down: 500, so Meta delivers it again
            log.exception("meta delivery not stored; Meta will send it again", extra={"platform": platform})
            return PlainTextResponse("the delivery could not be stored now", status_code=500)
        if stored.routed:
            return Response(status_code=200)  # Meta's retry of a body already handled
        return Response(status_code=200, background=BackgroundTask(intake.route_after_answer, stored))

    return [Route(WEBHOOK_PATH, verify, methods=["GET"]), Route(WEBHOOK_PATH, receive, methods=["POST"])]


def _platform_of(body: bytes) -> str | None:
    try:
        payload = json.loads(body)
    except ValueError:
        return None
    return OBJECTS.get(str(payload.get("object"))) if isinstance(payload, dict) else None
