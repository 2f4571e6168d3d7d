"""What happens to a signed Meta delivery after the webhook has stored it and answered 200: it is read and
routed (its messages to the router, its WhatsApp statuses to the outbox rows they report on), then marked
routed. A delivery that cannot be read is recorded as failed and the owner told (bot/handlers/unhandled.py):
Meta would only send it again. While the database is away a delivery stays stored, unrouted, and is routed
with a later delivery once it is back, as is one a stopped process left half done."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from bot.clock import Clock
from bot.errors import BadPayload
from bot.group_commit import GroupCommit
from bot.handlers.meta.names import SenderNames
from bot.handlers.meta.parse import Delivery, read_delivery
from bot.handlers.meta.statuses import apply_status
from bot.handlers.unhandled import OUTAGE_TRIES, Unhandled, describe, is_outage, record_unhandled
from bot.messages import Inbound
from storage import deliveries
from storage.batch import Batch
from storage.deliveries import StoredDelivery
from storage.engine import Database

log = logging.getLogger(__name__)
# A stored delivery still unrouted this long after it came was left by a stopped process or an outage.
STRANDED_AFTER = timedelta(minutes=1)
# Deliveries routed at once; the rest wait their turn (already answered), so a burst cannot take every
# database connection and leave the webhook none to store the next delivery with.
ROUTING_AT_ONCE = 20


class MetaIntake:
    def __init__(self, deliver: Callable[[Inbound], Awaitable[Any]], db: Database, clock: Clock,
                 names: SenderNames | None = None) -> None:
        self._deliver, self._db, self._clock = deliver, db, clock
        self._names = names or SenderNames({})
        self._swept = datetime.min.replace(tzinfo=timezone.utc)  # when stranded deliveries were last looked for
        self._turns = asyncio.Semaphore(ROUTING_AT_ONCE)
        self._routed: list[int] = []  # routed, to be marked so with the next write
        self._in_hand: set[int] = set()  # waiting for their turn or being routed here: never taken twice
        self._stores: GroupCommit[tuple[str, bytes, list[int]], StoredDelivery] = GroupCommit(db, self._write_store)

    async def store(self, platform: str, body: bytes) -> StoredDelivery:
        """Record the body before anything else; raises when the database cannot take it. Deliveries that
        arrive together are stored in one transaction (group commit), and those routed since the last
        store are marked routed in it: one write for many, where each was two."""
        routed, self._routed = self._routed, []
        try:
            return await self._stores.submit((platform, body, routed))
        except BaseException:
            self._routed = routed + self._routed
            raise

    async def _write_store(self, batch: Batch, item: tuple[str, bytes, list[int]], alone: bool) -> StoredDelivery:
        platform, body, routed = item
        async with batch.unit(savepoint=not alone) as session:
            return await deliveries.record(session, platform, body, self._clock.now(), routed)

    async def route_after_answer(self, stored: StoredDelivery) -> None:
        """Run once the 200 has gone: this delivery, then (once a minute at most) any that a stopped process
        or an outage left behind."""
        if stored.id in self._in_hand:
            return  # Meta sent it again before its turn came: it is routed once
        self._in_hand.add(stored.id)
        try:
            async with self._turns:
                await self._route(stored, tries=1)
        except Exception:  # stored, so nothing is lost: a later delivery routes it
            log.exception("meta delivery stored but not routed yet; it is routed with a later one")
        finally:
            self._in_hand.discard(stored.id)
        try:
            if self._clock.now() - self._swept >= STRANDED_AFTER:
                self._swept = self._clock.now()
                await self.route_stranded()
        except Exception:
            log.exception("meta deliveries left unrouted could not be routed yet; the next look tries again")

    async def route_stranded(self) -> None:
        async with self._db.session() as session:
            routed, self._routed = self._routed, []
            if routed:
                await deliveries.mark_routed(session, routed, self._clock.now())
            left = await deliveries.stranded(session, self._clock.now() - STRANDED_AFTER)
        for delivery_id in (d for d in left if d not in self._in_hand):  # a burst's backlog is not stranded
            async with self._db.session() as session:
                stored = await deliveries.get(session, delivery_id)
                if stored is None or stored.routed:
                    continue
                tries = await deliveries.count_try(session, delivery_id)
            await self._route(stored, tries)

    async def _route(self, stored: StoredDelivery, tries: int) -> None:
        """Route one stored delivery and mark it routed. An outage raises (it stays stored, to be tried
        again) until it has been tried OUTAGE_TRIES times; then, like any other failure, it is recorded."""
        try:
            await self._process(stored)
        except Exception as exc:
            if is_outage(exc) and tries < OUTAGE_TRIES:
                raise
            reference = f"delivery {hashlib.sha256(stored.body).hexdigest()[:12]}"
            await record_unhandled(self._db, self._clock, Unhandled(stored.platform, reference, describe(exc)))
        # Marked with the next store: should the process stop first, routing it again is harmless (every
        # message is recorded once by its id, and a status or a failure note lands once).
        self._routed.append(stored.id)

    async def _process(self, stored: StoredDelivery) -> None:
        try:
            payload = json.loads(stored.body)
        except ValueError as exc:
            raise BadPayload(f"{stored.platform} webhook body is not JSON") from exc
        delivery: Delivery = read_delivery(payload)
        for inbound in delivery.inbounds:
            try:
                await self._deliver(await self._names.named(inbound))  # the router drops a message id it has seen
            except Exception as exc:
                if is_outage(exc):
                    raise
                # This message's own failure: the owner hears of it, and the messages after it still go.
                await record_unhandled(self._db, self._clock, Unhandled(
                    inbound.platform, f"message {inbound.external_id}", describe(exc), inbound.sender.display_name,
                    inbound.text))
        for status in delivery.statuses:
            await apply_status(delivery.platform, status, self._db, self._clock)
