"""What /metrics reports about the work in hand: the outbox queue, drafts waiting, and time to answer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.messages import DraftStatus
from storage.models import DraftRow, MessageRow, OutboxRow
from storage.outbox import CLAIMED, PENDING, SENDING

# Rows that have not left yet: waiting for their time, claimed by a worker, or being sent.
_NOT_LEFT = (PENDING, CLAIMED, SENDING)
# Enough answers for steady quantiles without reading a busy day's every row.
ANSWERS_READ = 5000


@dataclass(frozen=True, slots=True)
class Answer:
    """One reply that left: how long after the customer's message, and whether the owner decided it."""

    seconds: float
    by_owner: bool


async def queue_depth(session: AsyncSession) -> dict[str, int]:
    """Outbox rows not sent yet, per platform ("owner" is the owner's desk)."""
    query = (select(OutboxRow.platform, func.count(OutboxRow.id)).where(OutboxRow.status.in_(_NOT_LEFT))
             .group_by(OutboxRow.platform).order_by(OutboxRow.platform))
    return {platform: int(count) for platform, count in (await session.execute(query)).all()}


async def oldest_due(session: AsyncSession, now: datetime) -> datetime | None:
    """When the longest-waiting row that is due (its time has come, it has not left) became due."""
    query = select(func.min(OutboxRow.due_at)).where(OutboxRow.status.in_(_NOT_LEFT), OutboxRow.due_at <= now)
    found = await session.scalar(query)
    return found if found is None or found.tzinfo else found.replace(tzinfo=now.tzinfo)


async def drafts_waiting(session: AsyncSession) -> int:
    query = select(func.count(DraftRow.id)).where(DraftRow.status == DraftStatus.PENDING)
    return int(await session.scalar(query) or 0)


async def answers_since(session: AsyncSession, since: datetime) -> list[Answer]:
    """Replies to customers' messages that left since `since` (the latest ANSWERS_READ of them)."""
    query = (select(OutboxRow.sent_at, MessageRow.created_at, DraftRow.status)
             .join(DraftRow, DraftRow.id == OutboxRow.draft_id)
             .join(MessageRow, MessageRow.id == DraftRow.message_id)
             .where(OutboxRow.kind == "reply", OutboxRow.sent_at >= since)
             .order_by(OutboxRow.sent_at.desc()).limit(ANSWERS_READ))
    return [Answer(max((sent - received).total_seconds(), 0.0), status != DraftStatus.AUTO)
            for sent, received, status in (await session.execute(query)).all()]


async def receipts(session: AsyncSession) -> dict[tuple[str, str], int]:
    """Sent messages by how far the platform says they got: (platform, "delivered" or "read") → count."""
    query = (select(OutboxRow.platform, OutboxRow.receipt, func.count()).where(OutboxRow.receipt.is_not(None))
             .group_by(OutboxRow.platform, OutboxRow.receipt).order_by(OutboxRow.platform, OutboxRow.receipt))
    return {(platform, receipt): int(count) for platform, receipt, count in (await session.execute(query)).all()}
