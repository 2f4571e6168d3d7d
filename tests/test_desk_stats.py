"""The figures on the owner's App Home, straight from the database (SQLite and Postgres)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from bot.messages import Action, Decision, Draft, Inbound, Intent, Sender
from storage import conversations, desk_stats, drafts
from storage.engine import Database

MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)


async def _inbound(db: Database, platform: str, who: str, at: datetime, text: str = "hello") -> tuple[int, int]:
    inbound = Inbound(platform, "dm", f"{who}-{at.timestamp()}", f"thread-{who}", Sender(who, who.title()), text, at)
    async with db.session() as session:
        recorded = await conversations.record_inbound(session, inbound, at)
        return recorded.message_id, recorded.conversation.id


async def _answer(db: Database, conversation_id: int, platform: str, at: datetime) -> None:
    async with db.session() as session:
        await conversations.record_outbound(session, conversation_id, platform, f"out-{at.timestamp()}", "hi", at)


async def test_median_time_to_first_answer_counts_each_conversation_once(db: Database) -> None:
    _, jo = await _inbound(db, "telegram", "jo", MONDAY)
    await _answer(db, jo, "telegram", MONDAY + timedelta(minutes=2))
    await _inbound(db, "telegram", "jo", MONDAY + timedelta(minutes=3))
    await _answer(db, jo, "telegram", MONDAY + timedelta(minutes=50))
    _, priya = await _inbound(db, "x", "priya", MONDAY + timedelta(hours=1))
    await _answer(db, priya, "x", MONDAY + timedelta(hours=1, minutes=10))
    _, sam = await _inbound(db, "slack", "sam", MONDAY + timedelta(hours=2))
    await _answer(db, sam, "slack", MONDAY + timedelta(hours=2, minutes=4))
    await _inbound(db, "slack", "unanswered", MONDAY + timedelta(hours=3))

    async with db.session() as session:
        median = await desk_stats.median_first_answer(session, MONDAY - timedelta(hours=1))
        nothing = await desk_stats.median_first_answer(session, MONDAY + timedelta(days=1))

    assert median == timedelta(minutes=4)
    assert nothing is None


async def test_todays_messages_are_counted_per_platform(db: Database) -> None:
    await _inbound(db, "telegram", "jo", MONDAY - timedelta(days=1))
    await _inbound(db, "telegram", "jo", MONDAY)
    await _inbound(db, "telegram", "ana", MONDAY + timedelta(minutes=1))
    await _inbound(db, "x", "priya", MONDAY + timedelta(minutes=2))

    async with db.session() as session:
        counts = await desk_stats.messages_per_platform(session, MONDAY)

    assert counts == {"telegram": 2, "x": 1}


async def test_waiting_drafts_come_oldest_first_and_decided_ones_drop_out(db: Database) -> None:
    ids = []
    for minutes, who in ((30, "late"), (0, "early"), (10, "middle")):
        at = MONDAY + timedelta(minutes=minutes)
        message_id, conversation_id = await _inbound(db, "telegram", who, at, text=f"{who} question")
        async with db.session() as session:
            record = await drafts.add_draft(session, message_id=message_id, conversation_id=conversation_id,
                                            intent=Intent("booking", 0.4), decision=Decision(Action.APPROVE, ("low",)),
                                            draft=Draft("ok", "booking"), status="pending", now=at)
            ids.append(record.id)
    async with db.session() as session:
        await drafts.decide(session, ids[2], status="rejected", actor="U1", now=MONDAY + timedelta(hours=1))
        await conversations.set_state(session, 1, "human", MONDAY, taken_by="U0123SAM")

    async with db.session() as session:
        waiting = await desk_stats.waiting_drafts(session)
        owned = await desk_stats.owned_conversations(session)

    assert [(w.customer_name, w.customer_text) for w in waiting] == [("Early", "early question"), ("Late", "late question")]
    assert [(c.customer_name, c.taken_by) for c in owned] == [("Late", "U0123SAM")]
