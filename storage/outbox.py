"""The outbox: the only way anything leaves. Rows have a due time, attempts and a lease."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import audit
from storage.dialects import PerDialect
from storage.models import OutboxRow
from storage.notify import announce_queued
from storage.outbox_rows import OWNER, OwnerNote, Reply, Row, note_key, retired_key, row_of, to_payload
from storage.prepared import Prepared, run
from storage.records import OutboxItem

PENDING, SENDING, SENT, FAILED, UNCERTAIN, CANCELLED = "pending", "sending", "sent", "failed", "uncertain", "cancelled"
# Leased to a worker but not tried yet: a worker that dies leaves it to be claimed again, never uncertain.
CLAIMED = "claimed"
LOST_IN_FLIGHT = "worker stopped while sending"


# Built once: constructing a statement per call costs more than running it.
_COLUMNS = ["idempotency_key", "kind", "platform", "payload", "status", "due_at", "attempts", "max_attempts",
            "draft_id", "event_id", "created_at", "lease_owner", "lease_until", "last_error", "external_id", "sent_at"]
_INSERT_UNLESS_KEY_EXISTS = PerDialect(lambda module: Prepared(
    module.insert(OutboxRow.__table__).on_conflict_do_nothing(index_elements=["idempotency_key"])
    .returning(OutboxRow.__table__.c.id), _COLUMNS))


def to_item(row: OutboxRow) -> OutboxItem:
    return OutboxItem(
        row.id, row.idempotency_key, row.kind, row.platform, dict(row.payload), row.status, row.due_at,
        row.attempts, row.max_attempts, row.draft_id, row.event_id, row.last_error, row.external_id, row.sent_at,
        row.receipt,
    )


async def enqueue(session: AsyncSession, *, key: str, kind: str, platform: str, payload: dict[str, Any],
                  due_at: datetime, now: datetime, draft_id: int | None = None, event_id: int | None = None,
                  max_attempts: int = 12) -> bool:
    """Insert a row unless one with this idempotency key exists. True when a row was added."""
    values = dict(
        idempotency_key=key, kind=kind, platform=platform, payload=payload, status=PENDING, due_at=due_at,
        attempts=0, max_attempts=max_attempts, draft_id=draft_id, event_id=event_id, created_at=now,
    )
    values.update(lease_owner=None, lease_until=None, last_error=None, external_id=None, sent_at=None)
    added = (await run(session, _INSERT_UNLESS_KEY_EXISTS[session.bind.dialect.name], values)).scalar()
    if added is None:
        return False
    await announce_queued(session)
    return True


async def queue(session: AsyncSession, key: str, row: Row, *, now: datetime, platform: str = OWNER,
                due_at: datetime | None = None, draft_id: int | None = None, event_id: int | None = None,
                max_attempts: int = 12) -> bool:
    """Queue `row` under `key` (see storage.outbox_rows for the keys), due now unless `due_at` says later.
    Rows for a customer name their platform; the owner's cards and notes go to the owner's desk."""
    return await enqueue(session, key=key, kind=row.kind, platform=platform, payload=to_payload(row),
                         due_at=due_at or now, now=now, draft_id=draft_id, event_id=event_id,
                         max_attempts=max_attempts)


async def claim_due(session: AsyncSession, *, now: datetime, worker: str, lease: timedelta,
                    limit: int = 20, platforms: tuple[str, ...] | None = None,
                    resend_if_lost: frozenset[str] = frozenset()) -> list[OutboxItem]:
    """Lease up to `limit` due rows to `worker`, as claimed: none is in flight until `start_sending`.
    Postgres lets many workers share with SKIP LOCKED; on SQLite the write lock taken at BEGIN
    IMMEDIATE does the same job for one process. A lease that ran out puts a claimed row back in the
    queue, and makes a row that was in flight uncertain: its worker died mid-send, so it may have gone.
    Except on `resend_if_lost` platforms, whose sending is this database's own write (the web chat):
    there a row lost in flight was never seen by anyone, and is claimed to be sent again."""
    expired = OutboxRow.lease_until < now
    query = (
        select(OutboxRow)
        .where(OutboxRow.due_at <= now,
               or_(OutboxRow.status == PENDING, OutboxRow.status.in_((CLAIMED, SENDING)) & expired))
        .order_by(OutboxRow.due_at, OutboxRow.id)
        .limit(limit)
    )
    if platforms is not None:
        query = query.where(OutboxRow.platform.in_(platforms))
    if session.bind.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = list((await session.scalars(query)).all())
    for row in rows:
        if row.status == SENDING and row.platform not in resend_if_lost:
            row.status, row.last_error, row.lease_owner, row.lease_until = UNCERTAIN, LOST_IN_FLIGHT, None, None
            await _lost_in_flight(session, to_item(row), now)
            continue
        if row.status == SENDING:
            row.last_error = f"{LOST_IN_FLIGHT}; sent again (nothing had left)"
        row.status, row.lease_owner, row.lease_until = CLAIMED, worker, now + lease
    await session.flush()
    return [to_item(row) for row in rows if row.status == CLAIMED]


async def start_sending(session: AsyncSession, item: OutboxItem, worker: str, now: datetime) -> OutboxItem | None:
    """Mark a claimed row as in flight, counting the attempt; from here on a worker that dies leaves it
    uncertain. None when this worker's lease on it ran out and the row is no longer its own to send."""
    started = await run(session, _START_SENDING, {"p_id": item.id, "p_worker": worker, "p_now": now})
    if started.first() is None:
        return None
    return replace(item, status=SENDING, attempts=item.attempts + 1)


