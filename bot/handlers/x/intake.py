"""X, receiving: each new post or DM goes to the router on its own. One that cannot be read or handled
is recorded as failed and the owner told (bot/handlers/unhandled.py), so it never holds up the ones behind it
and the cursor moves past it. Only while the database or the network is down does a poll stop: the
cursor stays, and the same items come again at the next poll (a few times, then they too are
recorded as failed)."""

from __future__ import annotations

from bot.ports import Deliver
from bot.clock import Clock
from bot.handlers.x.parse import DM_PREFIX, PLATFORM, PageRead, Unreadable
from bot.messages import Inbound
from bot.handlers.unhandled import OutageTries, Unhandled, describe, record_unhandled
from storage.engine import Database


class XIntake:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db, self._clock = db, clock
        self._outage_tries = OutageTries()

    async def take(self, read: PageRead, deliver: Deliver) -> int:
        """Deliver a page's messages oldest first and record what could not be; returns how many were delivered."""
        for item in read.unreadable:
            await self._failed(item)
        delivered = 0
        for inbound in read.inbounds:
            delivered += await self._deliver(inbound, deliver)
        return delivered

    async def _deliver(self, inbound: Inbound, deliver: Deliver) -> bool:
        key = inbound.external_id
        try:
            await deliver(inbound)
        except Exception as exc:
            if self._outage_tries.retry(key, exc):
                raise
            what = "DM" if key.startswith(DM_PREFIX) else "post"
            await record_unhandled(self._db, self._clock, Unhandled(
                PLATFORM, f"{what} {key.removeprefix(DM_PREFIX)}", describe(exc), inbound.sender.display_name,
                inbound.text))
            return False
        self._outage_tries.done(key)
        return True

    async def _failed(self, item: Unreadable) -> None:
        await record_unhandled(self._db, self._clock, Unhandled(PLATFORM, item.reference, item.error, item.sender,
                                                               item.text))
