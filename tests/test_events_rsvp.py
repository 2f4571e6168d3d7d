"""RSVPs by button and by words, capacity with a waitlist, confirmations, reminders and cancellations."""

from __future__ import annotations

import asyncio
import csv
import io
import itertools
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.app import App, build_app
from bot.approvals import Approvals
from bot.cli import app as socialdesk
from bot.clock import FrozenClock
from bot.events.service import EventService
from bot.events.spec import EventSpec
from bot.handlers.shell import Console, ConsoleDesk, ShellChannel
from bot.messages import Inbound, Sender
from bot.settings import Settings
from bot.textlimits import x_length
from storage import audit, outbox
from tests.conftest import london
from tests.event_fakes import NoteDesk, RecordingChannel

_ids = itertools.count(1)


def message(text: str, who: str = "Ada Lovelace", platform: str = "telegram", kind: str = "dm",
            clock: FrozenClock | None = None) -> Inbound:
    user = who.split()[0].lower()
    return Inbound(platform=platform, kind=kind, external_id=f"m-{next(_ids)}", thread_key=f"{platform}:{user}",
                   sender=Sender(f"{user}-id", who), text=text,
                   received_at=clock.now() if clock else london(2026, 11, 25, 10))


def press(value: str, who: str = "Ada Lovelace", platform: str = "telegram") -> Inbound:
    return message(value, who, platform, kind="callback")


@pytest.fixture
def channels(app: App) -> dict[str, RecordingChannel]:
    found = {name: RecordingChannel(name) for name in ("telegram", "x", "slack")}
    app.worker.channels.update(found)
    app.worker.owner = NoteDesk()
    return found


def service(app: App) -> EventService:
    assert app.events is not None
    return app.events


async def tasting(app: App, capacity: int | None = None, **extra: object) -> int:
    spec = EventSpec("Winter coffee tasting", london(2026, 12, 5, 18, 30), london(2026, 12, 5, 20), capacity=capacity,
                     description="Three single-origin coffees.", **extra)  # type: ignore[arg-type]
    return (await service(app).create_event(spec)).id


async def answers(app: App, event_id: int) -> list[tuple[str, str, int, str]]:
    return [(r.display_name, r.platform, r.party_size, r.status) for r in await service(app).attendees(event_id)]


async def test_going_button_records_the_rsvp_and_confirms_on_the_customers_platform(
        app: App, channels: dict[str, RecordingChannel]) -> None:
    event_id = await tasting(app)
    handled = await app.router.handle(press(f"{event_id}:going"))
    await app.worker.drain()
    assert handled.decision is not None and handled.decision.action.value == "auto"
    assert await answers(app, event_id) == [("Ada Lovelace", "telegram", 1, "going")]
    reply = channels["telegram"].sent[-1]
    assert reply.thread_key == "telegram:ada" and reply.recipient_id == "ada-id"
    assert reply.text.startswith("You're in, Ada! Winter coffee tasting, Saturday 5 December at 6:30pm")


async def test_an_rsvp_can_be_changed_and_a_repeated_button_press_counts_once(
        app: App, channels: dict[str, RecordingChannel]) -> None:
    event_id = await tasting(app)
    first = press(f"{event_id}:maybe")
    await app.router.handle(first)
    assert (await app.router.handle(first)).duplicate  # the platform delivered the press twice
    await app.router.handle(press(f"{event_id}:cant"))
    await app.worker.drain()
    assert await answers(app, event_id) == [("Ada Lovelace", "telegram", 1, "not_going")]
    assert [t.split(":")[0] for t in channels["telegram"].texts()] == ["Thanks, Ada", "No problem, Ada"]


async def test_words_count_me_in_and_a_party_size_through_the_router(app: App, channels: dict[str, RecordingChannel],
                                                                      clock: FrozenClock) -> None:
    event_id = await tasting(app)
    await app.router.handle(message("count me in for the tasting", "Grace Hopper", "x", "mention", clock))
    await app.router.handle(message("put me down for two please", "Ada Lovelace", "telegram", clock=clock))
    await app.worker.drain()
    assert sorted(await answers(app, event_id)) == [("Ada Lovelace", "telegram", 2, "going"),
                                                    ("Grace Hopper", "x", 1, "going")]
    assert channels["x"].sent[-1].text.startswith("You're in, Grace!")
    assert "We have you down for 2." in channels["telegram"].sent[-1].text


