"""The small interfaces every platform adapter and the owner's desk implement, and the narrow set of
things a handler is given to work with (never the whole running app)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from bot.clock import Clock
from bot.messages import Inbound, Outbound
from bot.profile.model import BusinessProfile
from bot.settings import Settings
from storage.engine import Database
from storage.records import DraftView

# A handler delivers each parsed message here; the router answers with what it did.
Deliver = Callable[[Inbound], Awaitable[Any]]


class Channel(Protocol):
    """A customer platform: receives messages (polling, webhook or socket) and sends replies."""

    platform: str

    async def start(self, deliver: Deliver) -> None: ...

    async def send(self, outbound: Outbound) -> str:
        """Send and return the platform's id for the sent message. Raises bot.errors.ChannelError."""
        ...

    async def stop(self) -> None: ...


class OwnerDesk(Protocol):
    """Where the owner sees held drafts and escalations: Slack, or the console as a fallback."""

    async def post_draft(self, view: DraftView) -> str:
        """Show a card (or, for a forwarded message, a thread reply) and return a reference to it."""
        ...

    async def post_note(self, text: str, conversation_id: int | None = None) -> str | None:
        """Show a short notice: in the conversation's place on the desk (its Slack thread) when one is
        named, else on the desk itself. Returns a reference, or None when the conversation has no place yet."""
        ...


@dataclass(frozen=True, slots=True)
class HandlerPorts:
    """What a platform handler may use of the running bot, built once by bot/app.py."""

    # Routes one inbound message, then wakes the outbox worker (its reply may be due now).
    deliver: Deliver
    # Wakes the outbox worker after a handler queued a row itself (a note to the owner).
    wake: Callable[[], None]
    db: Database
    clock: Clock
    settings: Settings
    profile: BusinessProfile
