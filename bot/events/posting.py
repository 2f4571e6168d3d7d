"""Making one scheduled post when its outbox row comes due: render it for the platform and send it,
fan attendee reminders out as direct messages, or skip it (with a note to the owner) when the event
has already started."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import ChannelNotRunning
from bot.events.invites import invite_each, still_reachable
from bot.events.model import SCHEDULED, Offset
from bot.events.notices import EventsContext, remind_attendees
from bot.events.planning import ANNOUNCE, ATTENDEES, REMINDER, should_send_late, superseded
from bot.events.render import EventView
from bot.events.words import button_values
from bot.messages import Button, Outbound
from bot.platforms import traits_of
from bot.ports import Channel
from storage import audit, outbox
from storage import events as store
from storage.events import EventRecord
from storage.outbox_rows import EventPost, Kind, OwnerNote, note_key, row_as
from storage.records import OutboxItem


def when_label(offset: Offset) -> str:
    if offset.days == 7 and not offset.hours and not offset.minutes:
        return "a week away"
    if offset.days == 1 and not offset.hours and not offset.minutes:
        return "tomorrow"
    if not offset.days and offset.hours and not offset.minutes:
        return f"in {offset.hours} hour{'s' if offset.hours > 1 else ''}"
    if offset.days and not offset.hours and not offset.minutes:
        return f"in {offset.days} days"
    return "coming up soon"


def rsvp_buttons(event_id: int) -> tuple[Button, ...]:
    return tuple(Button(label, "rsvp", value) for label, value in button_values(event_id))


class EventPoster:
    """Delivers "event_post" outbox rows through the running channels."""

    def __init__(self, ctx: EventsContext, channels: Mapping[str, Channel]) -> None:
        self._ctx, self._channels = ctx, channels

    async def deliver(self, item: OutboxItem) -> str | None:
        row = row_as(item, EventPost)
        kind, _, label = row.post.partition("-")
        view = await self._due_post(item, row, kind, label)
        if view is None:
            return None
        channel = self._channels.get(item.platform)
        if channel is None:
            raise ChannelNotRunning(f"the {item.platform} channel is not running")
        buttons = rsvp_buttons(view.id) if traits_of(item.platform).buttons else ()
        template = "event_invite" if kind == ANNOUNCE else "event_reminder"
        when = when_label(Offset.parse(label)) if label else ""
        text = self._ctx.texts.render(template, item.platform, view, has_buttons=bool(buttons), when=when)
        return await channel.send(Outbound(platform=item.platform, thread_key=str(row.thread_key),
                                           text=text, idempotency_key=item.idempotency_key, buttons=buttons))

    async def _due_post(self, item: OutboxItem, row: EventPost, kind: str, label: str) -> EventView | None:
        """The event to post about, or None when there is nothing to send on a channel (the post was
        skipped or superseded, or it was the attendee reminders, which become direct messages)."""
        now = self._ctx.clock.now()
        async with self._ctx.db.session() as session:
            event = await store.get_event(session, row.event_id)
            if event is None or event.status != SCHEDULED:
                return None
            if not should_send_late(event.starts_at, now):
                await self._skip(session, item, row, event, now)
                return None
            if kind == REMINDER and await self._superseded(session, item, row, event, now):
                return None
            if kind == ATTENDEES:
                await remind_attendees(session, self._ctx, event, post=row.post,
                                       when=when_label(Offset.parse(label)), now=now)
                return None
            if traits_of(item.platform).invites_each_customer:
                if row.thread_key is None:  # the invite itself: one post per customer it may reach
                    await invite_each(session, self._ctx.profile, event, item.platform, row.post, item.idempotency_key, now)
                    return None
                if not await still_reachable(session, self._ctx.profile, event, item.platform, row.thread_key, now):
                    return None
            return await self._ctx.view(session, event)

    async def _superseded(self, session: AsyncSession, item: OutboxItem, row: EventPost, event: EventRecord,
                          now: datetime) -> bool:
        waiting = [other for other in await store.outbox_rows(session, event.id)
                   if other.kind == Kind.EVENT_POST and other.platform == item.platform
                   and other.status in (outbox.PENDING, outbox.CLAIMED, outbox.SENDING)]
        later = [other.due_at for other in waiting
                 if (post := row_as(other, EventPost)).thread_key == row.thread_key and post.post.startswith(REMINDER)]
        if not superseded(item.due_at, later, now):
            return False
        await audit.record(session, at=now, actor="socialdesk", action="event_post_superseded",
                           subject=f"event:{event.id}", detail={"key": item.idempotency_key})
        return True

    async def _skip(self, session: AsyncSession, item: OutboxItem, row: EventPost, event: EventRecord,
                    now: datetime) -> None:
        """Too late to be useful: record why and leave the owner a note."""
        note = (f"The {row.post} post for \"{event.title}\" on {item.platform} was not sent: it came "
                f"due at {item.due_at:%Y-%m-%d %H:%M} UTC but the event had already started (the bot was not running).")
        await audit.record(session, at=now, actor="socialdesk", action="event_post_skipped",
                           subject=f"event:{event.id}", detail={"key": item.idempotency_key, "note": note})
        await outbox.queue(session, note_key(item.idempotency_key), OwnerNote(note, event_id=event.id), now=now,
                           event_id=event.id)