async def test_i_cant_make_it_cancels_and_promotes_the_first_on_the_waitlist(
        app: App, channels: dict[str, RecordingChannel], clock: FrozenClock) -> None:
    event_id = await tasting(app, capacity=2)
    await app.router.handle(press(f"{event_id}:going", "Ada Lovelace"))
    await app.router.handle(message("we'd love to come, put us down for two", "Grace Hopper", "slack", clock=clock))
    await app.router.handle(press(f"{event_id}:going", "Alan Turing"))
    await app.worker.drain()
    assert await answers(app, event_id) == [("Ada Lovelace", "telegram", 1, "going"),
                                            ("Grace Hopper", "slack", 2, "waitlisted"),
                                            ("Alan Turing", "telegram", 1, "waitlisted")]
    assert "you're number 1 on the waiting list (for 2)" in channels["slack"].sent[-1].text
    assert "you're number 2 on the waiting list" in channels["telegram"].sent[-1].text

    clock.advance(timedelta(hours=1))
    await app.router.handle(message("sorry, I can't make it anymore", "Ada Lovelace", clock=clock))
    await app.worker.drain()
    assert await answers(app, event_id) == [("Alan Turing", "telegram", 1, "waitlisted"),
                                            ("Ada Lovelace", "telegram", 1, "not_going"),
                                            ("Grace Hopper", "slack", 2, "going")]
    assert channels["slack"].sent[-1].text.startswith("Good news, Grace: a place opened up")
    assert channels["telegram"].sent[-1].thread_key == "telegram:ada"
    assert "taken you off the list" in channels["telegram"].sent[-1].text


async def test_bringing_a_friend_is_a_question_for_the_owner(app: App, channels: dict[str, RecordingChannel],
                                                             clock: FrozenClock) -> None:
    event_id = await tasting(app)
    handled = await app.router.handle(message("count me in! can I bring a friend?", clock=clock))
    await app.worker.drain()
    assert handled.decision is not None and handled.decision.action.value == "escalate"
    assert 'asks about bringing guests to "Winter coffee tasting"' in handled.decision.reasons
    desk = app.worker.owner
    assert isinstance(desk, NoteDesk) and len(desk.cards) == 1
    assert channels["telegram"].sent == [] and await answers(app, event_id) == []


async def test_with_two_events_ahead_the_bot_asks_which_one(app: App, channels: dict[str, RecordingChannel],
                                                            clock: FrozenClock) -> None:
    await tasting(app)
    workshop = await service(app).create_event(EventSpec("Latte art workshop", london(2026, 12, 12, 10)))
    await app.router.handle(message("count me in", clock=clock))
    await app.worker.drain()
    question = channels["telegram"].sent[-1].text
    assert "Which one?" in question and "Winter coffee tasting" in question and "Latte art workshop" in question
    await app.router.handle(message("count me in for the latte art workshop", clock=clock))
    await app.worker.drain()
    assert await answers(app, workshop.id) == [("Ada Lovelace", "telegram", 1, "going")]


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


async def test_unknown_button_values_are_ignored_quietly(app: App, channels: dict[str, RecordingChannel]) -> None:
    handled = await app.router.handle(press("menu:open"))
    await app.worker.drain()
    assert handled.decision is not None and handled.decision.action.value == "silent"
    assert channels["telegram"].sent == [] and app.worker.owner.cards == []  # type: ignore[union-attr]


async def test_attendee_list_as_csv(app: App, channels: dict[str, RecordingChannel], clock: FrozenClock) -> None:
    event_id = await tasting(app, capacity=2)
    await app.router.handle(press(f"{event_id}:going", "Ada Lovelace"))
    await app.router.handle(message("put me down for two", "Grace Hopper", "slack", clock=clock))
    env = {"DATABASE_URL": app.settings.database_url, "SOCIALDESK_CONFIG": str(app.profile_path)}
    result = await asyncio.to_thread(CliRunner().invoke, socialdesk, ["events", "attendees", str(event_id), "--csv"],
                                     env=env, obj={"clock": clock})
    assert result.exit_code == 0, result.output
    assert list(csv.reader(io.StringIO(result.output))) == [
        ["name", "platform", "party_size", "status"], ["Ada Lovelace", "telegram", "1", "going"],
        ["Grace Hopper", "slack", "2", "waitlisted"]]


