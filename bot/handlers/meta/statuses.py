"""WhatsApp's delivery reports on the messages we sent. "sent", "delivered" and "read" move the outbox
row's receipt forward (its status stays "sent": the row's own journey is over), so the owner and /metrics
see how far replies got. "failed" marks the row failed and tells the owner, in the conversation's place."""

from __future__ import annotations

from bot.clock import Clock
from bot.handlers.meta.parse import Status
from storage import outbox
from storage.engine import Database

FAILED = "failed"


async def apply_status(platform: str, status: Status, db: Database, clock: Clock) -> None:
    async with db.session() as session:
        item = await outbox.sent_as(session, platform, status.message_id)
        if item is None:
            return  # not one of ours, or its send is still being recorded
        if status.status != FAILED:
            await outbox.record_receipt(session, item.id, status.status, clock.now())
            return
        if item.status == outbox.FAILED:
            return
        reason = f"{platform} could not deliver it ({status.error or 'no reason given'})"
        await outbox.mark_final(session, item.id, outbox.FAILED, reason)
        await outbox.note_not_sent(session, item, f"This reply did not reach the customer: {reason}.", clock.now())
