"""Meta's webhook at /meta/webhook, served by `socialdesk serve`: one URL for WhatsApp, Messenger and
Instagram (one Meta app). GET is the verification handshake; every POST must carry Meta's signature
(X-Hub-Signature-256 with META_APP_SECRET) or it gets 403 and nothing in it is processed.

Meta resends a delivery that did not get 200, so a message already recorded (same message id) is
never answered twice, and only an outage (the database unreachable) answers 500. A signed delivery that
cannot be read, or a message whose handling fails on its own account, is recorded as failed and the owner
is told (bot/handlers/unhandled.py): answering 500 would only have Meta resend it, again and again.
A WhatsApp "failed" status marks the reply's outbox row failed and tells the owner.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bot.clock import Clock
from bot.errors import BadPayload
from bot.handlers.meta.parse import OBJECTS, Delivery, Status, read_delivery
from bot.handlers.meta.signature import HEADER, is_signed, verify_challenge
from bot.handlers.unhandled import Unhandled, describe, is_outage, record_unhandled
from bot.messages import Inbound
from storage import outbox
from storage.engine import Database

log = logging.getLogger(__name__)
WEBHOOK_PATH = "/meta/webhook"
WEBHOOK_BODY_LIMIT = 1024 * 1024


def meta_webhook(app_secret: str, verify_token: str, platforms: frozenset[str], deliver: Callable[[Inbound], Awaitable[Any]],
                 db: Database, clock: Clock) -> Sequence[BaseRoute]:
    """`platforms`: the Meta platforms that are on; payloads for the others are acknowledged and dropped."""

    async def verify(request: Request) -> Response:
        challenge = verify_challenge(dict(request.query_params), verify_token)
        if challenge is None:
            return PlainTextResponse("wrong verify token", status_code=403)
        return PlainTextResponse(challenge)

    async def receive(request: Request) -> Response:
        body = await request.body()
        if not is_signed(body, request.headers.get(HEADER), app_secret):
            return PlainTextResponse("wrong or missing X-Hub-Signature-256", status_code=403)
        try:
            payload = json.loads(body)
            platform = OBJECTS.get(str(payload.get("object"))) if isinstance(payload, dict) else None
        except ValueError:
            platform = None
        if platform is None:
            return PlainTextResponse("body is not a Meta webhook payload", status_code=400)
        if platform not in platforms:
            return Response(status_code=200)
        try:
            delivery = read_delivery(payload)
            await _process(delivery, deliver, db, clock)
        except BadPayload as exc:
            # Signed by Meta, so it is Meta's: resending it would not make it readable.
            reference = f"delivery {hashlib.sha256(body).hexdigest()[:12]}"
            failure = Unhandled(platform, reference, describe(exc))
            try:
                await record_unhandled(db, clock, failure)
            except Exception:
                log.exception("meta delivery not recorded; Meta will send it again", extra={"platform": platform})
                return PlainTextResponse("the delivery could not be handled now", status_code=500)
        except Exception:  # the database is down: 500, so Meta delivers it again
            log.exception("meta delivery not handled; Meta will send it again", extra={"platform": platform})
            return PlainTextResponse("the delivery could not be handled now", status_code=500)
        return Response(status_code=200)

    return [Route(WEBHOOK_PATH, verify, methods=["GET"]), Route(WEBHOOK_PATH, receive, methods=["POST"])]


async def _process(delivery: Delivery, deliver: Callable[[Inbound], Awaitable[Any]], db: Database, clock: Clock) -> None:
    for inbound in delivery.inbounds:
        try:
            await deliver(inbound)  # the router drops a message id it has recorded before
        except Exception as exc:
            if is_outage(exc):
                raise
            # This message's own failure: the owner hears of it, and the messages after it still go.
            await record_unhandled(db, clock, Unhandled(inbound.platform, f"message {inbound.external_id}", describe(exc),
                                                        inbound.sender.display_name, inbound.text))
    for status in delivery.statuses:
        await _status(delivery.platform, status, db, clock)


async def _status(platform: str, status: Status, db: Database, clock: Clock) -> None:
    if status.status != "failed":
        return  # sent, delivered, read: the row is already sent
    async with db.session() as session:
        item = await outbox.sent_as(session, platform, status.message_id)
        if item is None or item.status == outbox.FAILED:
            return
        reason = f"{platform} could not deliver it ({status.error or 'no reason given'})"
        await outbox.mark_final(session, item.id, outbox.FAILED, reason)
        await outbox.note_not_sent(session, item, f"This reply did not reach the customer: {reason}.", clock.now())
