"""Customer display names repeated in public: on X and in Telegram groups, a name that is a link, a mention
or markup is never posted in the business's name, and such a name holds the message for the owner."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.app import App
from bot.drafting.names import greeting_name
from bot.handlers.telegram.channel import TelegramChannel
from bot.handlers.x.channel import XChannel
from bot.messages import Intent
from bot.policy import Signals, decide
from storage import drafts
from tests.fakes.server import serve
from tests.support.waiting import eventually
from tests.fakes.telegram_api import FakeBotApi
from tests.fakes.x_api import FakeXApi
from tests.payloads.load import payload
from tests.test_policy import RULES
from tests.test_telegram_channel import make_channel
from tests.test_x_channel import make_x
from tests.support.fixtures import AppWith

HELLO = "@cornerbeancafe hello!"


@pytest.fixture
async def x(app: App) -> AsyncIterator[tuple[FakeXApi, XChannel]]:
    api = FakeXApi(app.clock)
    async with serve(api.app()) as url:
        channel = make_x(app, url)
        await channel.poll_once(app.router.handle)  # first start: notes where the timeline is
        yield api, channel
        await channel.stop()


async def mention_from(app: App, x: tuple[FakeXApi, XChannel], post_id: int, name: str, username: str) -> None:
    api, channel = x
    api.mention(post_id, {"id": str(post_id + 7), "name": name, "username": username}, HELLO)
    await channel.poll_once(app.router.handle)
    await app.worker.drain()


async def held_drafts(app: App) -> list[tuple[str, tuple[str, ...]]]:
    async with app.db.session() as session:
        return [(d.text, d.reasons) for d in await drafts.pending_drafts(session)]


async def test_a_plain_name_is_greeted_by_name_in_a_public_reply(app: App, app_with: AppWith, x) -> None:
    app = await app_with(app, x[1])
    await mention_from(app, x, 1861000000000000301, "Zoë O'Brien-Smith", "zoe")

    [post] = x[0].posts
    assert post["text"].startswith("Hi Zoë! Thanks for getting in touch")


async def test_a_name_with_markup_is_left_out_of_a_public_reply(app: App, app_with: AppWith, x) -> None:
    app = await app_with(app, x[1])
    await mention_from(app, x, 1861000000000000302, "★FREE★GIFTS★", "gifts")

    [post] = x[0].posts
    assert post["text"].startswith("Hi there! Thanks for getting in touch")


@pytest.mark.parametrize("name, reason", [("bit.ly/free-iphone-here", "the sender's name contains a link"),
                                          ("@TheRealBoss", "the sender's name contains a mention")])
async def test_a_name_with_a_link_or_a_mention_holds_the_reply_and_is_never_echoed(
        app: App, x, name: str, reason: str) -> None:
    await mention_from(app, x, 1861000000000000303, name, "someone")

    assert x[0].posts == []
    [(text, reasons)] = await held_drafts(app)
    assert reason in reasons
    assert text.startswith("Hi there!") and name not in text


async def test_a_telegram_group_reply_never_repeats_a_link_for_a_name(app: App, app_with: AppWith) -> None:
    api = FakeBotApi()
    async with serve(api.app()) as url:
        channel: TelegramChannel = make_channel(app, url)
        app = await app_with(app, channel)
        update = payload("telegram", "group_mention")
        update["message"]["from"] |= {"first_name": "<b>Boss</b>"}
        update["message"]["text"] = "@CornerBean_bot hi"
        api.push(update)
        await channel.start(app.router.handle)
        await eventually(lambda: api.confirmed_offset > update["update_id"])
        await app.worker.drain()
        await channel.stop()

    [sent] = api.sent
    assert sent["text"].startswith("Hi there!") and "Boss" not in sent["text"]


def test_a_direct_message_keeps_the_name_people_chose() -> None:
    assert greeting_name("@TheRealBoss", public=False) == "@TheRealBoss"
    assert greeting_name("@TheRealBoss", public=True) == "there"
    assert greeting_name("Anne-Marie Lee", public=True) == "Anne-Marie"
    assert greeting_name("A" * 31, public=True) == "there"


def test_a_link_in_a_name_is_unusual_just_as_in_the_text() -> None:
    decision = decide("hello!", Intent("greeting", 0.95), Signals(sender_name="visit www.deals.example"), RULES)
    assert "the sender's name contains a link" in decision.reasons
