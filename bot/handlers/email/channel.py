"""Email, the transport: read the business inbox over IMAP and answer over SMTP.

The position in the mailbox is a cursor in the database (`email:<mailbox>` = "UIDVALIDITY:UID"),
saved after each message, so a restart neither repeats nor misses one. On the very first start the
bot begins after the newest message, as on X: mail already in the inbox is the owner's to answer,
not a backlog to reply to at once. When the server renumbers the mailbox (a new UIDVALIDITY, after
a rebuild) the old numbers mean nothing, so it begins after the newest again, and says so in the log.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass

import aiosmtplib

from bot.clock import Clock
from bot.errors import ChannelError, DeliveryUncertain, Refused, TooLong, Unreachable
from bot.handlers.email.compose import build_reply
from bot.handlers.email.mailbox import ImapSettings, Mailbox
from bot.handlers.email.parse import PLATFORM, ThreadHeaders, to_inbound
from bot.handlers.unhandled import OutageTries, Unhandled, describe, record_unhandled
from bot.messages import Outbound
from bot.ports import Deliver, HandlerPorts
from storage import cursors, inbound_raw
from storage.engine import Database

log = logging.getLogger(__name__)
RETRY_FIRST, RETRY_MAX = 5.0, 300.0


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    host: str
    port: int
    user: str
    password: str
    security: str = "starttls"  # "starttls", "ssl" or "none"
    timeout: float = 60.0


@dataclass(frozen=True, slots=True)
class Identity:
    """Who the business is in its mail: the From address and name, and every address that is ours."""

    address: str
    name: str

    @property
    def ours(self) -> frozenset[str]:
        return frozenset({self.address.lower()})


class EmailChannel:
    platform = PLATFORM

    def __init__(self, imap: ImapSettings, smtp: SmtpSettings, identity: Identity, db: Database, clock: Clock,
                 poll_seconds: float = 60.0) -> None:
        self._imap_settings, self._smtp, self._identity = imap, smtp, identity
        self._db, self._clock, self._poll = db, clock, poll_seconds
        self._mailbox = Mailbox(imap)
        self._outage_tries = OutageTries()
        self._task: asyncio.Task[None] | None = None
        self.caught_up = asyncio.Event()  # set each time the mailbox has been read to its end

    @property
    def cursor_key(self) -> str:
        return f"email:{self._imap_settings.mailbox}"

    async def start(self, deliver: Deliver) -> None:
        await self._mailbox.open()  # a wrong password or an unreachable server is one clear line at start
        self._task = asyncio.create_task(self._run(deliver), name="email-inbox")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._mailbox.close()

    async def _run(self, deliver: Deliver) -> None:
        delay = RETRY_FIRST
        while True:
            try:
                await self.read_new(deliver)
                self.caught_up.set()
                delay = RETRY_FIRST
                await self._mailbox.wait_for_news(self._poll)
            except asyncio.CancelledError:
                raise
            except Exception:  # the server or the database went away: read again from the cursor
                log.exception("email inbox reading failed; trying again")
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX)
                with contextlib.suppress(Exception):
                    await self._mailbox.close()
                    await self._mailbox.open()

    async def read_new(self, deliver: Deliver) -> None:
        """Deliver every message after the cursor, oldest first, moving the cursor past each."""
        validity, last = await self._load_cursor()
        if validity != self._mailbox.validity or last is None:
            if last is not None:
                log.warning("the IMAP server renumbered the mailbox; reading from its newest message on",
                            extra={"mailbox": self._imap_settings.mailbox})
            await self._save_cursor(max(await self._mailbox.uids_after(0), default=0))
            return
        for uid in await self._mailbox.uids_after(last):
            await self._take(uid, deliver)
            await self._save_cursor(uid)

    async def _take(self, uid: int, deliver: Deliver) -> None:
        data = await self._mailbox.fetch(uid)
        if data is None:
            return
        try:
            inbound = to_inbound(data, ours=self._identity.ours, fallback_id=f"{self._mailbox.validity}.{uid}",
                                 now=self._clock.now())
            if inbound is not None:
                await deliver(inbound)
        except Exception as exc:
            if self._outage_tries.retry(uid, exc):
                raise
            await record_unhandled(self._db, self._clock, Unhandled(PLATFORM, f"message {uid}", describe(exc), None,
                                                                   None))
        self._outage_tries.done(uid)

    async def _load_cursor(self) -> tuple[int | None, int | None]:
        async with self._db.session() as session:
            value = await cursors.get(session, self.cursor_key)
        validity, _, uid = (value or "").partition(":")
        if not (validity.isdigit() and uid.isdigit()):
            return None, None
        return int(validity), int(uid)

    async def _save_cursor(self, uid: int) -> None:
        async with self._db.session() as session:
            await cursors.put(session, self.cursor_key, f"{self._mailbox.validity}:{uid}", self._clock.now())

    async def send(self, outbound: Outbound) -> str:
        parent = await self._parent(outbound)
        recipient = parent.reply_address if parent else outbound.recipient_id
        if not recipient:
            raise Unreachable("email: no address to answer: the customer's message is not on record")
        message = build_reply(outbound, parent, sender=self._identity.address, sender_name=self._identity.name,
                              recipient=recipient, timestamp=self._clock.now().timestamp())
        s = self._smtp
        try:
            await aiosmtplib.send(message, hostname=s.host, port=s.port, username=s.user or None,
                                  password=s.password or None, use_tls=s.security == "ssl",
                                  start_tls=s.security == "starttls", timeout=s.timeout)
        except aiosmtplib.SMTPException as exc:
            raise translate_error(exc) from exc
        except OSError as exc:
            raise ChannelError(f"email: cannot reach the SMTP server {s.host}:{s.port}: {exc}") from exc
        return str(message["Message-ID"])

    async def _parent(self, outbound: Outbound) -> ThreadHeaders | None:
        """The customer's message this answers (its thread headers), or their latest in the conversation."""
        async with self._db.session() as session:
            raw = await inbound_raw.raw_of(session, PLATFORM, outbound.reply_to) if outbound.reply_to else None
            if raw is None:
                raw = await inbound_raw.latest_raw_in_thread(session, PLATFORM, outbound.thread_key)
        return ThreadHeaders.from_payload(raw) if raw else None


