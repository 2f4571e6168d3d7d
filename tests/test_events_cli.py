"""The events CLI and business.yaml: bad input explained in one line; profile events created and updated by key."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app as socialdesk
from bot.clock import FrozenClock
from bot.settings import Settings
from tests.event_support import started
from tests.support.apps import settings_for


@pytest.fixture
async def settings(profile_dir: Path, sqlite_url: str) -> AsyncIterator[Settings]:
    yield settings_for(profile_dir, sqlite_url)

async def test_events_in_the_business_profile_are_created_once_and_updated_by_key(
        settings: Settings, profile_dir: Path, clock: FrozenClock) -> None:
    from bot.events.profile_sync import sync_profile_events

    app = await started(settings, clock)
    assert app.events is not None
    first = await sync_profile_events(app.events, app.profile)
    again = await sync_profile_events(app.events, app.profile)
    assert first == ["event 1 created from business.yaml: Winter coffee tasting"] and again == []
    await app.close()

    path = profile_dir / "business.yaml"
    path.write_text(path.read_text().replace("capacity: 20", "capacity: 30"))
    app = await started(settings, clock)
    assert app.events is not None
    assert await sync_profile_events(app.events, app.profile) == [
        "event 1 updated from business.yaml: capacity"]
    event = await app.events.get(1)
    assert event.capacity == 30 and event.sequence == 1 and event.key == "winter-tasting-2026"
    await app.close()

def test_cli_reports_bad_input_in_one_line(profile_dir: Path, sqlite_url: str) -> None:
    env = {"DATABASE_URL": sqlite_url, "SOCIALDESK_CONFIG": str(profile_dir / "business.yaml")}
    clock = FrozenClock(datetime.fromisoformat("2026-11-25T10:00:00+00:00"))
    runner = CliRunner()
    bad = runner.invoke(socialdesk, ["events", "add", "--title", "X", "--start", "next friday"], env=env,
                        obj={"clock": clock})
    assert bad.exit_code == 1 and "is not a time like 2026-12-05 18:30" in bad.output
    missing = runner.invoke(socialdesk, ["events", "show", "42"], env=env, obj={"clock": clock})
    assert missing.exit_code == 1 and "there is no event 42" in missing.output
    wrong_channel = runner.invoke(socialdesk, ["events", "add", "--title", "X", "--start", "2026-12-01 10:00",
                                            "--channel", "myspace"], env=env, obj={"clock": clock})
    assert wrong_channel.exit_code == 1 and "must be one of" in wrong_channel.output
    web_chat = runner.invoke(socialdesk, ["events", "add", "--title", "X", "--start", "2026-12-01 10:00",
                                       "--channel", "webchat"], env=env, obj={"clock": clock})
    assert web_chat.exit_code == 1 and "no one would see an invite there" in web_chat.output

@pytest.mark.parametrize("args, error", [
    (["--start", "2026-12-12 10:00", "--end", "2026-12-12 09:00"], "must end after it starts"),
    (["--start", "2026-12-12 10:00", "--announce", "2026-12-13 09:00"], "announcement must come before"),
    (["--start", "2026-12-12 10:00", "--capacity", "0"], "capacity must be at least 1"),
    (["--start", "2026-12-12 10:00", "--reminders", "soon"], "is not an offset like 7d"),
])
def test_cli_rejects_impossible_events(profile_dir: Path, sqlite_url: str, args: list[str], error: str) -> None:
    env = {"DATABASE_URL": sqlite_url, "SOCIALDESK_CONFIG": str(profile_dir / "business.yaml")}
    clock = FrozenClock(datetime.fromisoformat("2026-11-25T10:00:00+00:00"))
    result = CliRunner().invoke(socialdesk, ["events", "add", "--title", "Tasting", *args], env=env,
                                obj={"clock": clock})
    assert result.exit_code == 1 and error in result.output
