"""The web chat's HTTP routes, served by `socialdesk serve`.

    POST /webchat/messages   a visitor's message → 202 (400 bad input, 403 foreign origin, 429 too fast,
                             503 database down: send again, 500 cannot be handled: the owner is told)
    GET  /webchat/messages   the visitor's replies after a cursor, long-polling until one arrives
    GET  /webchat            a chat page of its own
    GET  /webchat/widget.js  the script a business pastes into its website
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

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
from storage import outbox
from storage.outbox_rows import OwnerNote, note_key

if TYPE_CHECKING:  # the web process hands us the running app; handlers never build one
    from bot.app import App
    from bot.outbox import OutboxWorker

log = logging.getLogger(__name__)


def webchat_routes(app: "App") -> Sequence[BaseRoute]:
    """The web chat routes with the default timings and limits (the entry in bot.web.route_providers)."""
    return webchat_provider()(app)


def webchat_provider(options: WebChatOptions = WebChatOptions()) -> Callable[["App"], Sequence[BaseRoute]]:
    def provide(app: "App") -> Sequence[BaseRoute]:
        if not app.profile.channels.webchat.enabled:
            return []
        return WebChatRoutes(app, attach_channel(app.worker), options).routes()
    return provide


def attach_channel(worker: "OutboxWorker") -> WebChatChannel:
    """The process's one web chat channel, shared by the routes and the outbox worker that wakes them."""
    existing = worker.channels.get(PLATFORM)
    channel = existing if isinstance(existing, WebChatChannel) else WebChatChannel()
    worker.channels[PLATFORM] = channel
    return channel


class WebChatRoutes:
    def __init__(self, app: "App", channel: WebChatChannel, options: WebChatOptions) -> None:
        self._app, self._channel, self._options = app, channel, options
        self._limits = Limits(app.clock, options.per_visitor_per_minute, options.per_address_per_minute,
                              options.overall_per_minute)
        config = app.profile.channels.webchat
        self._origins = allowed_origins([app.profile.business.website, app.settings.public_base_url,
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
            handled = await self._app.router.handle(to_inbound(message, self._app.clock.now()))
        except Exception as exc:
            log.exception("web chat message not recorded")
            if is_outage(exc) or not await self._told_owner(message, exc):
                return _error(503, "the message could not be saved: send it again", {**cors, "Retry-After": "5"})
            return _error(500, "this message could not be handled; the business has been told of it", cors)
        if not handled.duplicate:
            self._app.worker.wake.set()  # a reply may be due now: the web process delivers it (runner.web_deliveries)
        return JSONResponse({"id": message.client_message_id, "status": "received"}, status_code=202, headers=cors)

    async def _told_owner(self, message: ChatPost, exc: Exception) -> bool:
        """Record a message the bot cannot handle (not an outage: sending it again would fail the same
        way) and tell the owner who wrote what. False when even that could not be saved."""
        failure = Unhandled(PLATFORM, f"{message.visitor_id}:{message.client_message_id}", describe(exc),
                            message.name or None, message.text)
        try:
            await record_unhandled(self._app.db, self._app.clock, failure)
        except Exception:
            log.exception("could not record a web chat message that was not handled")
            return False
        return True

    async def _tell_owner(self, refused: Refusal) -> None:
        """One note on the owner's desk per hour while limits trip, however many messages are refused."""
        now = self._app.clock.now()
        text = (f"The web chat is refusing messages: {refused.reason}. Refused messages are not recorded; "
                "visitors are asked to wait a minute.")
        try:
            async with self._app.db.session() as session:
                added = await outbox.queue(session, note_key("webchat-limits", f"{now:%Y-%m-%dT%H}"), OwnerNote(text),
                                           now=now)
        except Exception:
            log.warning("could not queue the web chat limits note")
            return
        if added:
            self._app.worker.wake.set()

    async def replies(self, request: Request) -> Response:
        cors = cors_headers(request.headers.get("origin"), self._origins, request.headers.get("host"))
        query = request.query_params
        try:
            visitor_id = parse_visitor_id(query.get("visitor_id"))
            after = parse_cursor(query.get("after"))
            wait = parse_wait(query.get("wait"), self._options.poll_timeout)
        except BadPayload as exc:
            return _error(400, str(exc), cors)
        found = await wait_for_replies(self._app.db, self._channel.replies, visitor_id, after, wait, self._options)
        messages = [{"id": m.id, "text": m.text, "at": m.sent_at.isoformat()} for m in found]
        cursor = found[-1].id if found else after
        return JSONResponse({"messages": messages, "cursor": cursor},
                            headers={**cors, "Cache-Control": "no-store"})

    async def preflight(self, request: Request) -> Response:
        headers = preflight_headers(request.headers.get("origin"), self._origins, request.headers.get("host"))
        return Response(status_code=204, headers=headers)

    async def page(self, _: Request) -> Response:
        body, headers = webchat_assets.page(self._app.profile.business.name)
        return Response(body, media_type="text/html", headers=headers)

    async def widget(self, _: Request) -> Response:
        return Response(webchat_assets.widget(self._app.profile.business.name), media_type="text/javascript",
                        headers={"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"})


def _error(status: int, message: str, headers: dict[str, str]) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)