def translate_error(exc: aiosmtplib.SMTPException) -> ChannelError:
    """aiosmtplib's errors as ours: a refused address stops, a full mailbox or a greylist waits, and a
    connection lost once the message was handed over may have delivered it."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        return Unreachable(f"email: the address was refused: {exc}")
    if isinstance(exc, (aiosmtplib.SMTPConnectError, aiosmtplib.SMTPConnectTimeoutError)):
        return ChannelError(f"email: cannot reach the SMTP server: {exc}")
    if isinstance(exc, aiosmtplib.SMTPAuthenticationError):
        return ChannelError(f"email: the SMTP server refused EMAIL_USER / EMAIL_PASSWORD: {exc.message}")
    if isinstance(exc, (aiosmtplib.SMTPReadTimeoutError, aiosmtplib.SMTPServerDisconnected)):
        return DeliveryUncertain(f"email: the SMTP server stopped answering; the reply may have gone out ({exc})")
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        if exc.code == 552:
            return TooLong(f"email: the message is too big for the server: {exc.message}")
        if isinstance(exc, aiosmtplib.SMTPRecipientRefused) and exc.code >= 500:
            return Unreachable(f"email: the address was refused: {exc.message}")
        if exc.code >= 500:
            return Refused(f"email: the SMTP server refused the reply: {exc.code} {exc.message}")
    return ChannelError(f"email: {exc}")


def build(ports: HandlerPorts) -> EmailChannel:
    """The channel `socialdesk run` starts, from the EMAIL_* settings and channels.email."""
    settings, config = ports.settings, ports.profile.channels.email
    address = settings.email_address or ""
    user = settings.email_user or address
    password = settings.email_password.get_secret_value() if settings.email_password else ""
    imap = ImapSettings(settings.email_imap_host or "", settings.email_imap_port, user, password,
                        use_ssl=settings.email_imap_security == "ssl", mailbox=config.mailbox)
    smtp = SmtpSettings(settings.email_smtp_host or "", settings.email_smtp_port, user, password,
                        settings.email_smtp_security)
    return EmailChannel(imap, smtp, Identity(address, ports.profile.business.name), ports.db, ports.clock,
                        poll_seconds=config.poll_seconds)
