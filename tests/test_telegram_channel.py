"""python-telegram-bot against a fake Bot API on 127.0.0.1: polling, webhook, sending."""

from __future__ import annotations

import asyncio
import copy
import html
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from pydantic import SecretStr
from telegram import Bot
from telegram.request import HTTPXRequest

from bot.app import App
from bot.errors import RateLimited
from bot.events.spec import EventSpec
from bot.handlers.ratelimit import SendBudget, TokenBuckets
from bot.handlers.telegram.channel import OFFSET_CURSOR, TelegramChannel, api_base_url
from bot.handlers.telegram.parse import to_inbound
from bot.handlers.telegram.webhook import SECRET_HEADER, telegram_routes
from bot.messages import Outbound
from bot.owner import Approvals
from bot.web import create_web_app
from storage import contacts, conversations, cursors, drafts, outbox
from tests.conftest import london
from tests.fakes.server import serve
from tests.support.waiting import eventually
from tests.fakes.telegram_api import TOKEN, FakeBotApi, blocked, html_problem, too_many_requests
from tests.payloads.load import payload
from tests.test_durability_processes import free_port
from tests.support.apps import from_ports
from tests.support.fixtures import AppWith

SATURDAY = "We're open 9am–5pm on Saturday 28 November"


@pytest.fixture
async def fake() -> AsyncIterator[tuple[FakeBotApi, str]]:
    api = FakeBotApi()
    async with serve(api.app()) as url:
        yield api, url


def make_channel(app: App, url: str, **options) -> TelegramChannel:
    request = options.pop("request", None)
    bot = Bot(TOKEN, base_url=api_base_url(url), request=request)
    return TelegramChannel(bot, app.db, clock=app.clock, poll_timeout=1, **options)


@pytest.fixture
async def channel(app: App, fake: tuple[FakeBotApi, str]) -> AsyncIterator[TelegramChannel]:
    made = make_channel(app, fake[1])
    yield made
    await made.stop()


async def poll_through(api: FakeBotApi, channel: TelegramChannel, app: App, last_update_id: int) -> None:
    """Start polling and wait until Telegram has been told every update up to `last_update_id` is done."""
    await channel.start(app.router.handle)
    await eventually(lambda: api.confirmed_offset > last_update_id)


async def test_private_question_gets_its_templated_answer_in_reply(app: App, app_with: AppWith, fake, channel) -> None:
    app = await app_with(app, channel)
    api, _ = fake
    api.push(payload("telegram", "private_text"))
    await poll_through(api, channel, app, 815200101)
    await app.worker.drain()
    assert len(api.sent) == 1
    sent = api.sent[0]
    assert SATURDAY in sent["text"] and sent["parse_mode"] == "HTML"
    assert int(sent["chat_id"]) == 123456789 and sent["reply_parameters"]["message_id"] == 41
    assert "deleteWebhook" in api.calls  # polling needs the webhook out of the way


async def test_group_message_is_answered_only_when_it_mentions_the_bot(
        app: App, app_with: AppWith, fake, channel) -> None:
    app = await app_with(app, channel)
    api, _ = fake
    api.push(payload("telegram", "group_no_mention"))
    api.push(payload("telegram", "group_mention"))
    await poll_through(api, channel, app, 815200102)
    await app.worker.drain()
    assert [(int(s["chat_id"]), s["reply_parameters"]["message_id"]) for s in api.sent] == [(-1001987654321, 1207)]
    assert SATURDAY in api.sent[0]["text"]


async def test_button_press_is_answered_at_once_and_reaches_the_router(
        app: App, app_with: AppWith, fake, channel) -> None:
    app = await app_with(app, channel)
    api, _ = fake
    api.push(payload("telegram", "callback_query"))
    await poll_through(api, channel, app, 815200106)
    assert api.answered == ["4382bfdwdsb323b2d9"]
    async with app.db.session() as session:
        assert await conversations.message_exists(session, "telegram", "cb:4382bfdwdsb323b2d9")


async def test_restart_resumes_after_the_saved_offset_and_never_answers_twice(
        app: App, app_with: AppWith, fake) -> None:
    api, url = fake
    first = make_channel(app, url)
    app = await app_with(app, first)
    api.push(payload("telegram", "private_text"))
    await poll_through(api, first, app, 815200101)
    await first.stop()
    async with app.db.session() as session:
        assert await cursors.get(session, OFFSET_CURSOR) == "815200102"
    # Telegram delivers the same message again under a new update id (as after a crash mid-request).
    again = payload("telegram", "private_text") | {"update_id": 815200102}
    api.push(again)
    api.confirmed_offset = 0
    second = make_channel(app, url)
    app = await app_with(app, second)
    await poll_through(api, second, app, 815200102)
    await app.worker.drain()
    await second.stop()
    assert len(api.sent) == 1