async def test_capacity_and_waitlist_hold_on_each_database(database_url: str, profile_dir: Path,
                                                           clock: FrozenClock) -> None:
    settings = Settings(_env_file=None, database_url=database_url,
                        socialdesk_config=str(profile_dir / "business.yaml"))
    app = await build_app(settings, clock=clock)
    try:
        slack = RecordingChannel("slack")
        app.worker.channels["slack"] = slack
        event_id = await tasting(app, capacity=3)
        for who in ("Ada Lovelace", "Alan Turing", "Grace Hopper", "Edsger Dijkstra"):
            clock.advance(timedelta(minutes=1))
            await app.router.handle(press(f"{event_id}:going", who, "slack"))
        clock.advance(timedelta(minutes=1))
        await app.router.handle(press(f"{event_id}:cant", "Alan Turing", "slack"))
        await app.worker.drain()
        assert [(name, status) for name, _, _, status in await answers(app, event_id)] == [
            ("Ada Lovelace", "going"), ("Grace Hopper", "going"), ("Alan Turing", "not_going"),
            ("Edsger Dijkstra", "going")]
        to_edsger = [o.text for o in slack.sent if o.thread_key == "slack:edsger"]
        assert "number 1 on the waiting list" in to_edsger[0]
        assert to_edsger[1].startswith("Good news, Edsger: a place opened up")
    finally:
        await app.close()


async def test_someone_already_going_keeps_their_place_when_a_bigger_party_does_not_fit(
        app: App, channels: dict[str, RecordingChannel], clock: FrozenClock) -> None:
    event_id = await tasting(app, capacity=2)
    await app.router.handle(press(f"{event_id}:going", "Ada Lovelace"))
    await app.router.handle(press(f"{event_id}:going", "Alan Turing"))
    await app.router.handle(press(f"{event_id}:going", "Grace Hopper"))  # waiting
    await app.router.handle(message("can you put me down for three", "Ada Lovelace", clock=clock))
    await app.router.handle(press(f"{event_id}:going", "Ada Lovelace"))  # pressed again
    await app.worker.drain()
    assert await answers(app, event_id) == [("Ada Lovelace", "telegram", 1, "going"),
                                            ("Alan Turing", "telegram", 1, "going"),
                                            ("Grace Hopper", "telegram", 1, "waitlisted")]
    to_ada = [o.text for o in channels["telegram"].sent if o.thread_key == "telegram:ada"]
    assert len(to_ada) == 3 and all(text.startswith("You're in, Ada!") for text in to_ada)
    assert "Sorry, there isn't room for 3, so we've kept your place for 1." in to_ada[1]


async def test_console_conversation_rsvp_and_the_invite_on_the_console(app: App) -> None:
    out = io.StringIO()
    app.worker.channels["shell"] = ShellChannel(out, app.profile.business.name)
    app.worker.owner = ConsoleDesk(out)
    await service(app).create_event(EventSpec("Winter coffee tasting", london(2026, 12, 5, 18, 30), capacity=20,
                                              channels=("shell",)))
    await app.worker.drain()
    console = Console(app.router, Approvals(app.db, app.clock, None), app.worker, app.clock, out)
    await console.say("count me in for the tasting, there'll be 2 of us")
    printed = out.getvalue()
    assert "Corner Bean Café: Winter coffee tasting\nSaturday 5 December, 6:30pm at 14 Market Street" in printed
    assert "20 places left." in printed
    assert ("Corner Bean Café: You're in, Alex! Winter coffee tasting, Saturday 5 December at 6:30pm, "
            "14 Market Street, Leeds LS1 6DT. We have you down for 2.") in printed


