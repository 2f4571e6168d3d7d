"""Event queries the reply templates need (the events feature adds its own in bot/events)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import EventRow, RsvpRow


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
    going = (select(func.coalesce(func.sum(RsvpRow.party_size), 0))
             .where(RsvpRow.event_id == EventRow.id, RsvpRow.status == "going").scalar_subquery())
    query = (select(EventRow, going).where(EventRow.status == "scheduled", EventRow.starts_at > now)
             .order_by(EventRow.starts_at).limit(limit))
    return [
        UpcomingEvent(row.id, row.title, row.description, row.starts_at, row.ends_at, row.place, row.capacity, int(count))
        for row, count in (await session.execute(query)).all()
    ]
