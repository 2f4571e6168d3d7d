"""No message is lost to a broken owner template or an odd payload, and no update blocks the ones behind
it: over the web chat and the Telegram webhook (the ASGI app with a real client) and under Telegram
polling (python-telegram-bot against the fake Bot API) and X polling (tweepy against the fake X API),
on SQLite and on Postgres."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from io import StringIO
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import select
from telegram import Bot

from bot.app import App
from bot.handlers.shell import ConsoleDesk
from bot.handlers.telegram.channel import OFFSET_CURSOR, TelegramChannel, api_base_url
from bot.handlers.telegram.webhook import SECRET_HEADER, telegram_routes
from bot.handlers.webchat.channel import WebChatOptions
from bot.registry import webchat_provider
from bot.handlers.x.channel import DMS_CURSOR, MENTIONS_CURSOR, XChannel
from bot.web import create_web_app
from storage import audit, cursors, drafts
from storage.models import MessageRow
from tests.fakes.server import serve
from tests.support.waiting import eventually
from tests.fakes.telegram_api import TOKEN, FakeBotApi
from tests.fakes.x_api import FakeXApi
from tests.test_x_channel import PRIYA, TOM, make_x
from tests.payloads.load import payload
from tests.support.apps import from_ports
from tests.support.fixtures import AppWith

SATURDAY = "We're open 9am–5pm on Saturday 28 November"
QUESTION = "what time do you open on saturday?"
BROKEN_TEMPLATES = {  # the template, and the error the owner reads on the card
    "division by zero": ("We're open {{ 1/0 }}.", "ZeroDivisionError: division by zero"),
    "a helper given a bad argument": ("We're open {{ hours_text('saturday') }}.",
                                      "AttributeError: 'str' object has no attribute 'closed'"),
}


def telegram_update(update_id: int, message_id: int, text: str = QUESTION, **message: Any) -> dict[str, Any]:
    update = copy.deepcopy(payload("telegram", "private_text"))
    update["update_id"] = update_id
    update["message"].update(message_id=message_id, text=text, **message)
    return update


@pytest.fixture
def desk() -> StringIO:
    return StringIO()


@pytest.fixture
async def bot_app(any_app: App, app_with: AppWith, desk: StringIO, profile_dir: Path) -> App:
    """The bot with the console as the owner's desk."""
    (profile_dir / "templates").mkdir(exist_ok=True)
    return await app_with(any_app, owner=ConsoleDesk(desk))


def break_hours_template(profile_dir: Path, source: str) -> None:
    (profile_dir / "templates" / "hours.j2").write_text(source, encoding="utf-8")


@pytest.fixture
async def fake() -> AsyncIterator[tuple[FakeBotApi, str]]:
    api = FakeBotApi()
    async with serve(api.app()) as url:
        yield api, url


@pytest.fixture
async def telegram(any_app: App, fake: tuple[FakeBotApi, str]) -> AsyncIterator[TelegramChannel]:
    channel = TelegramChannel(Bot(TOKEN, base_url=api_base_url(fake[1])), any_app.db, clock=any_app.clock,
                              poll_timeout=1)
    yield channel
    await channel.stop()


@pytest.fixture
async def webhook_app(bot_app: App, app_with: AppWith, fake: tuple[FakeBotApi, str]) -> App:
    settings = bot_app.settings.model_copy(update={"telegram_bot_token": SecretStr(TOKEN), "telegram_api_url": fake[1],
                                                   "telegram_webhook_secret": SecretStr("s3cret-token")})
    return await app_with(bot_app, settings=settings)


@pytest.fixture
async def webhook(webhook_app: App) -> AsyncIterator[httpx.AsyncClient]:
    asgi = create_web_app(webhook_app, [from_ports(telegram_routes)])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(asgi), base_url="http://testserver",
                                 headers={SECRET_HEADER: "s3cret-token"}) as client:
        yield client


async def escalations(app: App) -> list[tuple[str, ...]]:
    async with app.db.session() as session:
        return [draft.reasons for draft in await drafts.pending_drafts(session)]


