"""RSVPs by button and by words, through the router: confirmations, questions for the owner, bad input."""

from __future__ import annotations

import io

import pytest

from bot.app import App
from bot.clock import FrozenClock
from bot.events.spec import EventSpec
from bot.handlers.shell import Console, ConsoleDesk, ShellChannel
from bot.owner import Approvals
from bot.platforms import x_length
from storage import audit
from tests.conftest import london
from tests.event_support import answers, message, press, service, tasting
from tests.support.channels import NoteDesk, RecordingChannel
from tests.support.fixtures import AppWith


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

async def test_bringing_a_friend_is_a_question_for_the_owner(app: App, channels: dict[str, RecordingChannel],
                                                             clock: FrozenClock) -> None:
    event_id = await tasting(app)
    handled = await app.router.handle(message("count me in! can I bring a friend?", clock=clock))
    await app.worker.drain()
    assert handled.decision is not None and handled.decision.action.value == "escalate"
    assert 'asks about bringing guests to "Winter coffee tasting"' in handled.decision.reasons
    desk = app.worker.owner
    assert isinstance(desk, NoteDesk) and len(desk.cards) == 1
    assert channels["telegram"].replies() == [] and await answers(app, event_id) == []
    assert channels["telegram"].acknowledgements() == ["Thanks, Ada! Sam will reply to you personally soon."]

async def test_a_plain_guest_question_goes_to_the_owner(app: App, channels: dict[str, RecordingChannel],
                                                        clock: FrozenClock) -> None:
    await tasting(app)
    handled = await app.router.handle(message("can I bring a friend?", clock=clock))
    await app.worker.drain()
    assert handled.decision is not None and handled.decision.action.value == "escalate"
    assert channels["telegram"].replies() == [] and len(channels["telegram"].acknowledgements()) == 1

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

async def test_console_conversation_rsvp_and_the_invite_on_the_console(app: App, app_with: AppWith) -> None:
    out = io.StringIO()
    app = await app_with(app, ShellChannel(out, app.profile.business.name), owner=ConsoleDesk(out))
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

async def test_unknown_button_values_are_ignored_quietly(app: App, channels: dict[str, RecordingChannel]) -> None:
    handled = await app.router.handle(press("menu:open"))
    await app.worker.drain()
    assert handled.decision is not None and handled.decision.action.value == "silent"
    assert channels["telegram"].sent == [] and app.worker.owner.cards == []  # type: ignore[union-attr]

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

async def test_cancelling_without_any_rsvp_or_event_named_goes_to_the_owner(
        app: App, channels: dict[str, RecordingChannel], clock: FrozenClock) -> None:
    await tasting(app)
    # "my spot" names no event and there is no RSVP: it may be a table, so the owner answers.
    await app.router.handle(message("I can't make it anymore, please cancel my spot", clock=clock))
    await app.worker.drain()
    assert [m.text for m in channels["telegram"].sent] == ["Thanks, Ada! Sam will reply to you personally soon."]

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
    assert channels["telegram"].replies() == [] and len(app.worker.owner.cards) == 1  # type: ignore[union-attr]

    assert await service(app).cancel_event(event_id) == 0
    assert (await service(app).get(event_id)).status == "cancelled"
    async with app.db.session() as session:
        actions = [entry.action for entry in await audit.entries(session, f"event:{event_id}")]
    assert "event_notice_failed" in actions and "event_cancelled" in actions
