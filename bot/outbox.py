"""The outbox worker: claims due rows, sends them, and records what happened.

Rate limits reschedule after the platform's Retry-After; a send that may have gone through
(a timeout) is marked uncertain and never repeated blindly; an unreachable customer is marked so;
other failures back off exponentially until max_attempts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Awaitable, Callable, Collection, Mapping
from datetime import datetime, timedelta
from functools import partial
from types import MappingProxyType

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from bot.clock import Clock
from bot.errors import (ChannelError, ChannelNotRunning, DeliveryUncertain, OverBudget, RateLimited, Refused,
                        StorageError, TooLong, Unreachable)
from bot.heartbeat import heartbeat
from bot.ports import Channel, OwnerDesk
from bot.messages import Outbound
from bot.owner import hold_automatic_reply
from bot.platforms import where
from storage import audit, contacts, conversations, drafts, outbox
from storage.engine import Database, sqlite_busy
from storage.notify import announce_sent, listening
from storage.outbox_rows import Kind, OwnerCard, OwnerNote, Reply, row_as, row_of
from storage.records import OutboxItem

log = logging.getLogger(__name__)
# A delivery function sends one outbox item and returns the platform's id for what it sent.
Delivery = Callable[[OutboxItem], Awaitable[str | None]]
# Writes down what happened to one row once it was tried (sent, rescheduled, failed, ...).
Settle = Callable[[], Awaitable[None]]


class OutboxWorker:
    def __init__(self, db: Database, clock: Clock, channels: Mapping[str, Channel] | None = None,
                 owner: OwnerDesk | None = None, *, worker_id: str | None = None,
                 lease: timedelta = timedelta(seconds=60), base_backoff: float = 2.0,
                 not_ready_delay: timedelta = timedelta(seconds=30), wake: asyncio.Event | None = None,
                 only_platforms: Collection[str] | None = None) -> None:
        """`only_platforms`: claim only rows for these (a web process delivers only its own); None: every one."""
        self._db, self._clock = db, clock
        # Fixed once built (bot/app.py builds the worker whole); `connecting` says which are not up yet.
        self.channels: Mapping[str, Channel] = MappingProxyType(dict(channels or {}))
        self._owner = owner
        self._worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}"
        self._lease, self._base_backoff, self._not_ready_delay = lease, base_backoff, not_ready_delay
        self._deliveries: dict[str, Delivery] = {Kind.REPLY: self._send_reply, Kind.OWNER_CARD: self._post_card,
                                                 Kind.OWNER_NOTE: self._post_note}
        self.wake = wake or asyncio.Event()
        self._platforms = tuple(only_platforms) if only_platforms is not None else None
        # Channels that could not connect yet and are being retried (the heartbeat reports them); their
        # replies wait in the outbox (not ready) until they connect.
        self.connecting: set[str] = set()
        # What happened while the database was away, written when it is back (see _settle).
        self._unsettled: list[Settle] = []
        self._unreleased: set[int] = set()

    @property
    def owner(self) -> OwnerDesk | None:
        return self._owner

    @property
    def platforms(self) -> tuple[str, ...] | None:
        """The platforms whose rows this worker claims; None: every one."""
        return self._platforms

    def running(self, platform: str) -> Channel | None:
        """The platform's channel while it runs here; None when it is not here or not connected yet."""
        return None if platform in self.connecting else self.channels.get(platform)

    def register(self, kind: Kind, delivery: Delivery) -> None:
        """Teach the worker a new kind of row (event posts, reminders, ...)."""
        self._deliveries[kind] = delivery

    async def run_once(self, limit: int = 20) -> int:
        """Deliver what is due now; returns how many rows were attempted."""
        await self._settle()
        claimed_at = self._clock.now()
        async with self._db.session() as session:
            claimed = await outbox.claim_due(session, now=claimed_at, worker=self._worker_id,
                                             lease=self._lease, limit=limit, platforms=self._platforms,
                                             resend_if_lost=frozenset(where(lambda t: t.sent_by_commit)))
        await self._deliver_claimed(claimed, claimed_at)
        return len(claimed)

    async def _deliver_claimed(self, claimed: list[OutboxItem], claimed_at: datetime) -> None:
        """Send the claimed rows one at a time. Only the row being sent is ever in flight: whatever
        stops the batch (a stop, a crash, the database gone), the rest were never tried and go back
        to the queue, here or, if even that fails, when their lease runs out."""
        for index, item in enumerate(claimed):
            if self._clock.now() - claimed_at >= self._lease / 2:
                # A slow platform: give back what was not tried before the lease runs out.
                await self._give_back(claimed[index:])
                return
            try:
                started = await self._start(item)
                if started is not None:
                    await self._deliver(started)
            except BaseException:
                # Giving back touches only rows still claimed: the one in flight, if any, keeps its lease.
                try:
                    await self._give_back(claimed[index:])
                except Exception:  # the database is gone: they go back as soon as it returns
                    self._unreleased.update(untried.id for untried in claimed[index:])
                raise

    async def _settle(self) -> None:
        """Before anything new: write down what happened while the database was away (a reply that
        went, and the rows this worker could not give back). Raises while it is still away."""
        while self._unsettled:
            try:
                await self._unsettled[0]()
            except Exception as exc:
                if await self._database_gone(exc):
                    raise
                log.exception("outbox outcome could not be recorded")  # never block the rows behind it
            self._unsettled.pop(0)
        if self._unreleased:
            async with self._db.session() as session:
                await outbox.release(session, sorted(self._unreleased), self._worker_id)
            self._unreleased.clear()

    async def _database_gone(self, exc: BaseException) -> bool:
        """Whether `exc` says the database cannot be reached, rather than that one row is wrong (a
        database error while the database still answers)."""
        if isinstance(exc, StorageError | OperationalError | InterfaceError):
            return True
        if not isinstance(exc, DBAPIError):
            return False
        try:
            await self._db.ping()
        except StorageError:
            return True
        return False

    async def _start(self, item: OutboxItem) -> OutboxItem | None:
        async with self._db.session() as session:
            return await outbox.start_sending(session, item, self._worker_id, self._clock.now())

    async def drain(self, max_rounds: int = 50) -> None:
        """Deliver until nothing is due now (used by the console and by tests)."""
        for _ in range(max_rounds):
            if await self.run_once() == 0:
                return

    async def run_forever(self, stop: asyncio.Event, idle_seconds: float = 1.0) -> None:
        # On Postgres, a row queued by another process (serve, a second worker) wakes this one at once.
        # The heartbeat tells the web process (its /health, its start) that someone delivers.
        async with listening(self._db, self.wake.set), heartbeat(self._db, self._clock, self._worker_id, self):
            await self._rounds(stop, idle_seconds)

    async def _rounds(self, stop: asyncio.Event, idle_seconds: float) -> None:
        while not stop.is_set():
            # Cleared before looking, not after: a row queued while this round looks (too late for
            # its query) leaves the wake set, and the next round starts at once instead of idling.
            self.wake.clear()
            try:
                if await self.run_once():
                    continue
            except Exception as exc:
                if sqlite_busy(exc):
                    # Another process (serve, under a flood) kept SQLite's one write lock past the busy
                    # timeout. Nothing is lost: an outcome not yet written is kept and written first
                    # next round. A warning, then, not a traceback.
                    log.warning("database busy: another process holds the SQLite write lock; retrying")
                else:
                    log.exception("outbox round failed; retrying")
            # asyncio.timeout, not wait_for: Python 3.11's wait_for can swallow a cancellation that
            # arrives as the wait ends, and this loop would then outlive its task's cancel().
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(idle_seconds):
                    await _first(stop, self.wake)

    async def _deliver(self, item: OutboxItem) -> None:
        settle = await self._attempt(item)
        try:
            await settle()
        except Exception as exc:
            # The platform has answered but the database cannot take what happened: it is kept and
            # written first thing when the database is back, so a reply that went is recorded as sent
            # (never left uncertain) and one that did not go is retried as it should be.
            if await self._database_gone(exc):
                self._unsettled.append(settle)
            raise

    async def _attempt(self, item: OutboxItem) -> Settle:
        """Send one row; what to record about it."""
        delivery = self._deliveries.get(item.kind)
        try:
            if delivery is None:
                raise ChannelNotRunning(f"no delivery for outbox kind {item.kind!r}")
            external_id = await delivery(item)
        except ChannelNotRunning as exc:
            return partial(self._later, item, self._not_ready_delay.total_seconds(), str(exc), count_attempt=False)
        except OverBudget as exc:
            return partial(self._over_budget, item, exc)
        except Refused as exc:
            return partial(self._refused, item, exc)
        except RateLimited as exc:
            log.warning("rate limited", extra={"platform": item.platform, "retry_after": exc.retry_after})
            return partial(self._later, item, exc.retry_after, f"rate limited: {exc}", count_attempt=False)
        except DeliveryUncertain as exc:
            return partial(self._final, item, outbox.UNCERTAIN, str(exc), note=outbox.uncertain_note(str(exc)))
        except Unreachable as exc:
            return partial(self._unreachable, item, str(exc))
        except ChannelError as exc:
            return partial(self._retry_or_fail, item, str(exc))
        except Exception as exc:  # a bug in a handler must not stop the worker
            if await self._database_gone(exc):
                raise  # mid-delivery: what the platform saw is unknown, so the row stays in flight
            log.exception("delivery crashed", extra={"kind": item.kind, "platform": item.platform})
            return partial(self._retry_or_fail, item, f"{type(exc).__name__}: {exc}")
        return partial(self._sent, item, external_id)

    async def _send_reply(self, item: OutboxItem) -> str | None:
        channel = self.running(item.platform)
        if channel is None:
            raise ChannelNotRunning(f"the {item.platform} channel is not running")
        row = row_as(item, Reply)
        return await channel.send(Outbound(platform=item.platform, thread_key=row.thread_key, text=row.text,
                                           idempotency_key=item.idempotency_key, reply_to=row.reply_to,
                                           recipient_id=row.recipient_id))

    async def _post_card(self, item: OutboxItem) -> str | None:
        if self._owner is None:
            raise ChannelNotRunning("no owner desk is configured (Slack or the console)")
        draft_id = row_as(item, OwnerCard).draft_id
        async with self._db.session() as session:
            view = await drafts.draft_view(session, draft_id)
        if view is None:
            return None
        reference = await self._owner.post_draft(view)
        async with self._db.session() as session:
            await drafts.set_owner_card(session, draft_id, reference)
        return reference

    async def _post_note(self, item: OutboxItem) -> str | None:
        if self._owner is None:
            raise ChannelNotRunning("no owner desk is configured (Slack or the console)")
        row = row_as(item, OwnerNote)
        if not row.conversation_id:
            return await self._owner.post_note(row.text, None)
        reference = await self._owner.post_note(row.text, row.conversation_id)
        if reference is None and row.or_desk:
            # The conversation never reached the desk (the bot answered alone): say it on the desk itself.
            reference = await self._owner.post_note(f"{await self._who(row.conversation_id)}: {row.text}", None)
        return reference

    async def _who(self, conversation_id: int) -> str:
        async with self._db.session() as session:
            conversation = await conversations.get_conversation(session, conversation_id)
            contact = await contacts.get_contact(session, conversation.contact_id)
        return f"{contact.display_name if contact else 'A customer'} on {conversation.platform}"

    async def _over_budget(self, item: OutboxItem, exc: OverBudget) -> None:
        """An automatic reply over the platform budget becomes a draft for the owner, who sees why;
        anything the owner already approved waits for the budget instead."""
        if not await self._hold_for_owner(item, str(exc), "held_over_budget"):
            await self._later(item, exc.retry_after, f"over budget: {exc}", count_attempt=False)

    async def _refused(self, item: OutboxItem, exc: Refused) -> None:
        """No retry changes a reply's words (too long, identical to a post X already has): an automatic
        one goes to the owner as a draft; anything else fails now, and the owner is told in the
        conversation's thread. The customer is never written off for it."""
        action = "held_too_long" if isinstance(exc, TooLong) else "held_refused"
        if await self._hold_for_owner(item, str(exc), action):
            return
        await self._final(item, outbox.FAILED, str(exc), note=f"Not sent to the customer: {exc}. {exc.fix}")

    async def _hold_for_owner(self, item: OutboxItem, reason: str, action: str) -> bool:
        """Turn an automatic reply into a pending draft with `reason` and queue its card for the owner.
        False when the row is not an automatic reply (nothing was changed)."""
        if item.kind != Kind.REPLY or item.draft_id is None:
            return False
        async with self._db.session() as session:
            return await hold_automatic_reply(session, item, reason, action, self._clock.now())

    async def _sent(self, item: OutboxItem, external_id: str | None) -> None:
        now = self._clock.now()
        async with self._db.session() as session:
            await outbox.mark_sent(session, item.id, now, external_id)
            row = row_of(item)
            if isinstance(row, Reply) and row.conversation_id is not None:
                await conversations.record_outbound(session, row.conversation_id, item.platform,
                                                    f"out:{external_id or item.idempotency_key}", row.text, now)
                # A web chat visitor reads replies back from the database: wake their poll in the web process.
                await announce_sent(session, item.platform, row.thread_key)

    async def _give_back(self, items: list[OutboxItem]) -> None:
        if not items:
            return
        async with self._db.session() as session:
            await outbox.release(session, [item.id for item in items], self._worker_id)

    async def _later(self, item: OutboxItem, seconds: float, error: str, count_attempt: bool) -> None:
        due = self._clock.now() + timedelta(seconds=max(seconds, 0.0))
        async with self._db.session() as session:
            await outbox.reschedule(session, item.id, due, error, count_attempt=count_attempt)

    async def _retry_or_fail(self, item: OutboxItem, error: str) -> None:
        if item.attempts >= item.max_attempts:
            await self._final(item, outbox.FAILED, error, note=(
                f"Not sent to the customer after {item.attempts} attempts ({error}). Reply again once "
                f"{item.platform} works, or reach them another way."))
            return
        delay = min(self._base_backoff * 2 ** (item.attempts - 1), 900.0)
        await self._later(item, delay, error, count_attempt=True)

    async def _unreachable(self, item: OutboxItem, error: str) -> None:
        row = row_of(item)
        recipient = row.recipient_id if isinstance(row, Reply) else None
        async with self._db.session() as session:
            if recipient:
                await contacts.mark_unreachable(session, item.platform, str(recipient))
        await self._final(item, outbox.FAILED, f"unreachable: {error}", note=(
            f"Not sent: the customer can no longer be reached on {item.platform} ({error})."))

    async def _final(self, item: OutboxItem, status: str, error: str, note: str | None = None) -> None:
        """Stop trying a row for good. When a customer's reply is what stopped, the owner gets `note`
        in the conversation's place on the desk, so nobody is left waiting without the owner knowing."""
        log.warning("outbox row stopped", extra={"id": item.id, "status": status, "platform": item.platform})
        now = self._clock.now()
        async with self._db.session() as session:
            await outbox.mark_final(session, item.id, status, error)
            await audit.record(session, at=now, actor="socialdesk", action=f"outbox_{status}",
                               subject=f"outbox:{item.id}", detail={"error": error, "kind": item.kind})
            if note is not None:
                await outbox.note_not_sent(session, item, note, now)


async def _first(*events: asyncio.Event) -> None:
    waiters = [asyncio.ensure_future(e.wait()) for e in events]
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
