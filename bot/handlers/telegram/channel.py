"""Telegram, the transport: python-telegram-bot's `Bot` for long polling, webhook intake and sending.

Receiving: `socialdesk run` long-polls getUpdates and keeps the offset in the database (cursor
`telegram:offset`), so a restart neither misses nor repeats an update. With TELEGRAM_WEBHOOK_SECRET
and PUBLIC_BASE_URL set, the channel registers the webhook instead (`socialdesk serve` receives it).
Sending: HTML replies split under 4096 characters, within about one message per second per chat
and thirty per second overall. A short wait for the budget happens in-process; a longer one is
handed to the outbox as RateLimited so the row is rescheduled instead of holding the worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import warnings
from collections import OrderedDict
from datetime import timedelta
from typing import Any, Mapping

import httpx
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.request import HTTPXRequest
from telegram.warnings import PTBDeprecationWarning

from bot.clock import Clock, SystemClock
from bot.errors import BadPayload, ChannelError, ConfigError, DeliveryUncertain, RateLimited, Unreachable
from bot.handlers.ratelimit import SendBudget
from bot.handlers.telegram.parse import ALLOWED_UPDATES, PLATFORM, SendRequest, send_requests, to_inbound
from bot.handlers.unhandled import OutageTries, Unhandled, describe, record_unhandled
from bot.platforms import plain_text
from bot.messages import Outbound
from bot.ports import Deliver, HandlerPorts
from bot.settings import Settings
from storage import cursors
from storage.engine import Database

log = logging.getLogger(__name__)
BUTTON_NOTICE_LIMIT = 200  # answerCallbackQuery's text
OFFSET_CURSOR = "telegram:offset"
# A long poll's read timeout: the poll's own timeout and python-telegram-bot's default read timeout.
POLL_READ_MARGIN = 5.0
WEBHOOK_PATH = "/telegram/webhook"
# An update carries at most a 4,096-character message (and the one it replies to) with its entities;
# a body above this is refused unread.
WEBHOOK_BODY_LIMIT = 1024 * 1024


class TelegramIntake:
    """Turns raw updates into router calls: drops repeats, answers button presses at once, and records
    an update it cannot handle as failed (the owner is told) instead of stopping at it."""

    def __init__(self, bot: Bot, db: Database, clock: Clock, remember: int = 2048) -> None:
        self._bot, self._db, self._clock = bot, db, clock
        self._seen: OrderedDict[int, None] = OrderedDict()
        self._remember = remember
        self._outage_tries = OutageTries()
        # A burst of webhooks at start-up would otherwise each call getMe at once and time out
        # waiting for the connection pool: the first meets Telegram, the others wait for it.
        self._meeting = asyncio.Lock()

    async def process(self, update: Mapping[str, Any], deliver: Deliver) -> None:
        """Deliver one update unless it was delivered before. An update that cannot be handled is
        recorded as failed, so the caller moves past it. Raises only while the database or the network
        is down (a few times for one update), so the caller keeps the update and it comes again."""
        update_id = update.get("update_id")
        key = update_id if isinstance(update_id, int) and not isinstance(update_id, bool) else None
        if key is not None and key in self._seen:
            return
        await self._meet()
        try:
            if key is None:
                raise BadPayload(f"telegram update id {update_id!r} is not a number")
            await self._handle(update, deliver)
        except Exception as exc:
            if self._outage_tries.retry(key, exc):
                raise
            await record_unhandled(self._db, self._clock, unhandled(update, exc))
        self._outage_tries.done(key)
        if key is not None:
            self._remember_id(key)

    async def _handle(self, update: Mapping[str, Any], deliver: Deliver) -> None:
        inbound = to_inbound(update, self._bot.username, self._bot.id)
        if inbound is None:
            return
        if inbound.kind != "callback":
            await deliver(inbound)
            return
        handled = None
        try:
            handled = await deliver(inbound)
        finally:  # the press is always answered, so the button stops spinning
            await self._answer(inbound.external_id.removeprefix("cb:"), button_notice(getattr(handled, "reply", None)))

    async def _meet(self) -> None:
        """Initialise the bot once (its username and id tell mentions apart); ChannelError until Telegram answers."""
        async with self._meeting:
            try:
                await self._bot.initialize()
            except (NetworkError, TimedOut) as exc:
                raise ChannelError(f"telegram cannot be reached yet: {exc}") from None

    def _remember_id(self, update_id: int) -> None:
        self._seen[update_id] = None
        while len(self._seen) > self._remember:
            self._seen.popitem(last=False)

    async def _answer(self, query_id: str, notice: str | None) -> None:
        try:
            await self._bot.answer_callback_query(query_id, text=notice)
        except TelegramError as exc:  # an old press (> 15 min) cannot be answered; the RSVP still counts
            log.warning("could not answer a button press", extra={"error": str(exc)})


def button_notice(reply: str | None) -> str | None:
    """The confirmation as the small notice Telegram shows on the pressed button (plain text, at most
    200 characters): the person sees it even when the bot may not write to them privately."""
    if not reply:
        return None
    plain = " ".join(plain_text(PLATFORM, reply).split())
    return plain if len(plain) <= BUTTON_NOTICE_LIMIT else plain[:BUTTON_NOTICE_LIMIT - 1].rstrip() + "…"


async def _connect(bot: Bot) -> None:
    """Meet the Bot API once at start, so a wrong token or no connection is one clear line."""
    try:
        await bot.initialize()
    except (InvalidToken, NetworkError) as exc:
        with contextlib.suppress(TelegramError):
            await bot.shutdown()
        if isinstance(exc, InvalidToken):
            raise ConfigError("Telegram refused TELEGRAM_BOT_TOKEN: copy it again from @BotFather") from None
        raise ChannelError(f"cannot reach Telegram: {exc}") from None


class TelegramChannel:
    platform = PLATFORM

    def __init__(self, bot: Bot, db: Database, *, clock: Clock | None = None, budget: SendBudget | None = None,
                 poll_timeout: int = 30, webhook_url: str | None = None, webhook_secret: str | None = None,
                 max_inline_wait: float = 1.0) -> None:
        self._bot, self._db, self._clock = bot, db, clock or SystemClock()
        self._budget = budget or SendBudget.telegram()
        self._poll_timeout, self._max_inline_wait = poll_timeout, max_inline_wait
        self._webhook_url, self._webhook_secret = webhook_url, webhook_secret
        self.intake = TelegramIntake(bot, db, self._clock)
        self._sent_parts: dict[str, list[int]] = {}
        self._task: asyncio.Task[None] | None = None

    async def start(self, deliver: Deliver) -> None:
        await _connect(self._bot)
        if self._webhook_url:
            await self._bot.set_webhook(self._webhook_url, secret_token=self._webhook_secret,
                                        allowed_updates=list(ALLOWED_UPDATES))
            return
        await self._bot.delete_webhook()  # getUpdates is refused while a webhook is set
        self._task = asyncio.create_task(self._poll(deliver), name="telegram-polling")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        with contextlib.suppress(TelegramError):
            await self._bot.shutdown()

    async def _poll(self, deliver: Deliver) -> None:
        offset = await self._load_offset()
        while True:
            try:
                for update in await self._get_updates(offset):
                    await self.intake.process(update, deliver)
                    offset = next_offset(update, offset)
                    if offset is not None:
                        await self._save_offset(offset)
            except asyncio.CancelledError:
                raise
            except RetryAfter as exc:
                await asyncio.sleep(retry_after_seconds(exc))
            except TimedOut:
                continue
            except Exception:  # network trouble or a database hiccup: the update is fetched again
                log.exception("telegram polling failed; retrying")
                await asyncio.sleep(5.0)

    async def _get_updates(self, offset: int | None) -> list[Mapping[str, Any]]:
        """The raw updates: python-telegram-bot's own parsing would fail the whole batch on one odd
        update (a date out of range), and the offset could then never move past it."""
        # Bot API method names are case-insensitive; this spelling is python-telegram-bot's sign that
        # the raw call is meant (it warns for the spelling of a method it wraps).
        found = await self._bot.do_api_request(
            "getupdates", api_kwargs={"offset": offset, "timeout": self._poll_timeout,
                                      "allowed_updates": list(ALLOWED_UPDATES)},
            read_timeout=self._poll_timeout + POLL_READ_MARGIN)
        return [update for update in found if isinstance(update, Mapping)] if isinstance(found, list) else []

    async def _load_offset(self) -> int | None:
        async with self._db.session() as session:
            value = await cursors.get(session, OFFSET_CURSOR)
        return int(value) if value else None

    async def _save_offset(self, offset: int) -> None:
        async with self._db.session() as session:
            await cursors.put(session, OFFSET_CURSOR, str(offset), self._clock.now())

    async def send(self, outbound: Outbound) -> str:
        requests = send_requests(outbound)
        try:
            await self._bot.initialize()  # once; also what lets stop() close the connection pool
        except TelegramError as exc:
            error = translate_error(exc)  # nothing of the reply has left yet, whatever the failure
            raise (ChannelError(str(error)) if isinstance(error, DeliveryUncertain) else error) from exc
        sent = self._sent_parts.setdefault(outbound.idempotency_key, [])
        for request in requests[len(sent):]:  # parts sent before a rate limit are not sent again
            await self._within_budget(str(request.chat_id))
            sent.append(await self._send_one(request))
        del self._sent_parts[outbound.idempotency_key]
        return f"{requests[0].chat_id}:{sent[0]}"

    async def _within_budget(self, chat: str) -> None:
        wait = self._budget.wait_for(chat)
        if wait > self._max_inline_wait:
            raise RateLimited(f"telegram send budget for chat {chat} is spent", wait)
        if wait > 0:
            await asyncio.sleep(wait)
        self._budget.take(chat)

    async def _send_one(self, request: SendRequest) -> int:
        try:
            message = await self._bot.send_message(**send_kwargs(request))
        except TelegramError as exc:
            raise translate_error(exc) from exc
        return message.message_id


def next_offset(update: Mapping[str, Any], offset: int | None) -> int | None:
    """The offset that confirms `update`; one without a usable id leaves the offset where it was."""
    update_id = update.get("update_id")
    if isinstance(update_id, int) and not isinstance(update_id, bool):
        return max(update_id + 1, offset or 0)
    return offset


def unhandled(update: Mapping[str, Any], exc: BaseException) -> Unhandled:
    """What the owner is told of an update that could not be handled: who wrote what, if it says."""
    message = update.get("message")
    message = message if isinstance(message, Mapping) else {}
    sender = message.get("from")
    name = sender.get("first_name") if isinstance(sender, Mapping) else None
    text = message.get("text") or message.get("caption")
    return Unhandled(PLATFORM, f"update {update.get('update_id')!r}", describe(exc),
                     name if isinstance(name, str) else None, text if isinstance(text, str) else None)


def send_kwargs(request: SendRequest) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"chat_id": request.chat_id, "text": request.text, "parse_mode": ParseMode.HTML}
    if request.reply_to_message_id is not None:
        kwargs["reply_parameters"] = ReplyParameters(request.reply_to_message_id, allow_sending_without_reply=True)
    if request.buttons:
        kwargs["reply_markup"] = InlineKeyboardMarkup(
            [[InlineKeyboardButton(label, callback_data=data) for label, data in request.buttons]])
    return kwargs


def translate_error(exc: TelegramError) -> ChannelError:
    """python-telegram-bot's errors as ours, so the outbox knows whether to wait, stop or retry."""
    if isinstance(exc, RetryAfter):
        return RateLimited(f"telegram flood control: {exc}", retry_after_seconds(exc))
    if isinstance(exc, Forbidden):
        return Unreachable(f"telegram: {exc} (the customer blocked the bot or left the chat)")
    if isinstance(exc, TimedOut):
        if isinstance(exc.__cause__, (httpx.ConnectTimeout, httpx.PoolTimeout)) or "Pool timeout" in str(exc):
            return ChannelError(f"telegram: could not connect in time ({exc})")
        return DeliveryUncertain(f"telegram: timed out after sending; the reply may have arrived ({exc})")
    if isinstance(exc, BadRequest) and "chat not found" in str(exc).lower():
        return Unreachable(f"telegram: {exc}")
    if isinstance(exc, NetworkError) and _after_sending(exc.__cause__):
        return DeliveryUncertain(f"telegram: the connection dropped after sending; the reply may have arrived ({exc})")
    return ChannelError(f"telegram: {exc}")