async def test_flood_control_429_is_retried_after_the_delay(app: App, app_with: AppWith, fake, channel) -> None:
    app = await app_with(app, channel)
    api, _ = fake
    api.fail_next("sendMessage", *too_many_requests(7))
    api.push(payload("telegram", "private_text"))
    await poll_through(api, channel, app, 815200101)
    await app.worker.drain()
    assert api.sent == []
    app.clock.advance(timedelta(seconds=6))
    await app.worker.drain()
    assert api.sent == []
    app.clock.advance(timedelta(seconds=1))
    await app.worker.drain()
    assert len(api.sent) == 1 and SATURDAY in api.sent[0]["text"]


async def test_customer_who_blocked_the_bot_is_marked_unreachable_not_retried(
        app: App, app_with: AppWith, fake, channel) -> None:
    app = await app_with(app, channel)
    api, _ = fake
    api.fail_next("sendMessage", *blocked())
    api.push(payload("telegram", "private_text"))
    await poll_through(api, channel, app, 815200101)
    await app.worker.drain()
    async with app.db.session() as session:
        assert await contacts.is_unreachable(session, "telegram", "123456789")
        assert [item.status for item in await outbox.items(session, kind="reply")] == ["failed"]


async def test_send_that_times_out_after_sending_is_not_repeated(app: App, app_with: AppWith, fake) -> None:
    api, url = fake
    api.delay["sendMessage"] = 0.5
    channel = make_channel(app, url, request=HTTPXRequest(read_timeout=0.1))
    app = await app_with(app, channel)
    await app.router.handle(__import__("bot.handlers.telegram.parse", fromlist=["to_inbound"]).to_inbound(
        payload("telegram", "private_text"), "cornerbean_bot", 7000001))
    await app.worker.drain()
    async with app.db.session() as session:
        assert [item.status for item in await outbox.items(session, kind="reply")] == ["uncertain"]
    await eventually(lambda: len(api.sent) == 1)
    await app.worker.drain()
    assert len(api.sent) == 1
    await channel.stop()


async def test_a_reply_whose_connection_drops_after_sending_is_uncertain_and_not_repeated(
        app: App, app_with: AppWith, fake, channel) -> None:
    app = await app_with(app, channel)
    api, _ = fake
    api.drop_next("sendMessage")
    await app.router.handle(to_inbound(payload("telegram", "private_text"), "cornerbean_bot", 7000001))
    await app.worker.drain()
    app.clock.advance(timedelta(hours=2))  # long past any retry
    await app.worker.drain()
    assert len(api.sent) == 1 and SATURDAY in api.sent[0]["text"]
    async with app.db.session() as session:
        (row,) = await outbox.items(session, kind="reply")
    assert row.status == "uncertain" and "may have arrived" in (row.last_error or "")


async def test_a_reply_that_could_not_connect_is_sent_on_the_next_try(app: App, app_with: AppWith, fake) -> None:
    api, url = fake
    closed = free_port()
    channel = make_channel(app, f"http://127.0.0.1:{closed}")
    app = await app_with(app, channel)
    await app.router.handle(to_inbound(payload("telegram", "private_text"), "cornerbean_bot", 7000001))
    await app.worker.drain()
    await channel.stop()
    async with app.db.session() as session:
        (row,) = await outbox.items(session, kind="reply")
    assert row.status == "pending" and row.attempts == 1  # never reached Telegram: tried again
    working = make_channel(app, url)
    app = await app_with(app, working)
    app.clock.advance(timedelta(seconds=2))
    await app.worker.drain()
    await working.stop()
    assert len(api.sent) == 1


async def test_five_thousand_character_reply_arrives_as_two_messages(
        app: App, app_with: AppWith, fake, channel) -> None:
    app = await app_with(app, channel)
    api, _ = fake
    text = ("Our seasonal menu. " * 264)[:5000]
    reference = await channel.send(Outbound("telegram", "123456789", text, "reply:long", reply_to="123456789:41"))
    assert len(api.sent) == 2 and all(len(s["text"]) <= 4096 for s in api.sent)
    assert " ".join(s["text"] for s in api.sent).split() == text.split()
    assert reference == "123456789:500"


