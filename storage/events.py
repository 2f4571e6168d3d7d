"""Event queries: the next event for reply templates, and events, RSVPs and posts for bot/events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ContactRow, EventRow, IdentityRow, OutboxRow, RsvpRow
from storage.outbox import to_item
from storage.prepared import Prepared, run
from storage.records import OutboxItem


@dataclass(frozen=True, slots=True)
class UpcomingEvent:
    id: int
    title: str
    description: str
    starts_at: datetime
    ends_at: datetime | None
    place: str | None
    capacity: int | None
    going: int


async def upcoming(session: AsyncSession, now: datetime, limit: int = 1) -> list[UpcomingEvent]:
    rows = await run(session, _UPCOMING, {"p_now": now, "p_limit": limit})
    return [UpcomingEvent(*row[:-1], int(row[-1])) for row in rows.rows]


_GOING = (select(func.coalesce(func.sum(RsvpRow.party_size), 0))
          .where(RsvpRow.event_id == EventRow.id, RsvpRow.status == "going").scalar_subquery())
# Replies that mention the next event run this for every message that asks about events.
_UPCOMING = Prepared(
    select(EventRow.id, EventRow.title, EventRow.description, EventRow.starts_at, EventRow.ends_at, EventRow.place,
           EventRow.capacity, _GOING)
    .where(EventRow.status == "scheduled", EventRow.starts_at > bindparam("p_now", type_=EventRow.starts_at.type))
    .order_by(EventRow.starts_at).limit(bindparam("p_limit")))


# --- The events feature: events, their RSVPs and their scheduled posts ---------------------------------

@dataclass(frozen=True, slots=True)
class EventRecord:
    id: int
    key: str | None
    uid: str
    title: str
    description: str
    starts_at: datetime
    ends_at: datetime | None
    timezone: str
    place: str | None
    capacity: int | None
    image_url: str | None
    status: str
    plan: dict[str, Any]
    sequence: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class RsvpRecord:
    """One contact's answer for one event, with what is needed to write back to them."""

    id: int
    event_id: int
    contact_id: int
    status: str
    party_size: int
    platform: str
    thread_key: str | None
    created_at: datetime
    updated_at: datetime
    display_name: str
    recipient_id: str | None


def to_event(row: EventRow) -> EventRecord:
    return EventRecord(row.id, row.key, row.uid, row.title, row.description, row.starts_at, row.ends_at,
                       row.timezone, row.place, row.capacity, row.image_url, row.status, dict(row.plan or {}),
                       row.sequence, row.created_at, row.updated_at)


async def insert_event(session: AsyncSession, **values: Any) -> EventRecord:
    row = EventRow(**values)
    session.add(row)
    await session.flush()
    return to_event(row)


async def get_event(session: AsyncSession, event_id: int) -> EventRecord | None:
    row = await session.get(EventRow, event_id)
    return to_event(row) if row else None


async def get_by_key(session: AsyncSession, key: str) -> EventRecord | None:
    row = await session.scalar(select(EventRow).where(EventRow.key == key))
    return to_event(row) if row else None


async def update_event(session: AsyncSession, event_id: int, **values: Any) -> EventRecord:
    await session.execute(update(EventRow).where(EventRow.id == event_id).values(**values)
                          .execution_options(synchronize_session=False))
    row = await session.get_one(EventRow, event_id, populate_existing=True)
    return to_event(row)


async def list_events(session: AsyncSession, *, since: datetime | None = None,
                      statuses: tuple[str, ...] | None = None) -> list[EventRecord]:
    """Events by start time; `since` keeps those that have not ended (or started, without an end) by then."""
    query = select(EventRow).order_by(EventRow.starts_at, EventRow.id)
    if since is not None:
        query = query.where(func.coalesce(EventRow.ends_at, EventRow.starts_at) > since)
    if statuses is not None:
        query = query.where(EventRow.status.in_(statuses))
    return [to_event(row) for row in (await session.scalars(query)).all()]


