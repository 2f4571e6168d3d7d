"""X, the transport: tweepy's AsyncClient polling mentions and DMs and sending replies, within budgets.

Cheap API tiers allow few calls, so everything is counted: reads (each poll costs one call per
timeline) and writes (each reply) have their own budget per window from the business profile
(channels.x), tightened by X's own x-rate-limit headers. A 429 stops that kind of call until X's
reset time. When the write budget is spent, `send` raises OverBudget: the outbox then holds an
automatic reply for the owner (who sees why) instead of failing.

Positions live in the database (`x:mentions_since_id`, `x:dm_last_id`), so a restart neither misses
nor repeats. On the very first start the newest mention and DM are only noted, not answered: a
business connecting the bot does not want months-old mentions answered. A post or DM that cannot be
read or handled is recorded as failed and the owner told (bot/handlers/x/intake.py); the cursor moves
past it like any other.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import aiohttp
import tweepy
from pydantic import SecretStr
from tweepy.asynchronous import AsyncClient

from bot.clock import Clock
from bot.ports import Deliver, HandlerPorts
from bot.profile.model import XChannelConfig
from bot.errors import (
    ChannelError,
    DeliveryUncertain,
    DuplicateContent,
    OverBudget,
    RateLimited,
    SocialdeskError,
    TooLong,
    Unreachable,
)
from bot.handlers.ratelimit import WindowBudget
from bot.handlers.x.intake import XIntake
from bot.handlers.x.parse import (DM_FIELDS, PLATFORM, TWEET_FIELDS, USER_FIELDS, PageRead, item_number, numeric_id,
                                  read_page, reply_request)
from bot.handlers.x.session import make_session
from bot.messages import Outbound
from bot.platforms import fits, too_long_reason
from storage import cursors
from storage.engine import Database

log = logging.getLogger(__name__)
MENTIONS_CURSOR, DMS_CURSOR = "x:mentions_since_id", "x:dm_last_id"
MAX_PAGES = 5
Page = dict[str, Any]


class XChannel:
    platform = PLATFORM

    def __init__(self, client: AsyncClient, db: Database, clock: Clock, config: XChannelConfig, *,
                 api_url: str | None = None) -> None:
        self._client, self._db, self._clock, self._config = client, db, clock, config
        self._api_url = api_url
        window = timedelta(minutes=config.budget_window_minutes)
        self.reads = WindowBudget(config.read_budget, window, clock)
        self.writes = WindowBudget(config.write_budget, window, clock)
        self._me: str | None = None
        self._task: asyncio.Task[None] | None = None
        self.intake = XIntake(db, clock)

    async def start(self, deliver: Deliver) -> None:
        self._task = asyncio.create_task(self._loop(deliver), name="x-polling")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._client.session is not None:
            await self._client.session.close()
            self._client.session = None

    async def _loop(self, deliver: Deliver) -> None:
        while True:
            try:
                await self.poll_once(deliver)
            except SocialdeskError as exc:
                log.warning("X poll failed", extra={"error": str(exc)})
            except Exception:
                log.exception("X poll crashed")
            await asyncio.sleep(self._config.poll_seconds)

    async def poll_once(self, deliver: Deliver) -> int:
        """Read new mentions, then new DMs, and deliver them oldest first. Returns how many were
        delivered; does nothing while the read budget is spent or X asked us to wait."""
        if self.reads.seconds_until_available() > 0:
            return 0
        me = await self._my_id()
        return await self._poll_mentions(deliver, me) + await self._poll_dms(deliver, me)

    async def _my_id(self) -> str:
        if self._me is None:
            found = await self._read(lambda: self._client.get_me(user_auth=True))
            self._me = str(found["data"]["id"])
        return self._me

    async def _poll_mentions(self, deliver: Deliver, me: str) -> int:
        since = await self._cursor(MENTIONS_CURSOR)
        if since is None:  # first start: note where the timeline is, answer only what comes after
            page = await self._mentions_page(me, None, None, max_results=5)
            await self._save(MENTIONS_CURSOR, (page.get("meta") or {}).get("newest_id") or "0")
            return 0
        since_id = None if since == "0" else since
        pages = [await self._mentions_page(me, since_id, None)]
        while (token := (pages[-1].get("meta") or {}).get("next_token")) and len(pages) < MAX_PAGES:
            pages.append(await self._mentions_page(me, since_id, token))
        reads = [read_page(page, me, direct=False) for page in pages]
        delivered = await self.intake.take(PageRead(sorted((i for r in reads for i in r.inbounds), key=numeric_id),
                                                    [item for r in reads for item in r.unreadable]), deliver)
        newest = [str(p["meta"]["newest_id"]) for p in pages if isinstance(p.get("meta"), dict)
                  and str(p["meta"].get("newest_id") or "").isdigit()]
        if newest:  # past every post on the pages, answered or recorded as failed
            await self._save(MENTIONS_CURSOR, max(newest, key=int))
        return delivered

    async def _mentions_page(self, me: str, since_id: str | None, token: str | None, max_results: int = 100) -> Page:
        options = {key: value for key, value in (("since_id", since_id), ("pagination_token", token)) if value}
        return await self._read(lambda: self._client.get_users_mentions(
            me, max_results=max_results, expansions=["author_id"], tweet_fields=list(TWEET_FIELDS),
            user_fields=list(USER_FIELDS), user_auth=True, **options))

    async def _poll_dms(self, deliver: Deliver, me: str) -> int:
        last = await self._cursor(DMS_CURSOR)
        page = await self._read(lambda: self._client.get_direct_message_events(
            event_types="MessageCreate", dm_event_fields=list(DM_FIELDS), expansions=["sender_id"],
            user_fields=list(USER_FIELDS), max_results=100, user_auth=True))
        data = page.get("data") if isinstance(page.get("data"), list) else []
        newest = max((n for n in map(item_number, data) if n is not None), default=0)
        if last is None:
            await self._save(DMS_CURSOR, str(newest))
            return 0
        read = read_page(page, me, direct=True)
        fresh = PageRead([i for i in read.inbounds if numeric_id(i) > int(last)],
                         [u for u in read.unreadable if u.item_id is None or int(u.item_id) > int(last)])
        delivered = await self.intake.take(fresh, deliver)
        if newest > int(last):
            await self._save(DMS_CURSOR, str(newest))
        return delivered

    async def send(self, outbound: Outbound) -> str:
        request = reply_request(outbound)
        if not fits(PLATFORM, request.text):
            raise TooLong(too_long_reason(PLATFORM))
        wait = self.writes.seconds_until_available()
        if wait > 0:
            raise OverBudget(f"X write budget spent ({self._config.write_budget} replies per "
                             f"{self._config.budget_window_minutes} min); it resets at "
                             f"{self.writes.resets_at:%H:%M} UTC", wait)
        if request.is_dm:
            sent = await self._call(self.writes, True, lambda: self._client.create_direct_message(
                participant_id=request.dm_participant_id, text=request.text, user_auth=True))
            return f"dm:{sent['data']['dm_event_id']}"
        sent = await self._call(self.writes, True, lambda: self._client.create_tweet(
            text=request.text, in_reply_to_tweet_id=request.in_reply_to_tweet_id, user_auth=True))
        return str(sent["data"]["id"])

    async def _read(self, call: Callable[[], Awaitable[Any]]) -> Page:
        wait = self.reads.seconds_until_available()
        if wait > 0:
            raise RateLimited("X read budget spent", wait)
        return await self._call(self.reads, False, call)

    async def _call(self, budget: WindowBudget, write: bool, call: Callable[[], Awaitable[Any]]) -> Page:
        if self._client.session is None:
            self._client.session = make_session(self._api_url, self._observe)
        budget.spend()
        try:
            return await call()
        except tweepy.TooManyRequests as exc:
            reset = self._reset_time(exc)
            budget.block_until(reset)
            raise RateLimited(f"X rate limit reached; it resets at {reset:%H:%M:%S} UTC",
                              max((reset - self._clock.now()).total_seconds(), 1.0)) from exc
        except (tweepy.TweepyException, aiohttp.ClientError, TimeoutError) as exc:
            raise translate_error(exc, write) from exc

    def _reset_time(self, exc: tweepy.TooManyRequests) -> datetime:
        if exc.reset_time:
            return datetime.fromtimestamp(int(exc.reset_time), self._clock.now().tzinfo)
        return self._clock.now() + timedelta(minutes=15)

    def _observe(self, method: str, path: str, remaining: int, reset: datetime) -> None:
        if remaining == 0:
            (self.reads if method == "GET" else self.writes).block_until(reset)

    async def _cursor(self, key: str) -> str | None:
        async with self._db.session() as session:
            return await cursors.get(session, key)

    async def _save(self, key: str, value: str) -> None:
        async with self._db.session() as session:
            await cursors.put(session, key, value, self._clock.now())


def translate_error(exc: BaseException, write: bool) -> ChannelError:
    """tweepy's and aiohttp's errors as ours. A write that may have reached X is never repeated blindly."""
    if isinstance(exc, tweepy.Forbidden) and write and "duplicate content" in str(exc).lower():
        return DuplicateContent("X refuses a reply identical to one it already posted; reword it")
    if isinstance(exc, tweepy.Forbidden) and write:
        return Unreachable(f"X refused the reply: {exc}")
    if isinstance(exc, tweepy.TweepyException):
        return ChannelError(f"X: {exc}")
    if isinstance(exc, aiohttp.ClientConnectorError) or not write:
        return ChannelError(f"X could not be reached: {exc!r}")
    return DeliveryUncertain(f"X did not answer after the reply was sent: {exc!r}")


def build(ports: HandlerPorts) -> XChannel:
    """The channel `socialdesk run` starts, from the X_* credentials and the profile's channels.x
    budgets. It shares the app's database and clock (budgets run on the app's time)."""
    settings = ports.settings
    client = AsyncClient(bearer_token=_secret(settings.x_bearer_token), consumer_key=_secret(settings.x_api_key),
                         consumer_secret=_secret(settings.x_api_secret), access_token=_secret(settings.x_access_token),
                         access_token_secret=_secret(settings.x_access_secret), return_type=dict)
    return XChannel(client, ports.db, ports.clock, ports.profile.channels.x, api_url=settings.x_api_url)


def _secret(value: SecretStr | None) -> str | None:
    return value.get_secret_value() if value else None
