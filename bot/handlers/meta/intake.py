"""What happens to a signed Meta delivery after the webhook has stored it and answered 200: it is read and
routed (its messages to the router, its WhatsApp statuses to the outbox rows they report on), then marked
routed. A delivery that cannot be read is recorded as failed and the owner told (bot/handlers/unhandled.py):
Meta would only send it again. While the database is away a delivery stays stored, unrouted, and is routed
with a later delivery once it is back, as is one a stopped process left half done."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from bot.clock import Clock
from bot.errors import BadPayload
from bot.handlers.meta.names import SenderNames
from bot.handlers.meta.parse import Delivery, read_delivery
from bot.handlers.meta.statuses import apply_status
from bot.handlers.unhandled import OUTAGE_TRIES, Unhandled, describe, is_outage, record_unhandled
from bot.messages import Inbound
from storage import deliveries
from storage.deliveries import StoredDelivery
from storage.engine import Database

log = logging.getLogger(__name__)
# A stored delivery still unrouted this long after it came was left by a stopped process or an outage.
STRANDED_AFTER = timedelta(minutes=1)


class MetaIntake:
    def __init__(self, deliver: Callable[[Inbound], Awaitable[Any]], db: Database, clock: Clock,
                 names: SenderNames | None = None) -> None:
        self._deliver, self._db, self._clock = deliver, db, clock
        self._names = names or SenderNames({})

    async def store(self, platform: str, body: bytes) -> StoredDelivery:
        """Record the body before anything else; raises when the database cannot take it."""
        async with self._db.session() as session:
            return await deliveries.record(session, platform, body, self._clock.now())

    async def route_after_answer(self, delivery_id: int) -> None:
        """Run once the 200 has gone: this delivery, then any a stopped process or an outage left behind."""
        try:
            await self.route(delivery_id)
            async with self._db.session() as session:
                left = await deliveries.stranded(session, self._clock.now() - STRANDED_AFTER)
            for stranded_id in left:
                await self.route(stranded_id)
        except Exception:  # stored, so nothing is lost: a later delivery routes it
            log.exception("meta delivery stored but not routed yet; it is routed with a later one")

    async def route(self, delivery_id: int) -> None:
        async with self._db.session() as session:
            stored = await deliveries.get(session, delivery_id)
            if stored is None or stored.routed:
                return
            tries = await deliveries.count_try(session, delivery_id)
        try:
            await self._process(stored)
        except Exception as exc:
            if is_outage(exc) and tries < OUTAGE_TRIES:
                raise
            reference = f"delivery {hashlib.sha256(stored.body).hexdigest()[:12]}"
            await record_unhandled(self._db, self._clock, Unhandled(stored.platform, reference, describe(exc)))
        async with self._db.session() as session:
            await deliveries.mark_routed(session, delivery_id, self._clock.now())

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
