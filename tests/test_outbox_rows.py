"""Outbox rows are typed both ways: what is queued is what the worker reads back, and a row that cannot
be read fails on its own without holding up the rows behind it."""

from datetime import timedelta

import pytest

from bot.app import App
from bot.clock import FrozenClock
from storage import outbox
from storage.outbox_rows import EventPost, OwnerCard, OwnerNote, Reply, reply_key, row_of
from tests.support.channels import RecordingChannel

ROWS = [
    Reply("shell:ana", "We open at 8.", reply_to="m1", recipient_id="ana", conversation_id=3),
    Reply("telegram:77", "Thanks!"),
    OwnerCard(12),
    OwnerNote("The web chat is refusing messages", conversation_id=None, or_desk=False),
    OwnerNote("Not sent", conversation_id=4, or_desk=True, event_id=2),
    EventPost(5, "remind-1d", "telegram:@cafe"),
    EventPost(5, "attendees-1d"),
]


@pytest.mark.parametrize("row", ROWS, ids=lambda row: type(row).__name__)
async def test_a_queued_row_reads_back_as_it_was_queued(db, clock: FrozenClock, row) -> None:
    now = clock.now()
    async with db.session() as session:
        assert await outbox.queue(session, "k", row, platform="shell", now=now)
        assert not await outbox.queue(session, "k", row, platform="shell", now=now)  # one row per key
    async with db.session() as session:
        (item,) = await outbox.items(session)
    assert item.kind == row.kind and row_of(item) == row


async def test_an_unreadable_row_fails_alone_and_the_next_reply_still_goes(
        app: App, shell: RecordingChannel, clock: FrozenClock) -> None:
    channel = shell
    now = clock.now()
    async with app.db.session() as session:
        await outbox.enqueue(session, key="broken", kind="reply", platform="shell", payload={"text": "no thread"},
                             due_at=now, now=now, max_attempts=1)
        await outbox.queue(session, reply_key(1), Reply("shell:ana", "We open at 8."), platform="shell", now=now)
    await app.worker.run_once()
    clock.advance(timedelta(minutes=1))
    await app.worker.drain()
    assert [o.text for o in channel.sent] == ["We open at 8."]
    async with app.db.session() as session:
        broken = next(item for item in await outbox.items(session) if item.idempotency_key == "broken")
    assert broken.status == "failed" and "does not fit" in (broken.last_error or "")
