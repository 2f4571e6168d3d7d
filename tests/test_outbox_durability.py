"""The outbox's promises, on SQLite and on Postgres: many workers never send a row twice and together
send every row; a worker that dies mid-send leaves the row uncertain (and the owner told); pending and
scheduled rows survive a restart; retries back off to a cap, then fail with the owner told."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from sqlalchemy.exc import DBAPIError

from bot.app import App, build_app
from bot.clock import FrozenClock
from bot.errors import ChannelError, DeliveryUncertain, Unreachable
from bot.handlers.shell import ConsoleDesk
from bot.handlers.webchat.channel import WebChatChannel
from bot.messages import Outbound, Sender
from bot.outbox import OutboxWorker
from storage import audit, outbox, transcripts
from storage.engine import Database
from storage.migrate import upgrade
from tests.factories import inbound
from tests.support.channels import RecordingChannel
from tests.slack_harness import Desk
from tests.support.apps import outlets, settings_for
from tests.support.outage import Outage
from tests.support.fixtures import AppWith

QUESTION = "what time do you open on saturday?"


class SharedPlatform:
    """One customer platform that several workers send to: it counts what arrives, and yields to the
    event loop mid-send so the workers' claims interleave."""

    platform = "shell"

    def __init__(self) -> None:
        self.sent: list[str] = []

    async def start(self, deliver: object) -> None:
        return None

    async def send(self, outbound: Outbound) -> str:
        await asyncio.sleep(0)
        self.sent.append(outbound.idempotency_key)
        return f"shell-{len(self.sent)}"

    async def stop(self) -> None:
        return None


class StuckPlatform(SharedPlatform):
    """A send that never returns: the worker dies while it waits."""

    def __init__(self) -> None:
        super().__init__()
        self.reached = asyncio.Event()

    async def send(self, outbound: Outbound) -> str:
        self.reached.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


async def queue_replies(db: Database, clock: FrozenClock, count: int, *, due_in: timedelta = timedelta(0),
                        max_attempts: int = 8, conversation_id: int | None = None) -> None:
    now = clock.now()
    extra = {"conversation_id": conversation_id} if conversation_id is not None else {}
    async with db.session() as session:
        for n in range(count):
            await outbox.enqueue(session, key=f"reply:{n}", kind="reply", platform="shell",
                                 payload={"thread_key": f"console:{n}", "text": f"answer {n}", **extra},
                                 due_at=now + due_in, now=now, max_attempts=max_attempts)


async def statuses(db: Database, kind: str = "reply") -> Counter[str]:
    async with db.session() as session:
        return Counter(row.status for row in await outbox.items(session, kind=kind))


async def test_four_workers_with_their_own_engines_send_every_row_exactly_once(
        database_url: str, clock: FrozenClock) -> None:
    await upgrade(database_url)
    setup = Database(database_url)
    await queue_replies(setup, clock, 240)
    platform = SharedPlatform()
    engines = [Database(database_url) for _ in range(4)]
    workers = [OutboxWorker(engine, clock, {"shell": platform}, worker_id=f"w{n}") for n, engine in enumerate(engines)]
    try:
        await asyncio.gather(*(worker.drain(max_rounds=100) for worker in workers))
        counts = await statuses(setup)
    finally:
        for engine in [setup, *engines]:
            await engine.close()
    assert len(platform.sent) == 240
    assert set(Counter(platform.sent).values()) == {1}
    assert counts == {"sent": 240}


async def test_a_worker_that_dies_mid_send_leaves_the_reply_uncertain_and_tells_the_owner(
        database_url: str, clock: FrozenClock) -> None:
    await upgrade(database_url)
    first, second = Database(database_url), Database(database_url)
    stuck, healthy = StuckPlatform(), SharedPlatform()
    desk_output = StringIO()
    dying = OutboxWorker(first, clock, {"shell": stuck}, worker_id="dying", lease=timedelta(seconds=60))
    survivor = OutboxWorker(second, clock, {"shell": healthy}, ConsoleDesk(desk_output), worker_id="survivor",
                            lease=timedelta(seconds=60))
    try:
        await queue_replies(first, clock, 1, conversation_id=7)
        async with first.session() as session:
            (row,) = await outbox.items(session)
        task = asyncio.create_task(dying.run_once())
        await asyncio.wait_for(stuck.reached.wait(), timeout=5)
        task.cancel()  # the process is gone; its lease is not
        await asyncio.gather(task, return_exceptions=True)
        await first.close()
        await survivor.drain()
        assert healthy.sent == [] and await statuses(second) == {"sending": 1}
        clock.advance(timedelta(seconds=61))
        await survivor.drain()
        assert healthy.sent == []
        assert await statuses(second) == {"uncertain": 1}
        await survivor.drain()  # the owner's note is due from the moment the lease ran out
        async with second.session() as session:
            trail = [entry.action for entry in await audit.entries(session, subject=f"outbox:{row.id}")]
    finally:
        await second.close()
    assert trail == ["outbox_uncertain"]
    assert "conversation #7: This reply may not have reached the customer (worker stopped while sending)" in desk_output.getvalue()


