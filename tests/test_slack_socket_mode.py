"""`socialdesk run` with Slack over Socket Mode: no public URL, the default for a small business."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from io import StringIO
from pathlib import Path

import pytest

from bot.app import App, Outlets, build_app
from bot.clock import FrozenClock
from bot.handlers.slack.blocks import cards
from bot.messages import Inbound, Sender
from bot.runner import run_bot
from tests.fake_slack import FakeSlack
from tests.slack_harness import HELD, click_payload
from tests.support.apps import settings_for



@pytest.fixture
async def running(profile_dir: Path, sqlite_url: str, clock: FrozenClock,
                  fake_slack: FakeSlack) -> AsyncIterator[tuple[App, StringIO]]:
    settings = settings_for(profile_dir, sqlite_url, slack_bot_token="xoxb-test", slack_app_token="xapp-test",
                            slack_api_url=fake_slack.url)
    out = StringIO()
    app = await build_app(settings, clock=clock, outlets=Outlets.for_run(out, console=False))
    task = asyncio.create_task(run_bot(app, console=False, out=out))
    await fake_slack.until(lambda: fake_slack.sockets)
    yield app, out
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await app.close()


async def test_a_held_message_becomes_a_card_and_a_click_over_the_socket_answers_the_customer(
        running: tuple[App, StringIO], fake_slack: FakeSlack) -> None:
    app, out = running
    handled = await app.router.handle(Inbound("shell", "dm", "sock-1", "console:Jo", Sender("console:Jo", "Jo"),
                                              HELD, app.clock.now()))
    app.worker.wake.set()
    await fake_slack.until(lambda: fake_slack.to("chat.postMessage"))

    envelope = await fake_slack.push("interactive", click_payload(cards.SEND, str(handled.draft_id)))
    await fake_slack.until(lambda: "on Saturday 28 November" in out.getvalue())

    assert "owner     Slack #socialdesk (socket mode)" in out.getvalue()
    assert any(ack.get("envelope_id") == envelope for ack in fake_slack.acks)
    await fake_slack.until(lambda: fake_slack.to("chat.update"))
    assert out.getvalue().count("on Saturday 28 November") == 1
