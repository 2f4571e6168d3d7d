"""RSVPs: one per contact per event, changeable, within capacity; a waitlist promoted in order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.events.model import GOING, WAITLISTED
from bot.events.notices import EventsContext, first_name, tell
from storage import audit
from storage import events as store
from storage.events import EventRecord, RsvpRecord
from storage.outbox_rows import event_key


@dataclass(frozen=True, slots=True)
class RsvpOutcome:
    """What an answer did: the RSVP as it now stands, its waitlist position, who was promoted."""

    event: EventRecord
    rsvp: RsvpRecord
    position: int | None = None
    promoted: tuple[RsvpRecord, ...] = ()
    asked_for: int | None = None


async def answer(session: AsyncSession, ctx: EventsContext, event: EventRecord, *, contact_id: int, platform: str,
                 thread_key: str | None, status: str, party_size: int | None, now: datetime) -> RsvpOutcome:
    """Record a contact's answer. "Going" beyond capacity (or behind a queue) joins the waitlist."""
    before = await store.get_rsvp(session, event.id, contact_id)
    size = party_size or (before.party_size if before else 1)
    if status == GOING and not await _fits(session, event, contact_id, size):
        if before is not None and before.status == GOING:
            size = before.party_size  # already in: keep the place rather than lose it for a bigger party
        else:
            status = WAITLISTED
    # Someone already waiting keeps their place in the queue.
    at = before.updated_at if before and before.status == WAITLISTED == status else now
    rsvp = await store.save_rsvp(session, event_id=event.id, contact_id=contact_id, status=status,
                                 party_size=size, platform=platform, thread_key=thread_key, now=at)
    await audit.record(session, at=now, actor=f"{platform}:{contact_id}", action="rsvp",
                       subject=f"event:{event.id}", detail={"status": status, "party_size": size})
    promoted: tuple[RsvpRecord, ...] = ()
    if before is not None and before.status == GOING and (status != GOING or size < before.party_size):
        promoted = await promote(session, ctx, event, now)
    position = await waitlist_position(session, event.id, contact_id) if status == WAITLISTED else None
    return RsvpOutcome(event, rsvp, position, promoted, party_size)


async def _fits(session: AsyncSession, event: EventRecord, contact_id: int, size: int) -> bool:
    if event.capacity is None:
        return True
    queue = [r for r in await store.rsvps(session, event.id, statuses=(WAITLISTED,)) if r.contact_id != contact_id]
    taken = await store.seats_taken(session, event.id, except_contact=contact_id)
    return not queue and taken + size <= event.capacity


async def promote(session: AsyncSession, ctx: EventsContext, event: EventRecord, now: datetime) -> tuple[RsvpRecord, ...]:
    """Move people from the front of the waitlist to going while their party fits, and tell them."""
    if event.capacity is None:
        waiting = await store.rsvps(session, event.id, statuses=(WAITLISTED,))
        free = sum(r.party_size for r in waiting)
    else:
        free = event.capacity - await store.seats_taken(session, event.id)
    promoted = []
    for rsvp in await store.rsvps(session, event.id, statuses=(WAITLISTED,)):
        if rsvp.party_size > free:
            break  # first come, first served: nobody jumps the queue
        free -= rsvp.party_size
        await store.set_rsvp_status(session, rsvp.id, GOING, now)
        await audit.record(session, at=now, actor="socialdesk", action="rsvp_promoted",
                           subject=f"event:{event.id}", detail={"contact_id": rsvp.contact_id})
        key = event_key(event.id, "promoted", rsvp.contact_id, version=now.isoformat())
        await tell(session, ctx, event, rsvp, template="rsvp_promotion", key=key, now=now)
        promoted.append(rsvp)
    return tuple(promoted)


async def waitlist_position(session: AsyncSession, event_id: int, contact_id: int) -> int | None:
    waiting = await store.rsvps(session, event_id, statuses=(WAITLISTED,))
    return next((n for n, r in enumerate(waiting, start=1) if r.contact_id == contact_id), None)


async def confirmation(session: AsyncSession, ctx: EventsContext, outcome: RsvpOutcome, platform: str,
                       display_name: str) -> str:
    """The message that confirms an answer, in the customer's own platform's format."""
    view = await ctx.view(session, outcome.event)
    return ctx.texts.message("rsvp_confirmation", platform, view, status=outcome.rsvp.status,
                            customer_name=first_name(display_name), party_size=outcome.rsvp.party_size,
                            position=outcome.position, asked_for=outcome.asked_for)