async def test_a_web_chat_reply_whose_worker_died_mid_send_is_sent_again_once(any_app: App, clock: FrozenClock) -> None:
    """The web chat's send is the worker's own write of the reply (committed with "sent"): a worker that
    died in between sent nothing anyone could read, so the next worker sends it, and nobody is told
    of a reply that "may not have reached" the visitor."""
    visitor = "5f0c6a1b2d3e4f5a6b7c8d9e0f1a2b3c"
    await any_app.router.handle(inbound(QUESTION, platform="webchat", kind="dm", thread_key=visitor,
                                        sender=Sender(visitor, "Jo")))
    stuck = StuckPlatform()
    stuck.platform = "webchat"
    engine = Database(any_app.db.url)
    dying = OutboxWorker(engine, clock, {"webchat": stuck}, worker_id="dying")
    task = asyncio.create_task(dying.run_once())
    await asyncio.wait_for(stuck.reached.wait(), timeout=5)
    task.cancel()  # the process is gone; its lease is not
    await asyncio.gather(task, return_exceptions=True)
    await engine.close()
    clock.advance(timedelta(seconds=61))
    survivor = OutboxWorker(any_app.db, clock, {"webchat": WebChatChannel()}, ConsoleDesk(StringIO()), worker_id="next")
    await survivor.drain()
    async with any_app.db.session() as session:
        heard = await transcripts.sent_after(session, "webchat", visitor, 0)
        rows = await outbox.items(session)
    assert [message.text.splitlines()[0] for message in heard] == ["We're open 9am–5pm on Saturday 28 November."]
    assert [(row.kind, row.status, row.attempts) for row in rows] == [("reply", "sent", 2)]


async def test_a_worker_stopped_mid_batch_gives_back_what_it_had_not_tried(
        database_url: str, clock: FrozenClock) -> None:
    await upgrade(database_url)
    first, second = Database(database_url), Database(database_url)
    stuck, healthy = StuckPlatform(), SharedPlatform()
    stopping = OutboxWorker(first, clock, {"shell": stuck}, worker_id="stopping")
    next_one = OutboxWorker(second, clock, {"shell": healthy}, worker_id="next")
    try:
        await queue_replies(first, clock, 3)
        task = asyncio.create_task(stopping.run_once())
        await asyncio.wait_for(stuck.reached.wait(), timeout=5)
        task.cancel()  # SIGTERM while the first reply is on its way
        await asyncio.gather(task, return_exceptions=True)
        await next_one.drain()
        counts = await statuses(second)
    finally:
        await first.close()
        await second.close()
    assert healthy.sent == ["reply:1", "reply:2"]
    assert counts == {"sending": 1, "sent": 2}  # the one in flight waits out its lease, then is uncertain


async def test_a_restart_delivers_what_was_still_pending(database_url: str, profile_dir: Path, clock: FrozenClock) -> None:
    before = await build_app(settings_for(profile_dir, database_url), clock=clock)
    await before.router.handle(inbound(QUESTION, external_id="pending-1"))
    await before.worker.drain()  # no channel running: the reply waits
    await before.close()
    channel = RecordingChannel()
    after = await build_app(settings_for(profile_dir, database_url), clock=clock, outlets=outlets(channel))
    clock.advance(timedelta(minutes=1))
    await after.worker.drain()
    await after.close()
    (reply,) = channel.sent
    assert reply.text.startswith("We're open 9am–5pm on Saturday 28 November.")


