"""Direct messages about an event to the people who answered: confirmations, promotions, reminders,
changes and cancellations. Each is an outbox "reply" row written in the caller's transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.drafting.names import greeting_name
from bot.errors import BrokenTemplate
from bot.events.invites import still_reachable
from bot.events.model import GOING, MAYBE, WAITLISTED
from bot.events.render import EventTexts, EventView, event_view
from bot.platforms import traits_of
from bot.profile.model import BusinessProfile
from storage import audit, conversations, outbox
from storage import events as store
from storage.engine import Database
from storage.events import EventRecord, RsvpRecord
from storage.outbox_rows import Reply, event_key

# Platforms where the bot can write to one person privately (X replies would be public).
ANSWERED = (GOING, MAYBE, WAITLISTED)
# What each message to one person is, as the owner's note about one held back names it.
NOTICES = {"event_attendee_reminder": "the reminder", "event_changed": "the news of the change",
           "event_cancelled": "the cancellation", "rsvp_promotion": "the place off the waiting list"}


@dataclass(frozen=True, slots=True)
class EventsContext:
    """What every part of the events feature needs: storage, time, the business and its templates."""

    db: Database
    clock: Clock
    profile: BusinessProfile
    texts: EventTexts
    base_url: str | None = None

    async def view(self, session: AsyncSession, event: EventRecord) -> EventView:
        return event_view(event, self.profile, await store.seats_taken(session, event.id), self.base_url)


def first_name(display_name: str) -> str:
    """Event messages may be read in public (a group, a reply thread): only a plain name is repeated."""
    return greeting_name(display_name, public=True)


async def tell(session: AsyncSession, ctx: EventsContext, event: EventRecord, rsvp: RsvpRecord, *,
               template: str, key: str, now: datetime, **extra: Any) -> bool:
    """Queue one message to the person behind an RSVP, on the platform they answered from (on WhatsApp,
    Messenger and Instagram only within Meta's rules; the owner is told of one held back)."""
    if not rsvp.thread_key:
        return False
    if traits_of(rsvp.platform).invites_each_customer and not await still_reachable(
            session, ctx.profile, event, rsvp.platform, rsvp.thread_key, now, NOTICES.get(template, "a message")):
        return False
    view = await ctx.view(session, event)
    try:
        text = ctx.texts.message(template, rsvp.platform, view, customer_name=first_name(rsvp.display_name),
                                 party_size=rsvp.party_size, **extra)
    except BrokenTemplate as exc:  # an owner's broken template must not stop a cancellation
        await audit.record(session, at=now, actor="socialdesk", action="event_notice_failed",
                           subject=f"event:{event.id}", detail={"key": key, "error": str(exc)})
        return False
    conversation = await conversations.find_conversation(session, rsvp.platform, rsvp.thread_key)
    words = Reply(rsvp.thread_key, text, None, rsvp.recipient_id, conversation.id if conversation else None)
    return await outbox.queue(session, key, words, platform=rsvp.platform, now=now, event_id=event.id)


async def tell_everyone(session: AsyncSession, ctx: EventsContext, event: EventRecord, *, template: str,
                        tag: str, now: datetime, **extra: Any) -> int:
    """Tell everyone who answered going, maybe or waitlisted; returns how many were told."""
    told = 0
    for rsvp in await store.rsvps(session, event.id, statuses=ANSWERED):
        key = event_key(event.id, tag, rsvp.contact_id, version=event.sequence)
        told += await tell(session, ctx, event, rsvp, template=template, key=key, now=now, **extra)
    return told


async def remind_attendees(session: AsyncSession, ctx: EventsContext, event: EventRecord, *, post: str,
                           when: str, now: datetime) -> int:
    """A direct message to each person going, on platforms that allow one."""
    told = 0
    for rsvp in await store.rsvps(session, event.id, statuses=(GOING,)):
        traits = traits_of(rsvp.platform)
        if not (traits.direct_messages or traits.invites_each_customer):
            continue
        key = event_key(event.id, "dm", post, rsvp.contact_id, version=event.sequence)
        told += await tell(session, ctx, event, rsvp, template="event_attendee_reminder", key=key, now=now,
                           when=when)
    return told