async def scheduled_after(session: AsyncSession, now: datetime) -> list[EventRecord]:
    """Scheduled events starting after `now`, soonest first: what an RSVP in words may be for."""
    rows = await run(session, _SCHEDULED_AFTER, {"p_now": now})
    return [EventRecord(*row[:12], dict(row[12] or {}), *row[13:]) for row in rows.rows]


# Every message that reads like an RSVP runs this, so it is prepared (storage/prepared.py).
_SCHEDULED_AFTER = Prepared(
    select(EventRow.id, EventRow.key, EventRow.uid, EventRow.title, EventRow.description, EventRow.starts_at,
           EventRow.ends_at, EventRow.timezone, EventRow.place, EventRow.capacity, EventRow.image_url,
           EventRow.status, EventRow.plan, EventRow.sequence, EventRow.created_at, EventRow.updated_at)
    .where(EventRow.status == "scheduled", EventRow.starts_at > bindparam("p_now", type_=EventRow.starts_at.type))
    .order_by(EventRow.starts_at, EventRow.id))


async def get_rsvp(session: AsyncSession, event_id: int, contact_id: int) -> RsvpRecord | None:
    found = await rsvps(session, event_id, contact_id=contact_id)
    return found[0] if found else None


async def save_rsvp(session: AsyncSession, *, event_id: int, contact_id: int, status: str, party_size: int,
                    platform: str, thread_key: str | None, now: datetime) -> RsvpRecord:
    """Create or change the one RSVP a contact has for an event."""
    row = await session.scalar(select(RsvpRow).where(RsvpRow.event_id == event_id, RsvpRow.contact_id == contact_id))
    if row is None:
        row = RsvpRow(event_id=event_id, contact_id=contact_id, created_at=now)
        session.add(row)
    row.status, row.party_size, row.platform, row.thread_key, row.updated_at = (
        status, party_size, platform, thread_key, now)
    await session.flush()
    found = await get_rsvp(session, event_id, contact_id)
    assert found is not None
    return found


async def set_rsvp_status(session: AsyncSession, rsvp_id: int, status: str, now: datetime) -> None:
    await session.execute(update(RsvpRow).where(RsvpRow.id == rsvp_id).values(status=status, updated_at=now)
                          .execution_options(synchronize_session=False))


async def rsvps(session: AsyncSession, event_id: int, *, statuses: tuple[str, ...] | None = None,
                contact_id: int | None = None) -> list[RsvpRecord]:
    """RSVPs in the order they reached their current status (the waitlist's order)."""
    query = (select(RsvpRow, ContactRow.display_name, IdentityRow.platform_user_id)
             .join(ContactRow, ContactRow.id == RsvpRow.contact_id)
             .outerjoin(IdentityRow, (IdentityRow.contact_id == RsvpRow.contact_id)
                        & (IdentityRow.platform == RsvpRow.platform))
             .where(RsvpRow.event_id == event_id).order_by(RsvpRow.updated_at, RsvpRow.id))
    if statuses is not None:
        query = query.where(RsvpRow.status.in_(statuses))
    if contact_id is not None:
        query = query.where(RsvpRow.contact_id == contact_id)
    return [RsvpRecord(r.id, r.event_id, r.contact_id, r.status, r.party_size, r.platform, r.thread_key,
                       r.created_at, r.updated_at, name, recipient)
            for r, name, recipient in (await session.execute(query)).all()]


async def seats_taken(session: AsyncSession, event_id: int, *, except_contact: int | None = None) -> int:
    query = select(func.coalesce(func.sum(RsvpRow.party_size), 0)).where(
        RsvpRow.event_id == event_id, RsvpRow.status == "going")
    if except_contact is not None:
        query = query.where(RsvpRow.contact_id != except_contact)
    return int(await session.scalar(query) or 0)


async def outbox_rows(session: AsyncSession, event_id: int) -> list[OutboxItem]:
    """Every outbox row belonging to an event: its posts, reminders and notices."""
    query = select(OutboxRow).where(OutboxRow.event_id == event_id).order_by(OutboxRow.due_at, OutboxRow.id)
    return [to_item(row) for row in (await session.scalars(query)).all()]
