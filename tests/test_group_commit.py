"""Messages that arrive together are written together, and each still gets its own outcome."""

import asyncio
import zlib
from importlib import resources
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.app import App
from bot.group_commit import WriteLanes
from bot.messages import Action, Sender
from storage import conversations, outbox
from storage.batch import Batch
from storage.engine import Database

LANES_SKIP = "TEST_DATABASE_URL not set: write lanes run side by side on Postgres only (SQLite has one writer)"
from tests.factories import inbound
from tests.support.channels import RecordingChannel


@pytest.fixture
def profile_dir(profile_dir: Path) -> Path:
    """The café with the templates folder `socialdesk init` writes (the owner's wifi and dogs replies)."""
    (profile_dir / "templates").mkdir()
    for template in resources.files("bot.defaults").joinpath("owner_templates").iterdir():
        if template.name.endswith(".j2"):
            (profile_dir / "templates" / template.name).write_text(template.read_text(encoding="utf-8"), encoding="utf-8")
    return profile_dir


def from_customer(number: int, text: str, external_id: str | None = None):
    return inbound(text, platform="shell", external_id=external_id or f"burst-{number}",
                   thread_key=f"console:customer-{number}",
                   sender=Sender(f"console:customer-{number}", f"Customer {number}"))


async def test_a_burst_is_recorded_once_each_and_a_repeat_inside_it_is_a_duplicate(
        any_app: App, shell: RecordingChannel) -> None:
    channel = shell
    burst = [from_customer(n, "what time do you open on saturday?") for n in range(12)]
    burst.insert(6, from_customer(3, "what time do you open on saturday?", external_id="burst-3"))
    handled = await asyncio.gather(*(any_app.router.handle(message) for message in burst))
    assert [h.duplicate for h in handled].count(True) == 1
    assert all(h.decision is not None and h.decision.action is Action.AUTO for h in handled if not h.duplicate)
    async with any_app.db.session() as session:
        assert await conversations.count_messages(session) == 12
        replies = [item.idempotency_key for item in await outbox.items(session, kind="reply")]
    assert len(replies) == len(set(replies)) == 12
    await any_app.worker.drain()
    assert len(channel.sent) == 12


async def test_every_message_in_a_burst_keeps_its_reply_whatever_its_intent_reads(
        any_app: App, shell: RecordingChannel) -> None:
    # The dogs and wifi replies come from the owner's own templates folder, so drafting them reads more
    # than the hot path's prepared statements: a unit's ORM work must commit with the batch too.
    channel = shell
    texts = ["can I bring my dog", "do you have wifi", "where are you?", "what's on the menu?"] * 3
    handled = await asyncio.gather(*(any_app.router.handle(from_customer(n, text)) for n, text in enumerate(texts)))
    assert [(h.intent.name if h.intent else None, h.decision.action if h.decision else None) for h in handled] == [
        (intent, Action.AUTO) for intent in ["dogs", "wifi", "location", "menu"] * 3]
    await any_app.worker.drain()
    assert sorted(sent.thread_key for sent in channel.sent) == sorted(f"console:customer-{n}" for n in range(len(texts)))


async def test_each_message_in_a_burst_gets_its_own_decision(any_app: App) -> None:
    texts = ["where are you located?", "invest in crypto now, guaranteed returns", "I want a refund for the cake"]
    handled = await asyncio.gather(*(any_app.router.handle(from_customer(n, text)) for n, text in enumerate(texts)))
    actions = [h.decision.action for h in handled if h.decision is not None]
    assert actions == [Action.AUTO, Action.SILENT, Action.ESCALATE]
    async with any_app.db.session() as session:
        keys = sorted(item.idempotency_key.split(":")[0] for item in await outbox.items(session))
    assert keys == ["ack", "card", "reply"]  # the refund's card and acknowledgement, the location's reply


def _keys_in_different_lanes(count: int) -> tuple[str, str]:
    lane = {key: zlib.crc32(key.encode()) % count for key in (f"telegram:chat-{n}" for n in range(20))}
    first = next(iter(lane))
    return first, next(key for key, number in lane.items() if number != lane[first])


async def test_on_postgres_lanes_write_at_once_and_a_deadlock_between_them_is_written_again(
        postgres_server_url: str | None) -> None:
    # Two conversations' transactions lock the same two rows in opposite orders: Postgres cancels one
    # to break the deadlock, and that one is written again instead of failing its messages.
    if postgres_server_url is None:
        pytest.skip(LANES_SKIP)
    database = Database(postgres_server_url)
    try:
        async with database.session() as session:
            await session.execute(text("DROP TABLE IF EXISTS lane_locks"))
            await session.execute(text("CREATE TABLE lane_locks (id integer PRIMARY KEY, n integer NOT NULL)"))
            await session.execute(text("INSERT INTO lane_locks VALUES (1, 0), (2, 0)"))
        holding = {1: asyncio.Event(), 2: asyncio.Event()}
        tries: list[int] = []

        async def write(batch: Batch, item: tuple[str, int, int], alone: bool) -> str:
            key, first, second = item
            tries.append(first)
            async with batch.unit(savepoint=not alone) as session:
                await session.execute(text("UPDATE lane_locks SET n = n + 1 WHERE id = :id"), {"id": first})
                holding[first].set()
                await holding[second].wait()
                await session.execute(text("UPDATE lane_locks SET n = n + 1 WHERE id = :id"), {"id": second})
            return key

        lanes = WriteLanes(database, write, key=lambda item: item[0], count=database.write_lanes)
        one, other = _keys_in_different_lanes(database.write_lanes)
        written = await asyncio.wait_for(asyncio.gather(lanes.submit((one, 1, 2)), lanes.submit((other, 2, 1))), 30)
        assert written == [one, other]
        assert len(tries) == 3  # one transaction ran twice
        async with database.session() as session:
            counts = (await session.execute(text("SELECT id, n FROM lane_locks ORDER BY id"))).all()
            await session.execute(text("DROP TABLE lane_locks"))
        assert [tuple(row) for row in counts] == [(1, 2), (2, 2)]  # the undone try left nothing behind
    finally:
        await database.close()


async def test_a_conversation_s_messages_arriving_together_are_recorded_in_the_order_they_came(any_app: App) -> None:
    # On Postgres several transactions are written at once; a conversation's messages stay in one of them.
    questions = ["hi", "where are you?", "do you have wifi", "can I bring my dog", "what's on the menu?"]
    mine = [from_customer(1, text, external_id=f"order-{n}") for n, text in enumerate(questions)]
    others = [from_customer(n, "what time do you open on saturday?") for n in range(2, 14)]
    burst = [message for pair in zip(mine, others) for message in pair] + others[len(mine):]
    handled = await asyncio.gather(*(any_app.router.handle(message) for message in burst))
    assert not any(h.duplicate for h in handled)
    async with any_app.db.session() as session:
        rows = (await session.execute(text(
            "SELECT text FROM messages WHERE direction = 'in' AND external_id LIKE 'order-%' ORDER BY id"))).all()
    assert [row[0] for row in rows] == questions