async def test_a_scheduled_row_survives_a_restart_and_goes_out_when_due(
        database_url: str, profile_dir: Path, clock: FrozenClock) -> None:
    early, channel = RecordingChannel(), RecordingChannel()
    before = await build_app(settings_for(profile_dir, database_url), clock=clock, outlets=outlets(early))
    await queue_replies(before.db, clock, 1, due_in=timedelta(hours=2))
    await before.worker.drain()
    await before.close()
    after = await build_app(settings_for(profile_dir, database_url), clock=clock, outlets=outlets(channel))
    clock.advance(timedelta(hours=1, minutes=59))
    await after.worker.drain()
    assert channel.sent == []
    clock.advance(timedelta(minutes=1))
    await after.worker.drain()
    await after.close()
    assert early.sent == [] and [o.text for o in channel.sent] == ["answer 0"]


async def owner_sees_after(app: App, app_with: AppWith, failure: Exception, clock: FrozenClock, rounds: int = 1) -> str:
    """Answer one customer question while the platform fails with `failure`; what the owner's desk shows."""
    channel = RecordingChannel()
    channel.failures.extend([failure] * 20)
    desk = StringIO()
    app = await app_with(app, channel, owner=ConsoleDesk(desk))
    await app.router.handle(inbound(QUESTION))
    for _ in range(rounds):
        await app.worker.drain()
        clock.advance(timedelta(minutes=16))
    await app.worker.drain()
    assert channel.sent == []
    return desk.getvalue()


async def test_back_off_doubles_up_to_its_cap(db: Database, clock: FrozenClock) -> None:
    await queue_replies(db, clock, 1, max_attempts=12)
    channel = RecordingChannel()
    worker = OutboxWorker(db, clock, {"shell": channel})
    channel.failures.extend(ChannelError("502 from platform") for _ in range(12))
    waits = []
    for _ in range(12):
        before = clock.now()
        await worker.run_once()
        async with db.session() as session:
            (row,) = await outbox.items(session)
        if row.status != "pending":
            break
        waits.append((row.due_at - before).total_seconds())
        clock.set(row.due_at)
    assert waits == [2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900]
    assert (row.status, row.attempts, row.last_error) == ("failed", 12, "502 from platform")


async def test_a_reply_that_finally_fails_is_audited_and_the_owner_told(app: App, app_with: AppWith,
                                                                         clock: FrozenClock) -> None:
    seen = await owner_sees_after(app, app_with, ChannelError("502 from platform"), clock, rounds=14)
    async with app.db.session() as session:
        (row,) = await outbox.items(session, kind="reply")
        trail = [(e.action, e.detail["error"]) for e in await audit.entries(session, subject=f"outbox:{row.id}")]
    assert row.status == "failed" and trail == [("outbox_failed", "502 from platform")]
    assert ("Not sent to the customer after 12 attempts (502 from platform). Reply again once shell works, "
            "or reach them another way.") in seen
    assert seen.count("Not sent") == 1


@pytest.mark.parametrize("failure, told", [
    (Unreachable("bot was blocked by the user"), "Not sent: the customer can no longer be reached on shell"),
    (DeliveryUncertain("timed out after sending"), "This reply may not have reached the customer (timed out after sending)"),
])
async def test_the_owner_hears_of_a_reply_that_did_not_or_may_not_have_gone(
        app: App, app_with: AppWith, clock: FrozenClock, failure: Exception, told: str) -> None:
    seen = await owner_sees_after(app, app_with, failure, clock)
    assert told in seen and "conversation #1" in seen


class FailingDesk(ConsoleDesk):
    async def post_note(self, text: str, conversation_id: int | None = None) -> str | None:
        raise ChannelError("slack is down")


async def test_a_note_for_the_owner_that_fails_does_not_breed_more_notes(
        app: App, app_with: AppWith, clock: FrozenClock) -> None:
    app = await app_with(app, owner=FailingDesk(StringIO()))
    async with app.db.session() as session:
        await outbox.enqueue(session, key="note:x", kind="owner_note", platform="owner",
                             payload={"text": "hi", "conversation_id": 1}, due_at=clock.now(), now=clock.now(),
                             max_attempts=1)
    await app.worker.drain()
    assert await statuses(app.db, "owner_note") == {"failed": 1}


class SlowPlatform(SharedPlatform):
    """Each send takes 40 seconds (the injected clock moves), and meanwhile another worker runs."""

    def __init__(self, clock: FrozenClock) -> None:
        super().__init__()
        self.clock = clock
        self.meanwhile: OutboxWorker | None = None

    async def send(self, outbound: Outbound) -> str:
        self.clock.advance(timedelta(seconds=40))
        if self.meanwhile is not None:
            await self.meanwhile.run_once()
        return await super().send(outbound)


