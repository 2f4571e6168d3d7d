"""The one Bolt app per process: owner cards, clicks, modals, thread replies, App Home and customer
messages from a community Slack. Runs over Socket Mode (`socialdesk run`) or HTTP (`socialdesk serve`).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from typing import Any

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bot.errors import NotAllowed
from bot.handlers.slack.api import call, web_client
from bot.handlers.slack.blocks.home import HomeFigures, home_view, visitor_home
from bot.handlers.slack.customers import CustomerListener, UserNames
from bot.handlers.slack.owner_actions import Ack, OwnerListeners, contained
from bot.handlers.slack.owner_desk import SlackDesk, SlackOwnerDesk
from bot.handlers.slack.owner_events import register_events, upcoming_lines
from bot.handlers.slack.ports import DeskPorts
from bot.handlers.slack.presses import RSVP_ACTION_PREFIX, PrivateThreads, RsvpPresses
from bot.logs import slack_logger
from storage import desk_stats

log = logging.getLogger(__name__)
EVENTS_PATH = "/slack/events"
# Slack's largest requests (a 40,000-character message event, a 100-block modal submitted with its state,
# form-encoded) stay well under this; a body above it is refused unread.
EVENTS_BODY_LIMIT = 1024 * 1024
TIMESTAMP_HEADER = "X-Slack-Request-Timestamp"
# A feature that adds its own Slack listeners (a slash command, a shortcut, a modal) to the shared app.
SlackExtension = Callable[[AsyncApp, DeskPorts], None]


def slack_extensions() -> list[SlackExtension]:
    """Listeners other features add to the owner's Slack app; the events feature registers /event here."""
    return [register_events]


def build_slack_desk(parts: DeskPorts) -> SlackDesk:
    """The owner desk and its Bolt app, from SLACK_BOT_TOKEN (and SLACK_SIGNING_SECRET for HTTP)."""
    ports = parts.ports
    client = web_client(ports.settings)
    secret = ports.settings.slack_signing_secret
    bolt = AsyncApp(client=client, signing_secret=secret.get_secret_value() if secret else "",
                    name="socialdesk", logger=slack_logger())
    profile = ports.profile
    desk = SlackOwnerDesk(client, ports.db, ports.clock, profile.owner.slack_channel or "#socialdesk",
                          list(profile.active_intents()))
    owner = OwnerListeners(desk, parts.approvals, ports.db, ports.clock, ports.wake)
    owner.register(bolt)
    SlackEvents(parts, desk, owner).register(bolt)
    for extension in slack_extensions():
        extension(bolt, parts)
    return SlackDesk(bolt, desk)


class SlackEvents:
    """Events API: thread replies in the owner channel, customer mentions and DMs, App Home."""

    def __init__(self, parts: DeskPorts, desk: SlackOwnerDesk, owner: OwnerListeners) -> None:
        self._parts, self._desk, self._owner = parts, desk, owner
        profile = parts.ports.profile
        self._customers_on = profile.channels.slack.enabled
        names = UserNames(desk.client)
        deliver = parts.ports.deliver
        self._customers = CustomerListener(deliver, desk.is_owner_channel, set(profile.owner.approvers), names)
        self._presses = RsvpPresses(deliver, PrivateThreads(desk.client), names.name)

    def register(self, bolt: AsyncApp) -> None:
        bolt.event("app_mention")(contained(self.on_mention))
        bolt.event("message")(contained(self.on_message))
        bolt.event("app_home_opened")(contained(self.on_home))
        bolt.action(re.compile(f"^{re.escape(RSVP_ACTION_PREFIX)}"))(contained(self.on_rsvp))

    async def on_rsvp(self, ack: Ack, body: Mapping[str, Any]) -> None:
        """Going / Maybe / Can't go under an event post: answered to the presser alone."""
        await ack()
        if self._customers_on:
            await self._presses.on_press(body)

    async def on_mention(self, event: Mapping[str, Any]) -> None:
        if self._customers_on:
            await self._customers.on_event(event)

    async def on_message(self, event: Mapping[str, Any]) -> None:
        if not await self._owner.thread_reply(event) and self._customers_on:
            await self._customers.on_event(event)

    async def on_home(self, event: Mapping[str, Any]) -> None:
        if event.get("tab", "home") != "home":
            return
        try:
            self._parts.approvals.check(event["user"])
            view = home_view(await home_figures(self._parts))
        except NotAllowed:  # a customer in a community Slack must not see other customers' messages
            view = visitor_home(self._parts.ports.profile.business.name)
        await call(self._desk.client.views_publish(user_id=event["user"], view=view))


async def home_figures(parts: DeskPorts) -> HomeFigures:
    ports = parts.ports
    now = ports.clock.now()
    local = now.astimezone(ports.profile.zone)
    today = local.replace(hour=0, minute=0, second=0, microsecond=0)
    week = today - timedelta(days=local.weekday())
    events = await upcoming_lines(parts.events, ports.profile)
    async with ports.db.session() as session:
        return HomeFigures(now, await desk_stats.waiting_drafts(session), await desk_stats.owned_conversations(session),
                           await desk_stats.messages_per_platform(session, today),
                           await desk_stats.median_first_answer(session, week), events)


def http_routes(slack: SlackDesk) -> Sequence[BaseRoute]:
    """Events API, interactivity and slash commands on one signed path."""
    handler = AsyncSlackRequestHandler(slack.bolt)

    async def endpoint(request: Request) -> Response:
        if not _well_formed_timestamp(request.headers.get(TIMESTAMP_HEADER, "")):
            # Bolt's signature check would crash on it (a 500); it is as unsigned as a bad signature.
            return PlainTextResponse("invalid request signature", status_code=401)
        try:
            return await handler.handle(request)
        except ValueError:  # Bolt could not parse the body: not something Slack sends
            log.warning("malformed request to %s refused", EVENTS_PATH)
            return PlainTextResponse("malformed Slack request", status_code=400)

    return [Route(EVENTS_PATH, endpoint, methods=["POST"])]


def _well_formed_timestamp(value: str) -> bool:
    """Slack's request timestamp: whole seconds since 1970, as digits."""
    return value.isascii() and value.isdigit() and len(value) <= 12


class SocketMode:
    """Slack over a websocket (SLACK_APP_TOKEN): no public URL needed. It connects in the background and
    keeps reconnecting while Slack is unreachable; cards still wait in the outbox meanwhile."""

    def __init__(self, slack: SlackDesk, app_token: str) -> None:
        self._handler = AsyncSocketModeHandler(slack.bolt, app_token)
        self._connecting: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._connecting = asyncio.create_task(self._handler.connect_async())

    async def stop(self) -> None:
        await self._handler.close_async()
        if self._connecting is not None:
            self._connecting.cancel()
            await asyncio.gather(self._connecting, return_exceptions=True)
