"""Webhook bodies recorded before they are answered, and routed after (Meta's webhook: acknowledge fast,
then route). A body is one row however often it is sent; once routed, only its digest is kept (for a
while, to recognise a late retry), never the customer's words."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialects import dialect_module
from storage.models import WebhookDeliveryRow

# Routed bodies' digests are kept this long: Meta retries an unanswered delivery for days, not weeks.
KEEP_ROUTED = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class StoredDelivery:
    id: int
    platform: str
    body: bytes
    routed: bool


def digest_of(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


async def record(session: AsyncSession, platform: str, body: bytes, now: datetime,
                 routed_since: list[int] | None = None) -> StoredDelivery:
    """Store a body unless the same body is stored already; either way, the stored row. `routed_since`:
    bodies routed since the last store, marked routed in the same transaction (one write, not two)."""
    if routed_since:
        await mark_routed(session, routed_since, now)
    digest = digest_of(body)
    await session.execute(dialect_module(session.bind.dialect.name).insert(WebhookDeliveryRow).values(
        platform=platform, digest=digest, body=body.decode("utf-8", "replace"), received_at=now, routed_at=None,
        tries=0).on_conflict_do_nothing(index_elements=["digest"]))
    row = await session.scalar(select(WebhookDeliveryRow).where(WebhookDeliveryRow.digest == digest))
    assert row is not None
    return _stored(row)


async def get(session: AsyncSession, delivery_id: int) -> StoredDelivery | None:
    row = await session.get(WebhookDeliveryRow, delivery_id)
    return _stored(row) if row else None


async def mark_routed(session: AsyncSession, delivery_ids: list[int], now: datetime) -> None:
    await session.execute(update(WebhookDeliveryRow).where(WebhookDeliveryRow.id.in_(delivery_ids))
                          .values(routed_at=now, body=""))


async def stranded(session: AsyncSession, received_before: datetime, limit: int = 20) -> list[int]:
    """Bodies stored before `received_before` and never routed (the process stopped, or the database
    went away mid-way), oldest first. Digests of bodies routed long ago are let go on the way."""
    await session.execute(delete(WebhookDeliveryRow).where(WebhookDeliveryRow.routed_at < received_before - KEEP_ROUTED))
    query = (select(WebhookDeliveryRow.id).where(WebhookDeliveryRow.routed_at.is_(None),
                                                  WebhookDeliveryRow.received_at < received_before)
             .order_by(WebhookDeliveryRow.id).limit(limit))
    return list((await session.scalars(query)).all())


async def count_try(session: AsyncSession, delivery_id: int) -> int:
    """Count one more try at routing a body; how many there have been."""
    await session.execute(update(WebhookDeliveryRow).where(WebhookDeliveryRow.id == delivery_id)
                          .values(tries=WebhookDeliveryRow.tries + 1))
    return int(await session.scalar(select(WebhookDeliveryRow.tries).where(WebhookDeliveryRow.id == delivery_id)) or 0)


def _stored(row: WebhookDeliveryRow) -> StoredDelivery:
    return StoredDelivery(row.id, row.platform, row.body.encode("utf-8"), row.routed_at is not None)