async def test_a_slow_batch_gives_back_what_it_cannot_send_within_its_lease(
        database_url: str, clock: FrozenClock) -> None:
    """A worker that claimed a batch but is held up by a slow platform must not keep rows it has not
    tried past its lease: another worker would have to treat them as maybe sent (and tell the owner so)."""
    await upgrade(database_url)
    first, second = Database(database_url), Database(database_url)
    slow, quick = SlowPlatform(clock), SharedPlatform()
    busy = OutboxWorker(first, clock, {"shell": slow}, worker_id="busy", lease=timedelta(seconds=60))
    other = OutboxWorker(second, clock, {"shell": quick}, worker_id="other", lease=timedelta(seconds=60))
    slow.meanwhile = other
    try:
        await queue_replies(first, clock, 3)
        await busy.run_once()
        slow.meanwhile = None
        await other.drain()
        await busy.drain()
        counts = await statuses(first)
        async with first.session() as session:
            trail = [entry.action for entry in await audit.entries(session)]
    finally:
        await first.close()
        await second.close()
    assert sorted(slow.sent + quick.sent) == ["reply:0", "reply:1", "reply:2"]
    assert counts == {"sent": 3} and trail == []


async def test_a_slack_owner_hears_of_a_failed_reply_in_a_conversation_that_never_reached_slack(desk: Desk) -> None:
    desk.customer.failures.append(Unreachable("bot was blocked by the user"))
    await desk.customer_says("what time do you open on saturday?")
    await desk.app.worker.drain()
    notes = [call["text"] for call in desk.fake.to("chat.postMessage")]
    assert notes == ["Jo on shell: Not sent: the customer can no longer be reached on shell (bot was blocked by the user)."]


class OutagePlatform(SharedPlatform):
    """Delivers the first reply, and then the database goes away before the worker can record it."""

    def __init__(self, database_goes: Callable[[], Awaitable[None]]) -> None:
        super().__init__()
        self.database_goes = database_goes

    async def send(self, outbound: Outbound) -> str:
        sent = await super().send(outbound)
        if len(self.sent) == 1:
            await self.database_goes()
        return sent


async def test_a_database_outage_mid_batch_leaves_only_the_reply_in_flight_uncertain(
        outage: Outage, clock: FrozenClock) -> None:
    first, second = Database(outage.url), Database(outage.url)
    platform, healthy = OutagePlatform(outage.database_goes), SharedPlatform()
    try:
        await queue_replies(first, clock, 4)
        with pytest.raises(DBAPIError):  # the sent reply cannot be recorded, nor the rest given back
            await OutboxWorker(first, clock, {"shell": platform}, worker_id="cut-off").run_once()
        await outage.database_back()
        clock.advance(timedelta(seconds=61))  # the cut-off worker's lease runs out
        await OutboxWorker(second, clock, {"shell": healthy}, worker_id="next").drain()
        counts = await statuses(second)
    finally:
        await outage.database_back()
        await first.close()
        await second.close()
    assert platform.sent == ["reply:0"] and healthy.sent == ["reply:1", "reply:2", "reply:3"]
    assert counts == {"uncertain": 1, "sent": 3}


async def test_a_worker_that_outlives_a_database_outage_records_the_reply_that_went_and_sends_the_rest(
        outage: Outage, clock: FrozenClock) -> None:
    """The same worker as above, but it keeps running: what it could not write while the database was away
    (the reply that went, the rows it could not give back) is written when the database is back, before
    anything new, so nothing is left uncertain and nobody waits for a lease to run out."""
    database = Database(outage.url)
    platform = OutagePlatform(outage.database_goes)
    worker = OutboxWorker(database, clock, {"shell": platform}, worker_id="survivor")
    try:
        await queue_replies(database, clock, 4)
        with pytest.raises(DBAPIError):
            await worker.run_once()
        with pytest.raises(DBAPIError):  # still away: nothing new is tried
            await worker.run_once()
        await outage.database_back()
        await worker.drain()  # the same moment: no lease has run out
        counts = await statuses(database)
        async with database.session() as session:
            trail = [entry.action for entry in await audit.entries(session)]
    finally:
        await outage.database_back()
        await database.close()
    assert platform.sent == ["reply:0", "reply:1", "reply:2", "reply:3"]
    assert counts == {"sent": 4}
    assert "outbox_uncertain" not in trail
