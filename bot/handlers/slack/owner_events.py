"""Events from the owner's Slack: `/event` opens the create modal, `/event list` shows what is coming,
and each listed event has Edit, Attendees and Cancel buttons (also on App Home).

Only approvers may use any of it; everyone else is told so in a message only they see. The modal is
checked before Slack gets its answer, so a bad field is shown next to that field and nothing is stored.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot import platforms
from bot.errors import ChannelError, DataError, NotAllowed
from bot.events.model import CANCELLED
from bot.events.service import EventService
from bot.events.spec import EventSpec, spec_from_fields
from bot.handlers.slack.api import call
from bot.handlers.slack.blocks.event_form import CAPACITY, CHANNELS, EVENT_MODAL, LENGTH, START_DATE, TITLE, \
    ANNOUNCE_DATE, EventForm, event_modal, form_of, read_submission
from bot.handlers.slack.blocks.event_lists import ATTENDEES, CANCEL_EVENT, EDIT_EVENT, EventLine, attendee_blocks, \
    attendee_text, event_list, line_of, when_text, with_events
from bot.handlers.slack.owner_actions import ONLY_APPROVERS, contained
from bot.handlers.slack.ports import DeskPorts
from bot.profile.model import BusinessProfile
from storage.events import EventRecord

log = logging.getLogger(__name__)
Body = Mapping[str, Any]
Ack = Callable[..., Awaitable[Any]]
USAGE = "`/event` (or `/event Title`) opens the form for a new event; `/event list` shows the upcoming ones."
_ERROR_FIELDS = (("capacity", CAPACITY), ("end", LENGTH), ("announce", ANNOUNCE_DATE), ("channel", CHANNELS),
                 ("title", TITLE))


def register_events(bolt: AsyncApp, desk: DeskPorts) -> None:
    """The `slack_extensions()` entry: adds the events listeners to the owner's Bolt app."""
    if desk.events is not None:
        EventListeners(bolt.client, desk, desk.events).register(bolt)


async def upcoming_lines(events: EventService | None, profile: BusinessProfile) -> list[EventLine]:
    """Upcoming events with their numbers (for `/event list` and App Home)."""
    if events is None:
        return []
    coming = [e for e in await events.list_events() if e.status != CANCELLED]
    return [line_of(event, await events.attendees(event.id), profile.zone) for event in coming]


def channel_choices(profile: BusinessProfile) -> list[str]:
    """The places the business posts invites to: those its events name, then each enabled platform
    that needs no place (X, the console)."""
    named = [channel for event in profile.events for channel in event.channels]
    toggles = profile.channels
    bare = [name for name in platforms.where(lambda traits: traits.posts_without_place)
            if (toggle := getattr(toggles, name, None)) is not None and toggle.enabled]
    return list(dict.fromkeys([*named, *bare]))