# Each row sent runs these two, in transactions of their own: prepared once.
_START_SENDING = Prepared(
    update(OutboxRow)
    .where(OutboxRow.id == bindparam("p_id"), OutboxRow.status == CLAIMED, OutboxRow.lease_owner == bindparam("p_worker"),
           OutboxRow.lease_until > bindparam("p_now", type_=OutboxRow.lease_until.type))
    .values(status=SENDING, attempts=OutboxRow.attempts + 1)
    .returning(OutboxRow.id))
_MARK_SENT = Prepared(
    update(OutboxRow).where(OutboxRow.id == bindparam("p_id"))
    .values(status=SENT, sent_at=bindparam("p_now", type_=OutboxRow.sent_at.type),
            external_id=bindparam("p_external_id"), lease_owner=None, lease_until=None, last_error=None))


async def release(session: AsyncSession, item_ids: list[int], worker: str) -> None:
    """Hand back rows this worker claimed but never tried: pending again for any worker."""
    await session.execute(update(OutboxRow)
                          .where(OutboxRow.id.in_(item_ids), OutboxRow.status == CLAIMED, OutboxRow.lease_owner == worker)
                          .values(status=PENDING, lease_owner=None, lease_until=None)
                          .execution_options(synchronize_session=False))


async def mark_sent(session: AsyncSession, item_id: int, now: datetime, external_id: str | None) -> None:
    await run(session, _MARK_SENT, {"p_id": item_id, "p_now": now, "p_external_id": external_id})


async def reschedule(session: AsyncSession, item_id: int, due_at: datetime, error: str,
                     count_attempt: bool = True) -> None:
    values: dict[str, Any] = dict(status=PENDING, due_at=due_at, last_error=error, lease_owner=None, lease_until=None)
    if not count_attempt:
        values["attempts"] = OutboxRow.attempts - 1
    await _set(session, item_id, **values)


async def mark_final(session: AsyncSession, item_id: int, status: str, error: str) -> None:
    await _set(session, item_id, status=status, last_error=error, lease_owner=None, lease_until=None)