# Transport failures that leave before the request does: nothing reached Telegram.
_BEFORE_SENDING = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol,
                   httpx.ProxyError, httpx.LocalProtocolError)


def _after_sending(cause: BaseException | None) -> bool:
    """Whether a transport failure came once the request could have been on its way (a read error, the
    server closing without an answer). Telegram's own error answers, such as 502, have no such cause."""
    return isinstance(cause, httpx.TransportError) and not isinstance(cause, _BEFORE_SENDING)


def retry_after_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():  # the int form is deprecated in 22.x; take either form
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def api_base_url(configured: str | None) -> str:
    """TELEGRAM_API_URL may be a server root ("http://127.0.0.1:8081") or already end in "/bot";
    python-telegram-bot appends the token to it."""
    if not configured:
        return "https://api.telegram.org/bot"
    url = configured.rstrip("/")
    return url if url.endswith("/bot") or "{token}" in url else url + "/bot"


def make_bot(settings: Settings, keep_alive: bool = True) -> Bot:
    """A Bot for TELEGRAM_API_URL. Without keep-alive, no connection outlives its request (the web
    process makes a call only now and then and has no hook to close a pool)."""
    token = settings.telegram_bot_token.get_secret_value() if settings.telegram_bot_token else ""
    request = None if keep_alive else HTTPXRequest(httpx_kwargs={"limits": httpx.Limits(max_keepalive_connections=0)})
    return Bot(token, base_url=api_base_url(settings.telegram_api_url), request=request)


def build(ports: HandlerPorts) -> TelegramChannel:
    """The channel `socialdesk run` starts: polling, or registering the webhook when the web process
    receives. It shares the app's database and clock."""
    settings = ports.settings
    secret = settings.telegram_webhook_secret.get_secret_value() if settings.telegram_webhook_secret else None
    url = f"{settings.public_base_url.rstrip('/')}{WEBHOOK_PATH}" if secret and settings.public_base_url else None
    return TelegramChannel(make_bot(settings), ports.db, clock=ports.clock, webhook_url=url,
                           webhook_secret=secret if url else None)
