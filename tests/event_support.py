"""Event test support: the `channels` fixture (recording platforms standing in for Telegram, X and Slack:
the platform, not our code; the `app` fixture then delivers through them, to an owner's desk that keeps
notes), and small factories for customer messages, button presses and events."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.app import App, build_app
from bot.cli import app as socialdesk
from bot.clock import FrozenClock
from bot.events.service import EventService
from bot.events.spec import EventSpec
from bot.messages import Inbound, Sender
from bot.settings import Settings
from tests.conftest import london
from tests.support.apps import outlets
from tests.support.channels import NoteDesk, RecordingChannel


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
def channels() -> dict[str, RecordingChannel]:
    """Telegram, X and Slack as recording stand-ins; a test asking for them gets an `app` delivering through them."""
    return {name: RecordingChannel(name) for name in ("telegram", "x", "slack")}

def service(app: App) -> EventService:
    assert app.events is not None
    return app.events

async def tasting(app: App, capacity: int | None = None, **extra: object) -> int:
    spec = EventSpec("Winter coffee tasting", london(2026, 12, 5, 18, 30), london(2026, 12, 5, 20), capacity=capacity,
                     description="Three single-origin coffees.", **extra)  # type: ignore[arg-type]
    return (await service(app).create_event(spec)).id

async def answers(app: App, event_id: int) -> list[tuple[str, str, int, str]]:
    return [(r.display_name, r.platform, r.party_size, r.status) for r in await service(app).attendees(event_id)]

async def started(settings: Settings, clock: FrozenClock, *channels: RecordingChannel) -> App:
    return await build_app(settings, clock=clock, outlets=outlets(*channels, owner=NoteDesk()))

async def run_cli(args: list[str], profile_dir: Path, sqlite_url: str, clock: FrozenClock) -> str:
    """`socialdesk <args>` with the test's clock (in a thread: the command runs its own event loop)."""
    env = {"DATABASE_URL": sqlite_url, "SOCIALDESK_CONFIG": str(profile_dir / "business.yaml")}
    result = await asyncio.to_thread(CliRunner().invoke, socialdesk, args, env=env, obj={"clock": clock})
    assert result.exit_code == 0, result.output
    return result.output