@pytest.mark.parametrize("value", ["abc:going", "1:dance", "1:2:3", "", "going"])
async def test_malformed_button_values_change_nothing(app: App, channels: dict[str, RecordingChannel],
                                                      value: str) -> None:
    event_id = await tasting(app)
    handled = await app.router.handle(press(value))
    await app.worker.drain()
    assert handled.decision is not None and handled.decision.action.value == "silent"
    assert await answers(app, event_id) == [] and channels["telegram"].sent == []


async def test_a_button_for_an_event_that_does_not_exist_says_so(app: App,
                                                                 channels: dict[str, RecordingChannel]) -> None:
    await app.router.handle(press("404:going"))
    await app.worker.drain()
    assert channels["telegram"].sent[-1].text == "Sorry, Ada: that event is no longer taking RSVPs."


async def test_cancelling_without_any_rsvp_is_answered_without_guessing(
        app: App, channels: dict[str, RecordingChannel], clock: FrozenClock) -> None:
    await tasting(app)
    await app.router.handle(message("I can't make it anymore, please cancel my spot", clock=clock))
    await app.worker.drain()
    assert "We don't have you down for any upcoming event" in channels["telegram"].sent[-1].text


async def test_a_confirmation_on_x_is_shortened_to_fit(app: App, channels: dict[str, RecordingChannel],
                                                        clock: FrozenClock) -> None:
    long_title = "Winter coffee tasting with " + "our friends from far away roasteries " * 5
    event = await service(app).create_event(EventSpec(long_title, london(2026, 12, 5, 18, 30)))
    await app.router.handle(message("count me in for the winter coffee tasting", "Grace Hopper", "x", "mention", clock))
    await app.worker.drain()
    reply = channels["x"].sent[-1].text
    assert reply.startswith("You're in, Grace!") and reply.endswith("…") and x_length(reply) <= 280
    assert await answers(app, event.id) == [("Grace Hopper", "x", 1, "going")]


async def test_a_broken_owner_template_never_loses_an_rsvp_or_stops_a_cancellation(
        app: App, channels: dict[str, RecordingChannel], clock: FrozenClock) -> None:
    own = app.profile_path.parent / "templates"
    own.mkdir(exist_ok=True)
    (own / "rsvp_confirmation.j2").write_text("You're in {{ event.no_such_thing }}\n")
    (own / "event_cancelled.j2").write_text("Cancelled {{ nonsense }}\n")
    event_id = await tasting(app)
    handled = await app.router.handle(press(f"{event_id}:going"))
    await app.worker.drain()
    assert await answers(app, event_id) == [("Ada Lovelace", "telegram", 1, "going")]
    assert handled.decision is not None and handled.decision.action.value == "escalate"
    assert any("no_such_thing" in reason for reason in handled.decision.reasons)
    assert channels["telegram"].sent == [] and len(app.worker.owner.cards) == 1  # type: ignore[union-attr]

    assert await service(app).cancel_event(event_id) == 0
    assert (await service(app).get(event_id)).status == "cancelled"
    async with app.db.session() as session:
        actions = [entry.action for entry in await audit.entries(session, f"event:{event_id}")]
    assert "event_notice_failed" in actions and "event_cancelled" in actions


@pytest.mark.parametrize("text, expected", [
    ("sorry, can't come to the tasting anymore", ("not_going", 1)),
    ("we'll be there for the coffee tasting, 3 of us!", ("going", 3)),
])
async def test_rsvp_words_naming_the_event_are_understood(app: App, channels: dict[str, RecordingChannel],
                                                          clock: FrozenClock, text: str,
                                                          expected: tuple[str, int]) -> None:
    event_id = await tasting(app)
    await app.router.handle(press(f"{event_id}:going"))
    await app.router.handle(message(text, clock=clock))
    await app.worker.drain()
    _, _, size, status = (await answers(app, event_id))[0]
    assert (status, size) == expected


async def test_a_plain_guest_question_goes_to_the_owner(app: App, channels: dict[str, RecordingChannel],
                                                        clock: FrozenClock) -> None:
    await tasting(app)
    handled = await app.router.handle(message("can I bring a friend?", clock=clock))
    await app.worker.drain()
    assert handled.decision is not None and handled.decision.action.value == "escalate"
    assert channels["telegram"].sent == []