async def failures(app: App) -> list[str]:
    async with app.db.session() as session:
        return [f"{e.subject} {e.detail['error']}" for e in await audit.entries(session) if e.action == "inbound_failed"]


async def stored_texts(app: App) -> list[str]:
    async with app.db.session() as session:
        return sorted((await session.scalars(select(MessageRow.text).where(MessageRow.direction == "in"))).all())


@pytest.mark.parametrize("broken, error", BROKEN_TEMPLATES.values(), ids=BROKEN_TEMPLATES.keys())
async def test_a_broken_template_escalates_the_web_chat_message_with_the_error(
        bot_app: App, profile_dir: Path, desk: StringIO, broken: str, error: str) -> None:
    break_hours_template(profile_dir, broken)
    web = create_web_app(bot_app, [webchat_provider(WebChatOptions(poll_timeout=1.0))])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(web), base_url="http://testserver") as client:
        posted = await client.post("/webchat/messages", json={
            "visitor_id": "a" * 32, "name": "Jo", "text": QUESTION, "client_message_id": "m1"})
    assert posted.status_code == 202
    assert await stored_texts(bot_app) == [QUESTION]
    ((*_, reason),) = await escalations(bot_app)
    assert reason == f"template 'hours' failed: {error}"
    await bot_app.worker.drain()
    assert f"template 'hours' failed: {error}" in desk.getvalue()


async def test_a_broken_template_under_polling_escalates_and_the_next_customer_is_answered(
        bot_app: App, app_with: AppWith, profile_dir: Path, fake: tuple[FakeBotApi, str], telegram: TelegramChannel) -> None:
    bot_app = await app_with(bot_app, telegram)  # delivering through the channel
    api, _ = fake
    break_hours_template(profile_dir, BROKEN_TEMPLATES["division by zero"][0])
    api.push(telegram_update(900, 41))
    api.push(telegram_update(901, 42, "hello!", chat={"id": 555, "type": "private"}, **{"from": {
        "id": 555, "is_bot": False, "first_name": "Sam"}}))
    await telegram.start(bot_app.router.handle)
    await eventually(lambda: api.confirmed_offset > 901)
    await bot_app.worker.drain()
    ((*_, reason),) = await escalations(bot_app)
    assert reason == "template 'hours' failed: ZeroDivisionError: division by zero"
    # The first customer is told the owner will answer; the second gets their greeting.
    assert [(int(sent["chat_id"]), "will reply to you personally" in sent["text"]) for sent in api.sent] == [
        (123456789, True), (555, False)]


async def test_odd_updates_under_polling_never_hold_up_the_ones_behind_them(
        bot_app: App, app_with: AppWith, desk: StringIO, fake: tuple[FakeBotApi, str], telegram: TelegramChannel) -> None:
    bot_app = await app_with(bot_app, telegram)  # delivering through the channel
    api, _ = fake
    api.push(telegram_update(900, 41, "are you open on saturday?", date=1e20))
    api.push(telegram_update([901], 42, "my order #12?"))  # type: ignore[arg-type]
    api.push(telegram_update(902, 43, "what time do you open\x00 on saturday?"))
    api.push(telegram_update(903, 44, "do you have oat milk?"))
    await telegram.start(bot_app.router.handle)
    await eventually(lambda: api.confirmed_offset > 903)
    await bot_app.worker.drain()
    async with bot_app.db.session() as session:
        assert await cursors.get(session, OFFSET_CURSOR) == "904"
    assert await stored_texts(bot_app) == ["do you have oat milk?", "what time do you open on saturday?"]
    assert any(SATURDAY in sent["text"] for sent in api.sent)
    recorded = await failures(bot_app)
    assert [entry.split(" ", 1)[0] for entry in recorded] == ["telegram:update", "telegram:update"]
    assert "update 900" in recorded[0] and "BadPayload" in recorded[0]
    assert "update [901]" in recorded[1]
    told = desk.getvalue()
    assert "Priya wrote: “are you open on saturday?”" in told and "Priya wrote: “my order #12?”" in told


