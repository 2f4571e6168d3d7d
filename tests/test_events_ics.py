"""Calendar files: they parse, keep their UID across edits, and bump SEQUENCE; served over HTTP too."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from pathlib import Path

import httpx
from icalendar import Calendar
from typer.testing import CliRunner

from bot.app import App, build_app
from bot.cli import app as socialdesk
from bot.clock import FrozenClock
from bot.events.ics import event_ics
from bot.events.spec import EventSpec
from bot.web import create_web_app, route_providers
from tests.conftest import london
from tests.support.apps import outlets, settings_for
from tests.support.channels import RecordingChannel


def parsed(data: bytes) -> dict[str, object]:
    calendar = Calendar.from_ical(data)
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    event = events[0]
    return {"uid": str(event["UID"]), "sequence": int(str(event["SEQUENCE"])), "summary": str(event["SUMMARY"]),
            "start": event.decoded("DTSTART"), "end": event.decoded("DTEND"), "location": str(event["LOCATION"]),
            "status": str(event["STATUS"])}


async def test_ics_parses_and_keeps_its_uid_while_sequence_grows_with_each_edit(app: App) -> None:
    assert app.events is not None
    event = await app.events.create_event(EventSpec("Winter coffee tasting", london(2026, 12, 5, 18, 30),
                                                    london(2026, 12, 5, 20)))
    first = parsed(event_ics(event, app.profile, base_url=None, now=app.clock.now()))
    assert first["summary"] == "Winter coffee tasting" and first["sequence"] == 0
    assert first["start"] == datetime(2026, 12, 5, 18, 30, tzinfo=timezone.utc)
    assert first["location"] == "14 Market Street, Leeds LS1 6DT" and first["status"] == "CONFIRMED"

    moved = await app.events.edit_event(event.id, starts_at=london(2026, 12, 6, 15), ends_at=london(2026, 12, 6, 17))
    second = parsed(event_ics(moved, app.profile, base_url=None, now=app.clock.now()))
    assert second["uid"] == first["uid"] and second["sequence"] == 1
    assert second["start"] == datetime(2026, 12, 6, 15, tzinfo=timezone.utc)

    await app.events.cancel_event(event.id)
    third = parsed(event_ics(await app.events.get(event.id), app.profile, base_url=None, now=app.clock.now()))
    assert third["uid"] == first["uid"] and third["sequence"] == 2 and third["status"] == "CANCELLED"


async def test_cli_writes_the_ics_file(app: App, clock: FrozenClock, tmp_path: Path) -> None:
    assert app.events is not None
    event = await app.events.create_event(EventSpec("Latte art workshop", london(2026, 12, 12, 10)))
    env = {"DATABASE_URL": app.settings.database_url, "SOCIALDESK_CONFIG": str(app.profile_path)}
    target = tmp_path / "workshop.ics"
    result = await asyncio.to_thread(CliRunner().invoke, socialdesk, ["events", "ics", str(event.id), "-o", str(target)],
                                     env=env, obj={"clock": clock})
    assert result.exit_code == 0, result.output
    assert parsed(target.read_bytes())["uid"] == event.uid


async def test_web_serves_the_ics_and_posts_link_to_it(profile_dir: Path, sqlite_url: str, clock: FrozenClock) -> None:
    settings = settings_for(profile_dir, sqlite_url, public_base_url="https://cafe.example.org/")
    telegram, x = RecordingChannel("telegram"), RecordingChannel("x")
    app = await build_app(settings, clock=clock, outlets=outlets(telegram, x))
    assert app.events is not None
    event = await app.events.create_event(EventSpec("Latte art workshop", london(2026, 12, 12, 10),
                                                    channels=("telegram:@cafe", "x")))
    await app.worker.drain()
    link = f"https://cafe.example.org/events/{event.id}.ics"
    assert f'<a href="{link}">' in telegram.sent[0].text and x.sent[0].text.endswith(link)

    web = create_web_app(app, route_providers())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=web), base_url="http://testserver") as client:
        found = await client.get(f"/events/{event.id}.ics")
        missing = await client.get("/events/999.ics")
        not_a_number = await client.get("/events/abc.ics")
    assert found.status_code == 200 and found.headers["content-type"].startswith("text/calendar")
    assert parsed(found.content)["uid"] == event.uid
    assert missing.status_code == 404 and not_a_number.status_code == 404
    await app.close()
