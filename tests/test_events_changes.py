"""Reminders to the people going, moving an event and cancelling it: who is told what, and which posts change."""

from __future__ import annotations



from bot.app import App
from bot.clock import FrozenClock
from storage import outbox
from tests.conftest import london
from tests.event_support import message, press, service, tasting
from tests.support.channels import RecordingChannel


async def test_attendees_who_are_going_get_a_direct_reminder_the_day_before(
        app: App, channels: dict[str, RecordingChannel], clock: FrozenClock) -> None:
    event_id = await tasting(app)
    await app.router.handle(press(f"{event_id}:going", "Ada Lovelace"))
    await app.router.handle(press(f"{event_id}:maybe", "Alan Turing"))
    await app.router.handle(message("count me in for the tasting", "Grace Hopper", "x", "mention", clock))
    await app.worker.drain()
    sent_before = {name: len(channel.sent) for name, channel in channels.items()}
    clock.set(london(2026, 12, 4, 18, 30))
    await app.worker.drain()
    reminders = channels["telegram"].sent[sent_before["telegram"]:]
    assert [r.thread_key for r in reminders] == ["telegram:ada"]
    assert reminders[0].text.startswith("Hi Ada, see you tomorrow! Winter coffee tasting starts Saturday 5 December")
    assert len(channels["x"].sent) == sent_before["x"]  # replies on X are public: no reminder there

async def test_moving_the_event_replans_unsent_posts_and_tells_those_going(
        app: App, channels: dict[str, RecordingChannel], clock: FrozenClock) -> None:
    event_id = await tasting(app, channels=("telegram:@cafe",))
    await app.worker.drain()  # the announcement goes now
    await app.router.handle(press(f"{event_id}:going"))
    await app.worker.drain()
    event = await service(app).edit_event(event_id, starts_at=london(2026, 12, 6, 15), ends_at=None)
    await app.worker.drain()
    assert event.sequence == 1
    assert channels["telegram"].sent[-1].text.startswith("A change to Winter coffee tasting, Ada: it's now Sunday 6 "
                                                         "December at 3pm")
    posts = await service(app).posts(event_id)
    pending = sorted((p.payload["post"], p.due_at.astimezone(london(2026, 1, 1).tzinfo).strftime("%d %H:%M"))
                     for p in posts if p.kind == "event_post" and p.status == "pending")
    assert pending == [("attendees-1d", "05 15:00"), ("reminder-1d", "05 15:00"), ("reminder-2h", "06 13:00"),
                       ("reminder-7d", "29 15:00")]
    announcements = [p for p in posts if p.kind == "event_post" and p.payload["post"] == "announce"]
    assert len(announcements) == 1  # already made: not made again for the new time

async def test_cancelling_tells_everyone_who_answered_and_withdraws_unsent_posts(
        app: App, channels: dict[str, RecordingChannel], clock: FrozenClock) -> None:
    event_id = await tasting(app, capacity=1, channels=("telegram:@cafe", "x"))
    await app.worker.drain()
    await app.router.handle(press(f"{event_id}:going", "Ada Lovelace"))
    await app.router.handle(press(f"{event_id}:going", "Alan Turing", "slack"))
    await app.router.handle(press(f"{event_id}:cant", "Grace Hopper"))
    await app.worker.drain()
    told = await service(app).cancel_event(event_id, reason="Our roaster is unwell.")
    await app.worker.drain()
    assert told == 2
    assert channels["telegram"].sent[-1].thread_key == "telegram:ada"
    assert channels["telegram"].sent[-1].text == ("Sorry, Ada: Winter coffee tasting on Saturday 5 December has been "
                                                  "cancelled. Our roaster is unwell. We hope to see you at the next one.")
    assert channels["slack"].sent[-1].text.startswith("Sorry, Alan: Winter coffee tasting")
    async with app.db.session() as session:
        posts = await outbox.items(session, kind="event_post")
    assert {p.status for p in posts if p.payload["post"] != "announce"} == {"cancelled"}
    clock.set(london(2026, 12, 5, 16, 30))
    await app.worker.drain()
    assert not any("Reminder" in t for c in channels.values() for t in c.texts())
    late = await app.router.handle(press(f"{event_id}:going", "Alan Turing", "slack"))
    await app.worker.drain()
    assert late.decision is not None and "no longer taking RSVPs" in channels["slack"].sent[-1].text
