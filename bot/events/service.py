"""Create, change and cancel events; every change re-plans the posts that have not gone out yet.

`EventService.create_event` is what the CLI, the business profile and the owner's Slack `/event`
modal call; `edit_event` and `cancel_event` likewise.
"""

from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import DataError
from bot.events.invites import HELD, reach_now
from bot.events.model import CANCELLED, SCHEDULED, InvitePlan, plan_of
from bot.events.notices import EventsContext, tell_everyone
from bot.events.planning import plan_posts, post_key
from bot.events.reach import Reach
from bot.events.rsvp import promote
from bot.events.spec import EventSpec, spec_of
from storage import audit, outbox
from storage import events as store
from storage.events import EventRecord, RsvpRecord
from storage.outbox_rows import EventPost, Kind, unversioned
from storage.records import OutboxItem

SENT_STATES = (outbox.SENT, outbox.CLAIMED, outbox.SENDING, outbox.UNCERTAIN)


class EventService:
    def __init__(self, ctx: EventsContext) -> None:
        self.ctx = ctx

    async def create_event(self, spec: EventSpec, *, actor: str = "owner") -> EventRecord:
        spec = spec.validated(self.ctx.profile.zone)
        now = self.ctx.clock.now()
        async with self.ctx.db.session() as session:
            event = await store.insert_event(session, **_columns(spec), uid=f"{uuid.uuid4()}@socialdesk",
                                             sequence=0, created_at=now, updated_at=now)
            await self._schedule(session, event, now)
            await audit.record(session, at=now, actor=actor, action="event_created", subject=f"event:{event.id}",
                               detail={"title": event.title, "starts_at": event.starts_at.isoformat()})
        return event

    async def edit_event(self, event_id: int, *, actor: str = "owner", **changes: Any) -> EventRecord:
        """Change any EventSpec field; a new time re-plans the unsent posts and tells those who answered."""
        now = self.ctx.clock.now()
        async with self.ctx.db.session() as session:
            before = await self._get(session, event_id)
            if before.status == CANCELLED:
                raise DataError(f"event {event_id} is cancelled and cannot be changed")
            spec = dataclasses.replace(spec_of(before), **changes).validated(self.ctx.profile.zone)
            event = await store.update_event(session, event_id, **_columns(spec), sequence=before.sequence + 1,
                                             updated_at=now)
            await outbox.cancel(session, event_id=event_id, kinds=(Kind.EVENT_POST,))
            await self._schedule(session, event, now)
            if event.starts_at != before.starts_at or event.place != before.place:
                await tell_everyone(session, self.ctx, event, template="event_changed", tag="changed", now=now)
            await promote(session, self.ctx, event, now)
            await audit.record(session, at=now, actor=actor, action="event_edited", subject=f"event:{event_id}",
                               detail={"changed": sorted(changes)})
        return event

    async def cancel_event(self, event_id: int, *, actor: str = "owner", reason: str | None = None) -> int:
        """Cancel: unsent posts are withdrawn and everyone who answered is told. Returns how many were told."""
        now = self.ctx.clock.now()
        async with self.ctx.db.session() as session:
            before = await self._get(session, event_id)
            if before.status == CANCELLED:
                return 0
            event = await store.update_event(session, event_id, status=CANCELLED, sequence=before.sequence + 1,
                                             updated_at=now)
            await outbox.cancel(session, event_id=event_id)
            told = await tell_everyone(session, self.ctx, event, template="event_cancelled", tag="cancelled",
                                       now=now, reason=reason)
            await audit.record(session, at=now, actor=actor, action="event_cancelled", subject=f"event:{event_id}",
                               detail={"told": told, "reason": reason})
        return told

    async def get(self, event_id: int) -> EventRecord:
        async with self.ctx.db.session() as session:
            return await self._get(session, event_id)

    async def list_events(self, *, include_past: bool = False) -> list[EventRecord]:
        async with self.ctx.db.session() as session:
            return await store.list_events(session, since=None if include_past else self.ctx.clock.now())

    async def posts(self, event_id: int) -> list[OutboxItem]:
        async with self.ctx.db.session() as session:
            return await store.outbox_rows(session, event_id)

    async def invite_reach(self, event_id: int) -> dict[str, Reach]:
        """For each platform where the invite goes to each customer (WhatsApp, Messenger, Instagram): whom it
        would reach if it went now, and whom Meta's rules hold back."""
        now = self.ctx.clock.now()
        async with self.ctx.db.session() as session:
            event = await self._get(session, event_id)
            return {t.platform: await reach_now(session, self.ctx.profile, event, t.platform, now)
                    for t in plan_of(event).targets if t.each_customer}

    async def held_invites(self, event_id: int) -> dict[str, list[str]]:
        """Per platform, why customers were not sent the invite (one line per time it happened)."""
        async with self.ctx.db.session() as session:
            entries = await audit.entries(session, subject=f"event:{event_id}")
        held: dict[str, list[str]] = {}
        for entry in entries:
            if entry.action == HELD:
                names = ", ".join(entry.detail.get("names", []))
                held.setdefault(entry.detail["platform"], []).append(
                    f"{entry.detail['held']} held ({names}): {entry.detail['reason']}")
        return held

    async def attendees(self, event_id: int) -> list[RsvpRecord]:
        async with self.ctx.db.session() as session:
            await self._get(session, event_id)
            return await store.rsvps(session, event_id)

    async def _get(self, session: AsyncSession, event_id: int) -> EventRecord:
        event = await store.get_event(session, event_id)
        if event is None:
            raise DataError(f"there is no event {event_id} (socialdesk events list shows them)")
        return event

    async def _schedule(self, session: AsyncSession, event: EventRecord, now: datetime) -> int:
        """Queue each planned post not already made under an earlier version of the event."""
        if event.status != SCHEDULED:
            return 0
        made = {unversioned(item.idempotency_key) for item in await store.outbox_rows(session, event.id)
                if item.status in SENT_STATES}
        queued = 0
        for post in plan_posts(event.starts_at, self.ctx.profile.zone, plan_of(event), now):
            key = post_key(event.id, post, event.sequence)
            if unversioned(key) in made:
                continue
            platform = post.target.platform if post.target else "events"
            row = EventPost(event.id, post.post, post.target.thread_key if post.target else None)
            queued += await outbox.queue(session, key, row, platform=platform, due_at=post.due_at, now=now,
                                         event_id=event.id)
        return queued


def _columns(spec: EventSpec) -> dict[str, Any]:
    plan = InvitePlan.build(spec.channels, spec.announce_at, spec.reminders, spec.attendee_reminder)
    return dict(key=spec.key, title=spec.title, description=spec.description, starts_at=spec.starts_at,
                ends_at=spec.ends_at, timezone=spec.timezone or "UTC", place=spec.place, capacity=spec.capacity,
                image_url=spec.image_url, status=spec.status, plan=plan.to_json())
