"""Capacity counted in party sizes, the waiting list in order, promotion when someone cancels, the list as CSV."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import timedelta
from pathlib import Path

from typer.testing import CliRunner

from bot.app import App, build_app
from bot.cli import app as socialdesk
from bot.clock import FrozenClock
from tests.event_support import answers, message, press, tasting
from tests.support.apps import outlets, settings_for
from tests.support.channels import RecordingChannel


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

async def test_capacity_and_waitlist_hold_on_each_database(database_url: str, profile_dir: Path,
                                                           clock: FrozenClock) -> None:
    settings = settings_for(profile_dir, database_url)
    slack = RecordingChannel("slack")
    app = await build_app(settings, clock=clock, outlets=outlets(slack))
    try:
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