async def test_long_formatted_reply_arrives_as_messages_telegram_accepts(
        app: App, app_with: AppWith, fake, channel) -> None:
    app = await app_with(app, channel)
    api, _ = fake
    text = ('<b>Winter menu</b>\n<i>' + "Soup &amp; bread, warm cakes. " * 180
            + '</i><a href="https://cornerbean.example">more</a>')
    await channel.send(Outbound("telegram", "123456789", text, "reply:formatted"))
    assert len(api.sent) == 2
    assert api.sent[0]["text"].endswith("</i>") and api.sent[1]["text"].startswith("<i>")
    assert "".join(s["text"] for s in api.sent).count("&amp;") == 180


async def test_spent_chat_budget_defers_the_rest_of_a_long_reply_without_resending(app: App, fake) -> None:
    api, url = fake
    now = [0.0]
    budget = SendBudget(TokenBuckets(1.0, 1.0, lambda: now[0]), TokenBuckets(30.0, 30.0, lambda: now[0]))
    channel = make_channel(app, url, budget=budget, max_inline_wait=0.0)
    outbound = Outbound("telegram", "123456789", "x " * 2500, "reply:budget")
    with pytest.raises(RateLimited) as raised:
        await channel.send(outbound)
    assert raised.value.retry_after == pytest.approx(1.0) and len(api.sent) == 1
    now[0] += 1.0
    await channel.send(outbound)
    assert len(api.sent) == 2
    await channel.stop()


@pytest.fixture
async def webhook_app(app: App, app_with: AppWith, fake) -> App:
    _, url = fake
    settings = app.settings.model_copy(update={"telegram_bot_token": SecretStr(TOKEN), "telegram_api_url": url,
                                               "telegram_webhook_secret": SecretStr("s3cret-token")})
    return await app_with(app, settings=settings)


async def post_update(web_app: App, body: dict, secret: str) -> httpx.Response:
    asgi = create_web_app(web_app, [from_ports(telegram_routes)])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(asgi), base_url="http://testserver") as client:
        return await client.post("/telegram/webhook", json=body, headers={SECRET_HEADER: secret})


async def test_webhook_with_a_wrong_secret_is_refused_and_not_processed(webhook_app: App, fake) -> None:
    api, _ = fake
    response = await post_update(webhook_app, payload("telegram", "private_text"), "guess")
    assert response.status_code == 403
    async with webhook_app.db.session() as session:
        assert not await conversations.message_exists(session, "telegram", "123456789:41")
    assert api.calls == []


async def test_webhook_retry_of_the_same_update_is_answered_once(
        webhook_app: App, app_with: AppWith, fake, channel) -> None:
    webhook_app = await app_with(webhook_app, channel)
    api, _ = fake
    routes = create_web_app(webhook_app, [from_ports(telegram_routes)])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(routes), base_url="http://testserver") as client:
        for _ in range(2):
            response = await client.post("/telegram/webhook", json=payload("telegram", "private_text"),
                                         headers={SECRET_HEADER: "s3cret-token"})
            assert response.status_code == 200
    await webhook_app.worker.drain()
    assert len(api.sent) == 1 and SATURDAY in api.sent[0]["text"]


async def test_webhook_refuses_a_body_that_is_not_json(webhook_app: App) -> None:
    asgi = create_web_app(webhook_app, [from_ports(telegram_routes)])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(asgi), base_url="http://testserver") as client:
        response = await client.post("/telegram/webhook", content=b"{not json",
                                     headers={SECRET_HEADER: "s3cret-token"})
    assert response.status_code == 400


async def test_webhook_mode_registers_the_webhook_with_its_secret(app: App, fake) -> None:
    api, url = fake
    channel = make_channel(app, url, webhook_url="https://cafe.example.org/telegram/webhook",
                           webhook_secret="s3cret-token")
    await channel.start(app.router.handle)
    assert api.webhook["url"] == "https://cafe.example.org/telegram/webhook"
    assert api.webhook["secret_token"] == "s3cret-token"
    assert "getUpdates" not in api.calls
    await channel.stop()


