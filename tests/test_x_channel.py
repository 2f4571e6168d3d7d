"""tweepy's AsyncClient against a fake X API on 127.0.0.1, signed with OAuth 1.0a for api.twitter.com."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from io import StringIO

import pytest
from tweepy.asynchronous import AsyncClient

from bot.app import App
from bot.errors import ChannelError, RateLimited
from bot.handlers.shell import ConsoleDesk
from bot.handlers.x.channel import MENTIONS_CURSOR, XChannel
from bot.messages import Action, Decision, Draft, Intent
from bot.profile.model import XChannelConfig
from storage import contacts, conversations, cursors, drafts, outbox
from tests.fakes.server import serve
from tests.support.waiting import eventually
from tests.fakes.x_api import KEYS, FakeXApi
from tests.support.fixtures import AppWith

PRIYA = {"id": "2244994945", "name": "Priya Shah", "username": "priyashah"}
TOM = {"id": "3300000000000000003", "name": "Tom Baker", "username": "tombaker"}
SATURDAY = "Saturday"


@pytest.fixture
async def fake(app: App) -> AsyncIterator[tuple[FakeXApi, str]]:
    api = FakeXApi(app.clock)
    async with serve(api.app()) as url:
        yield api, url


def make_x(app: App, url: str, consumer_secret: str = KEYS["consumer_secret"], **config: int) -> XChannel:
    client = AsyncClient(consumer_key=KEYS["consumer_key"], consumer_secret=consumer_secret,
                         access_token=KEYS["access_token"], access_token_secret=KEYS["access_secret"],
                         return_type=dict)
    return XChannel(client, app.db, app.clock, XChannelConfig(**config), api_url=url)


@pytest.fixture
async def x(app: App, fake) -> AsyncIterator[XChannel]:
    channel = make_x(app, fake[1])
    yield channel
    await channel.stop()


Arrival = tuple[int, dict[str, str], str]


async def first_start_then(app: App, x: XChannel, api: FakeXApi, mentions: tuple[Arrival, ...] = (),
                           dms: tuple[Arrival, ...] = ()) -> None:
    """The bot starts (noting where the timelines are), customers write, the bot reads and answers."""
    await x.poll_once(app.router.handle)
    for post_id, who, text in mentions:
        api.mention(post_id, who, text)
    for event_id, who, text in dms:
        api.dm(event_id, who, text)
    await x.poll_once(app.router.handle)
    await app.worker.drain()


async def test_new_mention_is_answered_in_reply_and_older_ones_are_left_alone(
        app: App, app_with: AppWith, fake, x) -> None:
    app = await app_with(app, x)
    api, _ = fake
    api.mention(1861000000000000100, TOM, "@cornerbeancafe do you have wifi?")
    assert await x.poll_once(app.router.handle) == 0  # first start: only notes where the timeline is
    api.mention(1861000000000000300, PRIYA, "@cornerbeancafe what time do you open on saturday?")
    assert await x.poll_once(app.router.handle) == 1
    await app.worker.drain()
    assert len(api.posts) == 1
    assert api.posts[0]["reply"] == {"in_reply_to_tweet_id": "1861000000000000300"}
    assert SATURDAY in api.posts[0]["text"]


async def test_after_a_restart_no_mention_is_answered_twice(app: App, app_with: AppWith, fake, x) -> None:
    app = await app_with(app, x)
    api, url = fake
    await first_start_then(app, x, api, mentions=(
        (1861000000000000300, PRIYA, "@cornerbeancafe what time do you open on saturday?"),))
    await x.stop()
    restarted = make_x(app, url)
    app = await app_with(app, restarted)
    assert await restarted.poll_once(app.router.handle) == 0
    api.mention(1861000000000000400, TOM, "@cornerbeancafe are you open on sunday?")
    assert await restarted.poll_once(app.router.handle) == 1
    await app.worker.drain()
    await restarted.stop()
    assert [p["reply"]["in_reply_to_tweet_id"] for p in api.posts] == ["1861000000000000300", "1861000000000000400"]
    async with app.db.session() as session:
        assert await cursors.get(session, MENTIONS_CURSOR) == "1861000000000000400"


async def test_mentions_beyond_one_page_are_all_answered(app: App, app_with: AppWith, fake, x) -> None:
    app = await app_with(app, x)
    api, _ = fake
    api.page_size = 2
    api.mention(1861000000000000050, TOM, "@cornerbeancafe hi")
    await x.poll_once(app.router.handle)
    for n, who in enumerate([PRIYA, TOM, PRIYA, TOM, PRIYA], start=1):
        api.mention(1861000000000000300 + n, who, f"@cornerbeancafe what time do you open on saturday? ({n})")
    assert await x.poll_once(app.router.handle) == 5
    assert api.calls.count("GET /2/users/{id}/mentions") == 1 + 3


async def test_rate_limited_poll_waits_for_the_reset(app: App, app_with: AppWith, fake, x) -> None:
    app = await app_with(app, x)
    api, _ = fake
    await x.poll_once(app.router.handle)
    api.mention(1861000000000000300, PRIYA, "@cornerbeancafe what time do you open on saturday?")
    api.rate_limit_next("/2/users/{id}/mentions", timedelta(minutes=5))
    with pytest.raises(RateLimited) as raised:
        await x.poll_once(app.router.handle)
    assert raised.value.retry_after == pytest.approx(300, abs=1)
    calls = len(api.calls)
    app.clock.advance(timedelta(minutes=4))
    assert await x.poll_once(app.router.handle) == 0 and len(api.calls) == calls  # no call before the reset
    app.clock.advance(timedelta(minutes=1, seconds=1))
    assert await x.poll_once(app.router.handle) == 1


async def test_spent_write_budget_turns_the_reply_into_a_draft_for_the_owner(app: App, app_with: AppWith, fake) -> None:
    api, url = fake
    x = make_x(app, url, write_budget=1, budget_window_minutes=15)
    out = StringIO()
    app = await app_with(app, x, owner=ConsoleDesk(out))
    await first_start_then(app, x, api, mentions=(
        (1861000000000000300, PRIYA, "@cornerbeancafe what time do you open on saturday?"),
        (1861000000000000301, TOM, "@cornerbeancafe what time do you open on sunday?")))
    assert [p["reply"]["in_reply_to_tweet_id"] for p in api.posts] == ["1861000000000000300"]
    assert "X write budget spent" in out.getvalue() and "Tom Baker" in out.getvalue()
    async with app.db.session() as session:
        held = await drafts.pending_drafts(session)
    assert len(held) == 1 and any("write budget" in reason for reason in held[0].reasons)
    app.clock.advance(timedelta(minutes=15))
    outcome = await app.approvals.send(held[0].id, "U0123SAM")
    assert outcome.done
    await app.worker.drain()
    assert [p["reply"]["in_reply_to_tweet_id"] for p in api.posts] == ["1861000000000000300", "1861000000000000301"]
    await x.stop()


async def test_approved_reply_waits_for_the_budget_instead_of_being_held_again(
        app: App, app_with: AppWith, fake) -> None:
    api, url = fake
    x = make_x(app, url, write_budget=1, budget_window_minutes=15)
    app = await app_with(app, x, owner=ConsoleDesk(StringIO()))
    await first_start_then(app, x, api, mentions=(
        (1861000000000000300, PRIYA, "@cornerbeancafe what time do you open on saturday?"),
        (1861000000000000301, TOM, "@cornerbeancafe what time do you open on sunday?")))
    async with app.db.session() as session:
        held = (await drafts.pending_drafts(session))[0]
    await app.approvals.send(held.id, "U0123SAM")
    await app.worker.drain()
    async with app.db.session() as session:
        waiting = await outbox.get_item(session, f"reply:{held.id}")
    assert waiting is not None and waiting.status == "pending" and len(api.posts) == 1
    app.clock.advance(timedelta(minutes=15))
    await app.worker.drain()
    assert len(api.posts) == 2
    await x.stop()


async def test_direct_message_is_answered_by_direct_message(app: App, app_with: AppWith, fake, x) -> None:
    app = await app_with(app, x)
    api, _ = fake
    await x.poll_once(app.router.handle)
    api.dm(1861000000000009002, PRIYA, "what time do you open on saturday?")
    assert await x.poll_once(app.router.handle) == 1
    assert await x.poll_once(app.router.handle) == 0
    await app.worker.drain()
    assert len(api.sent_dms) == 1 and api.sent_dms[0]["participant_id"] == PRIYA["id"]
    assert SATURDAY in api.sent_dms[0]["text"]


async def test_requests_signed_with_the_wrong_secret_are_refused(app: App, fake) -> None:
    api, url = fake
    x = make_x(app, url, consumer_secret="not-the-secret")
    with pytest.raises(ChannelError):
        await x.poll_once(app.router.handle)
    await x.stop()


async def test_polling_runs_inside_the_channel_once_started(app: App, app_with: AppWith, fake, x) -> None:
    app = await app_with(app, x)
    api, _ = fake
    await x.start(app.router.handle)
    await eventually(lambda: "GET /2/dm_events" in api.calls)
    async with app.db.session() as session:
        assert await cursors.get(session, MENTIONS_CURSOR) == "0"


LONG_REPLY = "Thanks for asking! " + "We bake everything in house every morning. " * 8


async def _mention_conversation(app: App, api: FakeXApi, x: XChannel) -> int:
    await first_start_then(app, x, api, mentions=(
        (1861000000000000300, PRIYA, "@cornerbeancafe what time do you open on saturday?"),))
    async with app.db.session() as session:
        (answered,) = await outbox.items(session, kind="reply")
    return int(answered.payload["conversation_id"])


async def test_an_owner_reply_too_long_for_x_fails_at_once_and_is_never_retried(
        app: App, app_with: AppWith, fake, x) -> None:
    api, _ = fake
    out = StringIO()
    app = await app_with(app, x, owner=ConsoleDesk(out))
    conversation_id = await _mention_conversation(app, api, x)
    await app.approvals.reply(conversation_id, "U0123SAM", LONG_REPLY, reply_key="long")
    await app.worker.drain()
    app.clock.advance(timedelta(hours=2))
    await app.worker.drain()
    async with app.db.session() as session:
        row = await outbox.get_item(session, "owner-reply:long")
    assert row is not None and row.status == "failed" and row.attempts == 1
    assert row.last_error == "reply is longer than X's 280 characters"
    assert len(api.posts) == 1  # only the first, automatic answer reached X
    assert ("Not sent to the customer: reply is longer than X's 280 characters. Shorten it and send again."
            in out.getvalue())


async def test_an_automatic_reply_too_long_for_x_is_held_for_the_owner(app: App, app_with: AppWith, fake, x) -> None:
    api, _ = fake
    out = StringIO()
    app = await app_with(app, x, owner=ConsoleDesk(out))
    conversation_id = await _mention_conversation(app, api, x)
    async with app.db.session() as session:  # an automatic reply queued with a text X will not take
        first = (await outbox.items(session, kind="reply"))[0]
        record = await drafts.add_draft(
            session, message_id=(await drafts.get_draft(session, first.draft_id)).message_id,
            conversation_id=conversation_id, intent=Intent("hours", 0.9), decision=Decision(Action.AUTO, ()),
            draft=Draft(LONG_REPLY, "hours"), status="auto", now=app.clock.now())
        await outbox.enqueue(session, key=f"reply:{record.id}", kind="reply", platform="x",
                             payload={**first.payload, "text": LONG_REPLY}, due_at=app.clock.now(),
                             now=app.clock.now(), draft_id=record.id)
    await app.worker.drain()
    async with app.db.session() as session:
        held = await drafts.get_draft(session, record.id)
        retried = await outbox.items(session, kind="reply", status="pending")
    assert held is not None and held.status == "pending"
    assert held.reasons[-1] == "reply is longer than X's 280 characters"
    assert retried == [] and len(api.posts) == 1
    assert "longer than X's 280 characters" in out.getvalue()


async def test_a_second_customer_asking_the_same_is_held_for_the_owner_not_written_off(
        app: App, app_with: AppWith, fake, x) -> None:
    api, _ = fake
    out = StringIO()
    app = await app_with(app, x, owner=ConsoleDesk(out))
    await first_start_then(app, x, api, mentions=(
        (1861000000000000300, PRIYA, "@cornerbeancafe what time do you open on saturday?"),
        (1861000000000000301, TOM, "@cornerbeancafe what time do you open on saturday?")))
    async with app.db.session() as session:
        assert not await contacts.is_unreachable(session, "x", TOM["id"])
        (held,) = await drafts.pending_drafts(session)
        replies = await outbox.items(session, kind="reply")
    assert len(api.posts) == 1 and api.posts[0]["reply"] == {"in_reply_to_tweet_id": "1861000000000000300"}
    assert held.reasons[-1] == "X refuses a reply identical to one it already posted; reword it"
    assert [row.status for row in replies] == ["sent", "cancelled"]  # nothing retried, nothing lost
    assert "identical to one it already posted" in out.getvalue() and "unreachable" not in out.getvalue()
    await app.approvals.send(held.id, "U0123SAM", edited_text=f"Hi Tom! {held.text}")
    await app.worker.drain()
    assert [post["reply"]["in_reply_to_tweet_id"] for post in api.posts] == ["1861000000000000300",
                                                                            "1861000000000000301"]


async def test_an_owner_reply_x_refuses_as_a_duplicate_tells_the_owner_to_reword_it(
        app: App, app_with: AppWith, fake, x) -> None:
    api, _ = fake
    out = StringIO()
    app = await app_with(app, x, owner=ConsoleDesk(out))
    conversation_id = await _mention_conversation(app, api, x)
    await app.approvals.reply(conversation_id, "U0123SAM", api.posts[0]["text"], reply_key="same")
    await app.worker.drain()
    async with app.db.session() as session:
        row = await outbox.get_item(session, "owner-reply:same")
        assert not await contacts.is_unreachable(session, "x", PRIYA["id"])
    assert row is not None and row.status == "failed" and row.attempts == 1
    assert ("Not sent to the customer: X refuses a reply identical to one it already posted; reword it. "
            "Reword it and send again.") in out.getvalue()


PRIYA_WORK = {"id": "2244994999", "name": "Priya at Shah Studio", "username": "shahstudio"}


async def _conversation_of(app: App, user: dict[str, str]) -> int:
    async with app.db.session() as session:
        found = await conversations.find_conversation(session, "x", f"dm:1500000000000000001-{user['id']}")
    assert found is not None
    return found.id


async def test_a_person_with_two_linked_x_accounts_is_answered_on_the_one_they_wrote_from(
        app: App, app_with: AppWith, fake, x) -> None:
    api, _ = fake
    app = await app_with(app, x, owner=ConsoleDesk(StringIO()))
    await first_start_then(app, x, api, dms=(
        (1861000000000009002, PRIYA, "hello from my own account"),
        (1861000000000009003, PRIYA_WORK, "my coffee was cold and the staff were rude, I want a refund")))
    async with app.db.session() as session:
        personal = await contacts.find_contact(session, "x:@priyashah")
        work = await contacts.find_contact(session, "x:@shahstudio")
        assert personal is not None and work is not None
        await contacts.link(session, personal.id, work.id)
        held = (await drafts.pending_drafts(session))[-1]  # the refund complaint waits for the owner
        view = await drafts.draft_view(session, held.id)
    assert view is not None and view.customer_text.endswith("I want a refund")
    assert view.recipient_id == PRIYA_WORK["id"] and view.customer_handle == "shahstudio"

    await app.approvals.reply(await _conversation_of(app, PRIYA_WORK), "U0123SAM", "Yes, Friday is free.", "work")
    await app.approvals.reply(await _conversation_of(app, PRIYA), "U0123SAM", "Hi Priya!", "personal")
    await app.worker.drain()
    to = {dm["text"]: dm["participant_id"] for dm in api.sent_dms}
    assert to["Yes, Friday is free."] == PRIYA_WORK["id"] and to["Hi Priya!"] == PRIYA["id"]