async def cancel(session: AsyncSession, *, draft_id: int | None = None, event_id: int | None = None,
                 kinds: tuple[str, ...] | None = None) -> int:
    query = update(OutboxRow).where(OutboxRow.status == PENDING)
    if draft_id is not None:
        query = query.where(OutboxRow.draft_id == draft_id)
    if event_id is not None:
        query = query.where(OutboxRow.event_id == event_id)
    if kinds is not None:
        query = query.where(OutboxRow.kind.in_(kinds))
    result = await session.execute(query.values(status=CANCELLED))
    return result.rowcount


async def get_item(session: AsyncSession, key: str) -> OutboxItem | None:
    row = await session.scalar(select(OutboxRow).where(OutboxRow.idempotency_key == key))
    return to_item(row) if row else None


async def items(session: AsyncSession, *, status: str | None = None, kind: str | None = None,
                platform: str | None = None) -> list[OutboxItem]:
    query = select(OutboxRow).order_by(OutboxRow.id)
    if status is not None:
        query = query.where(OutboxRow.status == status)
    if kind is not None:
        query = query.where(OutboxRow.kind == kind)
    if platform is not None:
        query = query.where(OutboxRow.platform == platform)
    return [to_item(row) for row in (await session.scalars(query)).all()]


async def _set(session: AsyncSession, item_id: int, **values: Any) -> None:
    await session.execute(update(OutboxRow).where(OutboxRow.id == item_id).values(**values)
                          .execution_options(synchronize_session=False))


async def retire(session: AsyncSession, item_id: int, error: str) -> None:
    """Cancel a row for good and free its idempotency key, so the same reply can be queued again
    later (after the owner approves a reply that was held back)."""
    row = await session.get_one(OutboxRow, item_id)
    await _set(session, item_id, status=CANCELLED, last_error=error, lease_owner=None, lease_until=None,
               idempotency_key=retired_key(row.idempotency_key, item_id))


def uncertain_note(error: str) -> str:
    return (f"This reply may not have reached the customer ({error}); it is not sent again by itself. "
            "Check the chat and reply again if it is missing.")


async def note_not_sent(session: AsyncSession, item: OutboxItem, text: str, now: datetime) -> None:
    """Tell the owner, in the conversation's place on the desk, that a customer's reply did not go
    (or may not have); on the desk itself when the conversation has no place there. Only customer
    replies get a note; one note per row however often it is called."""
    try:
        row = row_of(item)
    except ValueError:  # a row nobody can read names no conversation to note it in
        return
    if not isinstance(row, Reply) or row.conversation_id is None:
        return
    await queue(session, note_key("not-sent", item.id), OwnerNote(text, row.conversation_id, or_desk=True), now=now)


async def _lost_in_flight(session: AsyncSession, item: OutboxItem, now: datetime) -> None:
    await audit.record(session, at=now, actor="socialdesk", action=f"outbox_{UNCERTAIN}", subject=f"outbox:{item.id}",
                       detail={"error": LOST_IN_FLIGHT, "kind": item.kind})
    await note_not_sent(session, item, uncertain_note(LOST_IN_FLIGHT), now)


RECEIPTS = ("sent", "delivered", "read")  # in the order a message gets there


async def record_receipt(session: AsyncSession, item_id: int, receipt: str, at: datetime) -> bool:
    """Note how far a sent message got. Reports come out of order (read before delivered): only a step
    forward is kept. The row's status is not touched. True when the receipt moved."""
    current = await session.scalar(select(OutboxRow.receipt).where(OutboxRow.id == item_id))
    if receipt not in RECEIPTS or (current in RECEIPTS and RECEIPTS.index(current) >= RECEIPTS.index(receipt)):
        return False
    await _set(session, item_id, receipt=receipt, receipt_at=at)
    return True


async def sent_as(session: AsyncSession, platform: str, external_id: str) -> OutboxItem | None:
    """The row whose message the platform knows by this id (a delivery report names only that)."""
    row = await session.scalar(select(OutboxRow).where(OutboxRow.platform == platform,
                                                       OutboxRow.external_id == external_id))
    return to_item(row) if row else None
