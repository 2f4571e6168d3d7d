"""The web chat's HTTP routes, served by `socialdesk serve`.

    POST /webchat/messages   a visitor's message → 202 (400 bad input, 403 foreign origin, 429 too fast,
                             503 database down: send again, 500 cannot be handled: the owner is told)
    GET  /webchat/messages   the visitor's replies after a cursor, long-polling until one arrives
    GET  /webchat            a chat page of its own
    GET  /webchat/widget.js  the script a business pastes into its website
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.errors import BadPayload
from bot.handlers.webchat import assets as webchat_assets
from bot.handlers.webchat.channel import WebChatChannel, WebChatOptions, wait_for_replies
from bot.handlers.webchat.guard import Limits, Refusal, allowed_origins, cors_headers, is_allowed, preflight_headers
from bot.handlers.webchat.input import (MESSAGES_PATH, PLATFORM, ChatPost, parse_cursor, parse_post, parse_visitor_id,
                                        parse_wait, to_inbound)
from bot.handlers.unhandled import Unhandled, describe, is_outage, record_unhandled
from bot.ports import HandlerPorts
from storage import outbox
from storage.outbox_rows import OwnerNote, note_key

log = logging.getLogger(__name__)


def webchat_routes(ports: HandlerPorts, channel: WebChatChannel,
                   options: WebChatOptions = WebChatOptions()) -> Sequence[BaseRoute]:
    """The web chat's routes, sharing `channel` with the outbox worker that wakes its waiting visitors."""
    if not ports.profile.channels.webchat.enabled:
        return []
    return WebChatRoutes(ports, channel, options).routes()


class WebChatRoutes:
    def __init__(self, ports: HandlerPorts, channel: WebChatChannel, options: WebChatOptions) -> None:
        self._ports, self._channel, self._options = ports, channel, options
        self._limits = Limits(ports.clock, options.per_visitor_per_minute, options.per_address_per_minute,
                              options.overall_per_minute)
        self._polls: Counter[str] = Counter()  # long-polls waiting now, per client address
        config = ports.profile.channels.webchat
        self._origins = allowed_origins([ports.profile.business.website, ports.settings.public_base_url,
                                         *config.allowed_origins])

    def routes(self) -> list[BaseRoute]:
        return [Route(MESSAGES_PATH, self.post, methods=["POST"]),
                Route(MESSAGES_PATH, self.replies, methods=["GET"]),
                Route(MESSAGES_PATH, self.preflight, methods=["OPTIONS"]),
                Route("/webchat", self.page, methods=["GET"]),
                Route("/webchat/widget.js", self.widget, methods=["GET"])]

    async def post(self, request: Request) -> Response:
        origin, host = request.headers.get("origin"), request.headers.get("host")
        cors = cors_headers(origin, self._origins, host)
        if not is_allowed(origin, self._origins, host):
            return _error(403, "this website may not post to this chat", cors)
        try:
            message = parse_post(await request.body())
        except BadPayload as exc:
            return _error(400, str(exc), cors)
        address = request.client.host if request.client else "unknown"
        refused = self._limits.refusal(message.visitor_id, address)
        if refused:
            await self._tell_owner(refused)
            wait = refused.wait
            return _error(429, f"too many messages: try again in {wait} seconds", {**cors, "Retry-After": str(wait)})
        self._limits.hit(message.visitor_id, address)
        return await self._accept(message, cors)

    async def _accept(self, message: ChatPost, cors: dict[str, str]) -> Response:
        try:
            # Delivering wakes the worker: this process delivers the reply (runner.web_deliveries).
            await self._ports.deliver(to_inbound(message, self._ports.clock.now()))
        except Exception as exc:
            log.exception("web chat message not recorded")
            if is_outage(exc) or not await self._told_owner(message, exc):
                return _error(503, "the message could not be saved: send it again", {**cors, "Retry-After": "5"})
            return _error(500, "this message could not be handled; the business has been told of it", cors)
        return JSONResponse({"id": message.client_message_id, "status": "received"}, status_code=202, headers=cors)

    async def _told_owner(self, message: ChatPost, exc: Exception) -> bool:
        """Record a message the bot cannot handle (not an outage: sending it again would fail the same
        way) and tell the owner who wrote what. False when even that could not be saved."""
        failure = Unhandled(PLATFORM, f"{message.visitor_id}:{message.client_message_id}", describe(exc),
                            message.name or None, message.text)
        try:
            await record_unhandled(self._ports.db, self._ports.clock, failure)
        except Exception:
            log.exception("could not record a web chat message that was not handled")
            return False
        return True

    async def _tell_owner(self, refused: Refusal) -> None:
        """One note on the owner's desk per hour while limits trip, however many messages are refused."""
        now = self._ports.clock.now()
        text = (f"The web chat is refusing messages: {refused.reason}. Refused messages are not recorded; "
                "visitors are asked to wait a minute.")
        try:
            async with self._ports.db.session() as session:
                added = await outbox.queue(session, note_key("webchat-limits", f"{now:%Y-%m-%dT%H}"), OwnerNote(text),
                                           now=now)
        except Exception:
            log.warning("could not queue the web chat limits note")
            return
        if added:
            self._ports.wake()

    async def replies(self, request: Request) -> Response:
        cors = cors_headers(request.headers.get("origin"), self._origins, request.headers.get("host"))
        query = request.query_params
        try:
            visitor_id = parse_visitor_id(query.get("visitor_id"))
            after = parse_cursor(query.get("after"))
            wait = parse_wait(query.get("wait"), self._options.poll_timeout)
        except BadPayload as exc:
            return _error(400, str(exc), cors)
        address = request.client.host if request.client else "unknown"
        if wait > 0 and self._polls[address] >= self._options.polls_per_address:
            return _error(429, "too many open chats from this address: close a tab or wait a moment",
                          {**cors, "Retry-After": "5"})
        self._polls[address] += 1
        try:
            found = await wait_for_replies(self._ports.db, self._channel.replies, visitor_id, after, wait,
                                           self._options)
        finally:
            self._polls[address] -= 1
            if not self._polls[address]:
                del self._polls[address]
        messages = [{"id": m.id, "text": m.text, "at": m.sent_at.isoformat()} for m in found]
        cursor = found[-1].id if found else after
        return JSONResponse({"messages": messages, "cursor": cursor},
                            headers={**cors, "Cache-Control": "no-store"})

    async def preflight(self, request: Request) -> Response:
        headers = preflight_headers(request.headers.get("origin"), self._origins, request.headers.get("host"))
        return Response(status_code=204, headers=headers)

    async def page(self, _: Request) -> Response:
        body, headers = webchat_assets.page(self._ports.profile.business.name)
        return Response(body, media_type="text/html", headers=headers)

    async def widget(self, _: Request) -> Response:
        return Response(webchat_assets.widget(self._ports.profile.business.name), media_type="text/javascript",
                        headers={"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"})


def _error(status: int, message: str, headers: dict[str, str]) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)