async def test_webhook_answers_odd_updates_without_a_500(bot_app: App, webhook: httpx.AsyncClient,
                                                         desk: StringIO) -> None:
    out_of_range = await webhook.post("/telegram/webhook", json=telegram_update(900, 41, "hi there", date=1e20))
    listed_id = await webhook.post("/telegram/webhook", json=telegram_update([901], 42))  # type: ignore[arg-type]
    with_nul = await webhook.post("/telegram/webhook", json=telegram_update(902, 43, "what time do you open\x00 on saturday?"))
    again = await webhook.post("/telegram/webhook", json=telegram_update(900, 41, "hi there", date=1e20))
    assert [r.status_code for r in (out_of_range, listed_id, with_nul, again)] == [200, 400, 200, 200]
    assert await stored_texts(bot_app) == ["what time do you open on saturday?"]
    await bot_app.worker.drain()
    assert len(await failures(bot_app)) == 1  # Telegram's retry of the same update tells the owner once
    assert desk.getvalue().count("Priya wrote: “hi there”") == 1


async def test_webhook_escalates_a_message_whose_template_is_broken(
        bot_app: App, profile_dir: Path, webhook: httpx.AsyncClient) -> None:
    broken, error = BROKEN_TEMPLATES["a helper given a bad argument"]
    break_hours_template(profile_dir, broken)
    response = await webhook.post("/telegram/webhook", json=telegram_update(900, 41))
    assert response.status_code == 200
    ((*_, reason),) = await escalations(bot_app)
    assert reason == f"template 'hours' failed: {error}"


@pytest.fixture
async def x_api(any_app: App) -> AsyncIterator[tuple[FakeXApi, XChannel]]:
    api = FakeXApi(any_app.clock)
    async with serve(api.app()) as url:
        channel = make_x(any_app, url)
        yield api, channel
        await channel.stop()


async def test_odd_x_posts_and_dms_never_hold_up_the_ones_behind_them(
        bot_app: App, app_with: AppWith, desk: StringIO, x_api: tuple[FakeXApi, XChannel]) -> None:
    bot_app = await app_with(bot_app, x_api[1])  # delivering through the channel
    api, x = x_api
    await x.poll_once(bot_app.router.handle)  # first start: notes where the timelines are
    api.mention(1861000000000000300, PRIYA, "@cornerbeancafe are you open on saturday?")
    del api.mentions[-1]["created_at"]  # a post X sent without its time
    api.mention(1861000000000000301, TOM, "@cornerbeancafe what time do you open\x00 on saturday?")
    api.mention(1861000000000000302, PRIYA, "@cornerbeancafe my order #12?")
    api.mentions[-1]["created_at"] = "0001-01-01T00:00:00.000Z"  # a time no message was written at
    api.mention(1861000000000000303, TOM, "@cornerbeancafe do you have oat milk?")
    api.dm(1861000000000009001, PRIYA, "hello?")
    api.dms[-1]["text"] = ["hello?"]  # a DM whose text is not text
    api.dm(1861000000000009002, TOM, "hi there")

    first = await x.poll_once(bot_app.router.handle)
    again = await x.poll_once(bot_app.router.handle)
    await bot_app.worker.drain()

    assert (first, again) == (3, 0)
    async with bot_app.db.session() as session:
        assert await cursors.get(session, MENTIONS_CURSOR) == "1861000000000000303"
        assert await cursors.get(session, DMS_CURSOR) == "1861000000000009002"
    assert await stored_texts(bot_app) == ["do you have oat milk?", "hi there", "what time do you open on saturday?"]
    assert [post["reply"]["in_reply_to_tweet_id"] for post in api.posts] == ["1861000000000000301",
                                                                            "1861000000000000303"]
    assert [dm["participant_id"] for dm in api.sent_dms] == [TOM["id"]]
    recorded = await failures(bot_app)
    assert [entry.split(" BadPayload")[0].split(" OverflowError")[0] for entry in recorded] == [
        "x:post 1861000000000000300", "x:post 1861000000000000302", "x:DM event 1861000000000009001"]
    told = desk.getvalue()
    assert "Priya Shah wrote: “@cornerbeancafe are you open on saturday?”" in told
    assert "Priya Shah wrote: “my order #12?”" in told
    assert told.count("A x message could not be handled") == 3
