"""Storage on a real SQLite file and, when TEST_DATABASE_URL is set, on Postgres."""

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from bot.errors import Duplicate
from bot.messages import Action, Decision, Draft, Intent, Sender
from storage import conversations, drafts, events, outbox
from storage.engine import Database
from storage.models import Base
from tests.factories import inbound

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=timezone.utc)


async def test_migrations_build_exactly_the_models(db: Database) -> None:
    async with db.engine.connect() as connection:
        differences = await connection.run_sync(
            lambda sync: compare_metadata(MigrationContext.configure(sync, opts={"compare_type": True}), Base.metadata))
    assert differences == []


async def test_sqlite_runs_with_wal_and_foreign_keys(sqlite_url: str) -> None:
    from storage.migrate import upgrade

    await upgrade(sqlite_url)
    database = Database(sqlite_url)
    async with database.session() as session:
        assert (await session.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
        assert (await session.execute(text("PRAGMA foreign_keys"))).scalar() == 1
    # A connection of the pool waits for another process's write lock; the units of work's own connection
    # waits for it at BEGIN only (tests/test_sqlite_write_lock.py).
    async with database.engine.connect() as connection:
        assert (await connection.exec_driver_sql("PRAGMA busy_timeout")).scalar() == 5000
    await database.close()


async def test_a_message_is_unique_on_platform_and_external_id(db: Database) -> None:
    message = inbound("hi", external_id="dup-1")
    async with db.session() as session:
        await conversations.record_inbound(session, message, NOW)
    with pytest.raises(Duplicate):
        async with db.session() as session:
            await conversations.record_inbound(session, message, NOW)
    async with db.session() as session:
        assert await conversations.count_messages(session) == 1


async def test_one_contact_and_conversation_per_sender_and_thread(db: Database) -> None:
    async with db.session() as session:
        first = await conversations.record_inbound(session, inbound("hi"), NOW)
        second = await conversations.record_inbound(session, inbound("hours?"), NOW + timedelta(minutes=1))
    assert first.contact.id == second.contact.id
    assert first.conversation.id == second.conversation.id
    assert second.conversation.last_message_at == NOW + timedelta(minutes=1)


async def test_times_come_back_timezone_aware_in_utc(db: Database) -> None:
    async with db.session() as session:
        recorded = await conversations.record_inbound(session, inbound("hi"), NOW)
    async with db.session() as session:
        conversation = await conversations.get_conversation(session, recorded.conversation.id)
    assert conversation.state_changed_at == NOW and conversation.state_changed_at.tzinfo is not None


async def test_outbox_rows_are_idempotent_on_their_key(db: Database) -> None:
    async with db.session() as session:
        assert await outbox.enqueue(session, key="reply:1", kind="reply", platform="shell",
                                    payload={"text": "a"}, due_at=NOW, now=NOW)
        assert not await outbox.enqueue(session, key="reply:1", kind="reply", platform="shell",
                                        payload={"text": "b"}, due_at=NOW, now=NOW)
        rows = await outbox.items(session)
    assert [(r.idempotency_key, r.payload["text"]) for r in rows] == [("reply:1", "a")]


async def test_a_claimed_row_is_leased_and_not_claimed_again(db: Database) -> None:
    async with db.session() as session:
        await outbox.enqueue(session, key="k", kind="reply", platform="shell", payload={}, due_at=NOW, now=NOW)
        await outbox.enqueue(session, key="later", kind="reply", platform="shell", payload={},
                             due_at=NOW + timedelta(hours=1), now=NOW)
    async with db.session() as session:
        claimed = await outbox.claim_due(session, now=NOW, worker="w1", lease=timedelta(seconds=60))
    async with db.session() as session:
        again = await outbox.claim_due(session, now=NOW, worker="w2", lease=timedelta(seconds=60))
    assert [(c.idempotency_key, c.status, c.attempts) for c in claimed] == [("k", "claimed", 0)]
    assert again == []
    async with db.session() as session:
        started = await outbox.start_sending(session, claimed[0], "w1", NOW)
        stolen = await outbox.start_sending(session, claimed[0], "w2", NOW)
    assert started is not None and (started.status, started.attempts) == ("sending", 1)
    assert stolen is None


async def test_a_lease_that_runs_out_marks_only_the_send_in_flight_uncertain(db: Database) -> None:
    async with db.session() as session:
        for key in ("in-flight", "untried"):
            await outbox.enqueue(session, key=key, kind="reply", platform="shell", payload={}, due_at=NOW, now=NOW)
    async with db.session() as session:
        first, _ = await outbox.claim_due(session, now=NOW, worker="crashed", lease=timedelta(seconds=60))
        await outbox.start_sending(session, first, "crashed", NOW)
    async with db.session() as session:
        later = await outbox.claim_due(session, now=NOW + timedelta(minutes=5), worker="w2", lease=timedelta(seconds=60))
        rows = {row.idempotency_key: row.status for row in await outbox.items(session)}
    assert [item.idempotency_key for item in later] == ["untried"]
    assert rows == {"in-flight": "uncertain", "untried": "claimed"}


async def test_a_lease_that_runs_out_is_too_late_to_start_sending(db: Database) -> None:
    async with db.session() as session:
        await outbox.enqueue(session, key="k", kind="reply", platform="shell", payload={}, due_at=NOW, now=NOW)
    async with db.session() as session:
        (slow,) = await outbox.claim_due(session, now=NOW, worker="slow", lease=timedelta(seconds=60))
    async with db.session() as session:
        assert await outbox.start_sending(session, slow, "slow", NOW + timedelta(seconds=61)) is None


async def test_a_draft_is_decided_once(db: Database) -> None:
    async with db.session() as session:
        recorded = await conversations.record_inbound(session, inbound("refund please"), NOW)
        draft = await drafts.add_draft(
            session, message_id=recorded.message_id, conversation_id=recorded.conversation.id,
            intent=Intent("refund", 1.0), decision=Decision(Action.ESCALATE, ("refund",)),
            draft=Draft("Sorry!", "refund"), status="pending", now=NOW)
    async with db.session() as session:
        assert await drafts.decide(session, draft.id, status="approved", actor="U1", now=NOW)
    async with db.session() as session:
        assert not await drafts.decide(session, draft.id, status="rejected", actor="U2", now=NOW)
        stored = await drafts.get_draft(session, draft.id)
    assert stored is not None and (stored.status, stored.decided_by) == ("approved", "U1")


async def test_messages_recorded_before_senders_were_kept_still_have_a_recipient(db: Database) -> None:
    from sqlalchemy import update

    from storage.models import MessageRow

    async with db.session() as session:
        recorded = await conversations.record_inbound(session, inbound(sender=Sender("tg-77", "Ana")), NOW)
        await session.execute(update(MessageRow).values(identity_id=None))  # as a row from before the column
        assert await conversations.recipient_of(session, recorded.conversation) == "tg-77"


async def test_a_time_given_in_another_zone_is_stored_as_the_same_moment(db: Database) -> None:
    summer = datetime(2027, 7, 3, 18, 30, tzinfo=ZoneInfo("Europe/London"))  # 17:30 UTC
    async with db.session() as session:
        made = await events.insert_event(session, title="Tasting", description="", starts_at=summer,
                                         timezone="Europe/London", status="scheduled", plan={}, uid="u@test",
                                         sequence=0, created_at=NOW, updated_at=NOW)
    async with db.session() as session:
        found = await events.get_event(session, made.id)
    assert found is not None and found.starts_at == datetime(2027, 7, 3, 17, 30, tzinfo=timezone.utc)


async def test_a_connection_the_server_drops_is_replaced_and_the_next_message_is_recorded(
        postgres_server_url: str | None) -> None:
    if postgres_server_url is None:
        pytest.skip("TEST_DATABASE_URL not set: only a database server can drop a connection")
    from storage.migrate import upgrade

    async with Database(postgres_server_url).session() as admin:
        await admin.execute(text("DROP SCHEMA public CASCADE"))
        await admin.execute(text("CREATE SCHEMA public"))
    await upgrade(postgres_server_url)
    database = Database(postgres_server_url, pool_size=1, max_overflow=0)
    try:
        async with database.session() as session:
            await conversations.record_inbound(session, inbound("hi", external_id="before"), NOW)
        admin_database = Database(postgres_server_url)
        async with admin_database.session() as admin:  # the server ends the bot's session
            await admin.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                     "WHERE pid <> pg_backend_pid() AND datname = current_database()"))
        await admin_database.close()
        with pytest.raises(DBAPIError):
            async with database.session() as session:
                await conversations.record_inbound(session, inbound("hi", external_id="lost"), NOW)
        async with database.session() as session:
            await conversations.record_inbound(session, inbound("hi", external_id="after"), NOW)
            assert await conversations.count_messages(session) == 2
    finally:
        await database.close()