async def test_the_owners_own_words_reach_telegram_as_html_it_accepts(
        app: App, app_with: AppWith, fake, channel) -> None:
    app = await app_with(app, channel)
    api, _ = fake
    update = payload("telegram", "private_text")
    update["message"]["text"] = "I want a refund, the fish & chips were cold"
    api.push(update)
    await poll_through(api, channel, app, update["update_id"])
    await app.worker.drain()
    assert [sent["text"] for sent in api.sent] == ["Thanks, Priya! Sam will reply to you personally soon."]
    api.sent.clear()  # the refund itself waits for the owner
    approvals = Approvals(app.db, app.clock, None)
    (waiting,) = await approvals.waiting()
    edited = await approvals.send(waiting.draft_id, "console", "Sorry! Fish & chips <3 are on us next time")
    assert edited.draft is not None
    await approvals.reply(edited.draft.conversation_id, "console", "P.S. bring a friend > bring nobody")
    await app.worker.drain()

    assert [html_problem(sent["text"]) for sent in api.sent] == [None, None]
    assert [html.unescape(sent["text"]) for sent in api.sent] == ["Sorry! Fish & chips <3 are on us next time",
                                                                  "P.S. bring a friend > bring nobody"]


async def test_approving_a_draft_unchanged_sends_it_as_drafted_not_escaped_twice(
        app: App, app_with: AppWith, fake, channel) -> None:
    app = await app_with(app, channel)
    api, _ = fake
    update = payload("telegram", "private_text")
    update["message"]["text"] = "can I get a refund for my coffee & cake?"
    api.push(update)
    await poll_through(api, channel, app, update["update_id"])
    await app.worker.drain()
    api.sent.clear()  # the acknowledgement
    approvals = Approvals(app.db, app.clock, None)
    (waiting,) = await approvals.waiting()
    async with app.db.session() as session:
        view = await drafts.draft_view(session, waiting.draft_id)
    assert view is not None
    # The edit box shows the draft as plain words; sending those back unchanged is an approval.
    outcome = await approvals.send(waiting.draft_id, "console", html.unescape(view.draft.text))
    await app.worker.drain()
    assert outcome.message == "sent by console" and api.sent[0]["text"] == view.draft.text
    assert html_problem(api.sent[0]["text"]) is None


async def test_an_automatic_reply_leaves_when_it_is_queued_not_at_the_next_idle_poll(
        app: App, app_with: AppWith, fake, channel) -> None:
    app = await app_with(app, channel)
    api, _ = fake
    stop = asyncio.Event()
    # An idle poll of an hour: the reply can only arrive because queueing it woke the worker.
    app.worker.wake.set()  # cleared by the worker when its first round finds nothing: then it is idle
    worker = asyncio.create_task(app.worker.run_forever(stop, idle_seconds=3600))
    try:
        await eventually(lambda: not app.worker.wake.is_set(), timeout=10)
        api.push(payload("telegram", "private_text"))
        await channel.start(app.router.handle)
        await eventually(lambda: len(api.sent) == 1, timeout=20)
    finally:
        stop.set()
        await worker
    assert SATURDAY in api.sent[0]["text"]


def channel_press(update_id: int, user_id: int, name: str, event_id: int) -> dict:
    """A Going press under an invite the bot posted in the café's public Telegram channel."""
    press = copy.deepcopy(payload("telegram", "callback_query"))
    press["update_id"] = update_id
    query = press["callback_query"]
    query["id"] = f"press-{user_id}"
    query["from"] = {"id": user_id, "is_bot": False, "first_name": name}
    query["message"]["chat"] = {"id": -1001987654321, "title": "Corner Bean Café", "username": "cornerbeancafe",
                                "type": "channel"}
    query["data"] = f"rsvp:{event_id}:going"
    return press


async def test_rsvp_presses_in_a_channel_are_confirmed_privately_one_conversation_each(
        app: App, app_with: AppWith, fake, channel) -> None:
    app = await app_with(app, channel)
    api, _ = fake
    assert app.events is not None
    event = await app.events.create_event(EventSpec("Winter coffee tasting", london(2026, 12, 5, 18, 30), capacity=1))
    api.push(channel_press(900001, 111, "Ada", event.id))
    api.push(channel_press(900002, 222, "Grace", event.id))
    await poll_through(api, channel, app, 900002)
    await app.worker.drain()

    # Nothing is posted into the public channel; each person hears privately, and on the button.
    assert sorted(int(sent["chat_id"]) for sent in api.sent) == [111, 222]
    assert api.answered == ["press-111", "press-222"]
    assert api.notices[0] is not None and api.notices[0].startswith("You're in, Ada!")
    assert api.notices[1] is not None and "waiting list" in api.notices[1]
    async with app.db.session() as session:
        ada = await conversations.find_conversation(session, "telegram", "111")
        grace = await conversations.find_conversation(session, "telegram", "222")
        public = await conversations.find_conversation(session, "telegram", "-1001987654321")
    assert ada is not None and grace is not None and ada.id != grace.id and public is None