class EventListeners:
    def __init__(self, client: AsyncWebClient, desk: DeskPorts, events: EventService) -> None:
        self._client, self._desk, self._events = client, desk, events
        self._profile, self._clock = desk.ports.profile, desk.ports.clock
        self._zone = self._profile.zone

    def register(self, bolt: AsyncApp) -> None:
        bolt.command("/event")(contained(self.command))
        bolt.view(EVENT_MODAL)(contained(self.submitted))
        bolt.action(EDIT_EVENT)(contained(self.edit))
        bolt.action(CANCEL_EVENT)(contained(self.cancel))
        bolt.action(ATTENDEES)(contained(self.attendees))

    async def command(self, ack: Ack, body: Body) -> None:
        text = str(body.get("text") or "").strip()
        if not self._approver(str(body.get("user_id"))):
            await ack(text=ONLY_APPROVERS)
        elif text.lower() == "list":
            await ack(text="Upcoming events", blocks=event_list(await upcoming_lines(self._events, self._profile)))
        elif text.lower() in ("help", "?"):
            await ack(text=USAGE)
        else:
            await ack()
            form = EventForm(title=text, place=self._profile.business.address or "")
            await self._open(body, form, {"channel": body.get("channel_id")})

    async def submitted(self, ack: Ack, body: Body, view: Body) -> None:
        user, meta = str(body["user"]["id"]), json.loads(view.get("private_metadata") or "{}")
        if not self._approver(user):
            await ack(response_action="errors", errors={TITLE: ONLY_APPROVERS})
            return
        form = read_submission(view.get("state", {}).get("values", {}), self._zone, self._clock.now())
        if form.errors:
            await ack(response_action="errors", errors=form.errors)
            return
        try:
            spec = spec_from_fields(form.fields).validated(self._zone)
        except DataError as exc:
            await ack(response_action="errors", errors={_field_of(str(exc)): str(exc)})
            return
        await ack()
        await self._save(spec, meta, user)

    async def _save(self, spec: EventSpec, meta: Mapping[str, Any], user: str) -> None:
        try:
            if meta.get("event_id"):
                event = await self._events.edit_event(
                    int(meta["event_id"]), actor=user, title=spec.title, starts_at=spec.starts_at,
                    ends_at=spec.ends_at, description=spec.description, place=spec.place, capacity=spec.capacity,
                    channels=spec.channels, announce_at=spec.announce_at)
                done = "Changed"
            else:
                event = await self._events.create_event(spec, actor=user)
                done = "Created"
        except DataError as exc:
            await self._tell(meta.get("channel"), user, f"Nothing changed: {exc}.")
            return
        self._wake()
        posts = sum(1 for item in await self._events.posts(event.id) if item.status == "pending")
        owned = (f" It is listed in business.yaml (key `{event.key}`): change it there too, or it goes back to "
                 "what the file says when the bot next starts.") if event.key and done == "Changed" else ""
        await self._tell(meta.get("channel"), user, f":calendar: {done} *{event.title}*, "
                         f"{when_text(event.starts_at, event.ends_at, self._zone)}: {posts} posts planned.{owned}")

    async def edit(self, ack: Ack, body: Body) -> None:
        await ack()
        event = await self._clicked(body)
        if event is None:
            return
        if event.status == CANCELLED:
            await self._tell(_channel(body), body["user"]["id"], f"*{event.title}* is cancelled and cannot be changed.")
            return
        await self._open(body, form_of(event), {"event_id": event.id, "channel": _channel(body)})

    async def cancel(self, ack: Ack, body: Body) -> None:
        await ack()
        event, user = await self._clicked(body), str(body["user"]["id"])
        if event is None:
            return
        if event.status == CANCELLED:
            await self._tell(_channel(body), user, f"*{event.title}* was already cancelled.")
            return
        told = await self._events.cancel_event(event.id, actor=user)
        self._wake()
        await self._tell(_channel(body), user, f":no_entry_sign: Cancelled *{event.title}*. Unsent posts are "
                                              f"withdrawn; {told} {'person' if told == 1 else 'people'} told.")
        await self._refresh_home(body)

    async def attendees(self, ack: Ack, body: Body) -> None:
        await ack()
        event = await self._clicked(body)
        if event is not None:
            rsvps = await self._events.attendees(event.id)
            await self._tell(_channel(body), str(body["user"]["id"]), attendee_text(event, rsvps),
                             attendee_blocks(event, rsvps, self._zone))

    async def _clicked(self, body: Body) -> EventRecord | None:
        """The event whose button an approver clicked; None (and a word to the clicker) otherwise."""
        if await self._refused(body):
            return None
        try:
            return await self._events.get(_event_id(body))
        except DataError:
            await self._tell(_channel(body), str(body["user"]["id"]), "That event no longer exists.")
            return None

    async def _refresh_home(self, body: Body) -> None:
        """After a click on App Home, show the events there as they now are."""
        home = body.get("view") or {}
        if (body.get("container") or {}).get("type") == "view" and home.get("type") == "home":
            blocks = with_events(home.get("blocks") or [], await upcoming_lines(self._events, self._profile))
            await call(self._client.views_publish(user_id=body["user"]["id"], view={"type": "home", "blocks": blocks}))

    async def _open(self, body: Body, form: EventForm, meta: dict[str, Any]) -> None:
        modal = event_modal(form, channel_choices(self._profile), self._zone, meta)
        await call(self._client.views_open(trigger_id=body["trigger_id"], view=modal))

    def _approver(self, user: str) -> bool:
        try:
            self._desk.approvals.check(user)
        except NotAllowed:
            return False
        return True

    async def _refused(self, body: Body) -> bool:
        if self._approver(str(body["user"]["id"])):
            return False
        await self._tell(_channel(body), str(body["user"]["id"]), ONLY_APPROVERS)
        return True

    async def _tell(self, channel: str | None, user: str, text: str, blocks: list[dict[str, Any]] | None = None) -> None:
        """A message only `user` sees where they asked; from App Home, or a channel the bot is not in,
        in their direct messages with the app."""
        extra = {"blocks": blocks} if blocks else {}
        try:
            if channel:
                await call(self._client.chat_postEphemeral(channel=channel, user=user, text=text, **extra))
                return
        except ChannelError:
            log.info("could not answer in %s; answering in the app's direct messages", channel)
        try:
            await call(self._client.chat_postMessage(channel=user, text=text, **extra))
        except ChannelError:
            log.warning("could not show the owner an events message", exc_info=True)

    def _wake(self) -> None:
        self._desk.ports.wake()


def _event_id(body: Body) -> int:
    return int(body["actions"][0]["value"])


def _channel(body: Body) -> str | None:
    """Where a button was clicked: a channel (the /event list message) or None (App Home)."""
    found = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
    return str(found) if found else None


def _field_of(message: str) -> str:
    lowered = message.lower()
    return next((block for word, block in _ERROR_FIELDS if word in lowered), START_DATE)
