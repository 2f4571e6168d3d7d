"""The web chat channel: visitors on the business's own website (a page at /webchat, or the widget).

Receiving is HTTP (bot/handlers/webchat/routes.py, served by `socialdesk serve`). Sending records
nothing here: the outbox worker stores every reply it delivers in the messages table, and visitors
read their replies from there (GET /webchat/messages), so replies survive restarts and reach the
visitor whichever process delivered them. `send` only wakes the visitor's waiting long-poll.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

from bot.handlers.webchat.input import PLATFORM
from bot.messages import Outbound
from bot.ports import Deliver
from storage import transcripts
from storage.engine import Database
from storage.transcripts import SentMessage


@dataclass(frozen=True, slots=True)
class WebChatOptions:
    """Timings and limits; tests shorten the long-poll, operators rarely need to touch them."""

    poll_timeout: float = 20.0  # longest a GET waits for a reply
    recheck_seconds: float = 2.0  # how often a waiting GET looks again (replies sent by another process)
    settle_seconds: float = 0.05  # after a wake-up: the worker records the reply just after send returns
    settle_for: float = 2.0
    per_visitor_per_minute: int = 10
    per_address_per_minute: int = 30
    overall_per_minute: int = 120  # every visitor together: a flood from many addresses


class ReplySignal:
    """Wakes the long-polls waiting on one visitor."""

    def __init__(self) -> None:
        self._waiting: dict[str, tuple[asyncio.Event, int]] = {}

    def notify(self, visitor_id: str) -> None:
        entry = self._waiting.pop(visitor_id, None)
        if entry is not None:
            entry[0].set()

    def notify_all(self) -> None:
        for visitor_id in list(self._waiting):
            self.notify(visitor_id)

    @contextlib.contextmanager
    def listening(self, visitor_id: str) -> Iterator[asyncio.Event]:
        """An event set by the next notify for this visitor; register it before reading the database,
        so a reply sent in between is never missed."""
        event, count = self._waiting.get(visitor_id, (asyncio.Event(), 0))
        self._waiting[visitor_id] = (event, count + 1)
        try:
            yield event
        finally:
            current = self._waiting.get(visitor_id)
            if current is not None and current[0] is event:
                if current[1] <= 1:
                    del self._waiting[visitor_id]
                else:
                    self._waiting[visitor_id] = (event, current[1] - 1)

    @property
    def waiting(self) -> int:
        return sum(count for _, count in self._waiting.values())


class WebChatChannel:
    platform = PLATFORM

    def __init__(self) -> None:
        self.replies = ReplySignal()
        self._deliver: Deliver | None = None

    async def start(self, deliver: Deliver) -> None:
        # Visitors' messages arrive through the web routes, which hand them to the router themselves.
        self._deliver = deliver

    async def send(self, outbound: Outbound) -> str:
        self.replies.notify(outbound.thread_key)
        return f"{PLATFORM}:{outbound.idempotency_key}"

    async def stop(self) -> None:
        self.replies.notify_all()


async def wait_for_replies(db: Database, signal: ReplySignal, visitor_id: str, after: int, wait: float,
                           options: WebChatOptions) -> list[SentMessage]:
    """Replies to this visitor after `after`, waiting up to `wait` seconds for the first one."""
    loop = asyncio.get_running_loop()
    deadline, settle_until = loop.time() + wait, 0.0
    while True:
        with signal.listening(visitor_id) as event:
            async with db.session() as session:
                replies = await transcripts.sent_after(session, PLATFORM, visitor_id, after)
            remaining = deadline - loop.time()
            if replies or remaining <= 0:
                return replies
            pause = options.settle_seconds if loop.time() < settle_until else options.recheck_seconds
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(min(remaining, pause)):
                    await event.wait()
            if event.is_set():
                settle_until = loop.time() + options.settle_for
