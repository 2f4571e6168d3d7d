"""Email, reading: one IMAP mailbox through aioimaplib. Finds the messages after a UID, fetches one
without marking it read (the owner's own mail client still shows it as new), and waits for news:
with IDLE where the server offers it, else for the poll interval."""

from __future__ import annotations

import asyncio
import contextlib
import re
import ssl
from dataclasses import dataclass

import aioimaplib

from bot.errors import ChannelError, ConfigError

_UIDVALIDITY = re.compile(rb"\[UIDVALIDITY (\d+)\]")
_FETCHED_UID = re.compile(rb"\bUID (\d+)\b")
# RFC 2177: a client should end and restart IDLE at least every 29 minutes, or servers drop it.
IDLE_RENEW_SECONDS = 25 * 60.0


@dataclass(frozen=True, slots=True)
class ImapSettings:
    host: str
    port: int
    user: str
    password: str
    use_ssl: bool = True
    mailbox: str = "INBOX"
    timeout: float = 30.0


class Mailbox:
    def __init__(self, settings: ImapSettings) -> None:
        self._settings = settings
        self._imap: aioimaplib.IMAP4 | None = None
        self.validity = 0

    async def open(self) -> None:
        """Connect, log in and select the mailbox. ConfigError for a refused login, ChannelError otherwise."""
        s = self._settings
        try:
            self._imap = (aioimaplib.IMAP4_SSL(s.host, s.port, timeout=s.timeout, ssl_context=ssl.create_default_context())
                          if s.use_ssl else aioimaplib.IMAP4(s.host, s.port, timeout=s.timeout))
            await self._imap.wait_hello_from_server()
            login = await self._imap.login(s.user, s.password)
        except (OSError, TimeoutError, aioimaplib.AioImapException) as exc:
            raise ChannelError(f"cannot reach the IMAP server {s.host}:{s.port}: {exc!r}") from None
        if login.result != "OK":
            raise ConfigError(f"the IMAP server {s.host} refused EMAIL_USER / EMAIL_PASSWORD: check them "
                              "(many providers want an app password)")
        selected = await self._imap.select(s.mailbox)
        if selected.result != "OK":
            raise ConfigError(f"the IMAP server has no mailbox {s.mailbox!r}: set channels.email.mailbox")
        found = [m for line in selected.lines if isinstance(line, bytes) for m in _UIDVALIDITY.findall(line)]
        self.validity = int(found[0]) if found else 0

    @property
    def has_idle(self) -> bool:
        return self._imap is not None and self._imap.has_capability("IDLE")

    async def uids_after(self, last: int) -> list[int]:
        # A session learns of new mail at a command boundary (RFC 3501 7.3.1): NOOP lets the server tell
        # us before we search. "n:*" always matches the newest message, even when its UID is below n.
        self._check(await self._client().noop(), "noop")
        return [uid for uid in await self._search(f"UID {last + 1}:*") if uid > last]

    async def _search(self, criteria: str) -> list[int]:
        response = await self._client().uid_search(criteria, charset=None)
        self._check(response, "search")
        numbers = b" ".join(line for line in response.lines[:-1] if isinstance(line, bytes))
        return sorted(int(n) for n in numbers.replace(b"SEARCH", b"").split() if n.isdigit())

    async def fetch(self, uid: int) -> bytes | None:
        """The whole message, or None when it is gone (deleted meanwhile)."""
        response = await self._client().uid("fetch", str(uid), "(UID BODY.PEEK[])")
        self._check(response, "fetch")
        lines = response.lines
        for index, line in enumerate(lines[:-1]):
            header = _FETCHED_UID.search(bytes(line)) if isinstance(line, bytes) else None
            if header and int(header.group(1)) == uid and isinstance(lines[index + 1], bytearray):
                return bytes(lines[index + 1])
        return None

    async def wait_for_news(self, poll_seconds: float) -> None:
        """Return when the mailbox may have changed: the server says so (IDLE), or the interval has passed."""
        imap = self._client()
        if not self.has_idle:
            await asyncio.sleep(poll_seconds)
            return
        idle = await imap.idle_start(timeout=IDLE_RENEW_SECONDS)
        try:
            await imap.wait_server_push(timeout=IDLE_RENEW_SECONDS + 5.0)
        except TimeoutError:
            pass
        finally:
            imap.idle_done()
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(idle, self._settings.timeout)

    async def close(self) -> None:
        if self._imap is None:
            return
        imap, self._imap = self._imap, None
        with contextlib.suppress(Exception):  # already gone: nothing left to close
            await imap.logout()

    def _client(self) -> aioimaplib.IMAP4:
        if self._imap is None:
            raise ChannelError("the IMAP mailbox is not open")
        return self._imap

    def _check(self, response: aioimaplib.Response, what: str) -> None:
        if response.result != "OK":
            raise ChannelError(f"the IMAP server refused a {what}: {response.lines[-1:]!r}")
