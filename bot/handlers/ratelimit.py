"""Outbound budgets: token buckets per key (a chat) and overall, and fixed windows for quotas.

A bucket answers "how long until I may send?" instead of sleeping itself, so the caller decides:
wait briefly in-process, or hand the wait to the outbox as RateLimited so the row is rescheduled.
Time comes from an injected monotonic function (tests pass a fake).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import Clock

Monotonic = Callable[[], float]


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class TokenBuckets:
    """`rate` sends per second per key, with bursts of up to `burst`."""

    def __init__(self, rate: float, burst: float, monotonic: Monotonic = time.monotonic) -> None:
        self._rate, self._burst, self._now = rate, burst, monotonic
        self._buckets: dict[str, _Bucket] = {}

    def wait_for(self, key: str) -> float:
        """Seconds until one send is allowed for `key` (0.0: now)."""
        bucket = self._refill(key)
        return 0.0 if bucket.tokens >= 1.0 else (1.0 - bucket.tokens) / self._rate

    def take(self, key: str) -> None:
        self._refill(key).tokens -= 1.0

    def _refill(self, key: str) -> _Bucket:
        now = self._now()
        bucket = self._buckets.setdefault(key, _Bucket(self._burst, now))
        bucket.tokens = min(self._burst, bucket.tokens + (now - bucket.updated) * self._rate)
        bucket.updated = now
        if len(self._buckets) > 10_000:  # forget idle chats now and then
            self._buckets = {k: b for k, b in self._buckets.items() if b.tokens < self._burst}
        return bucket


class SendBudget:
    """Telegram's guidance: about one message per second in a chat, about thirty per second overall."""

    def __init__(self, per_chat: TokenBuckets, overall: TokenBuckets) -> None:
        self._per_chat, self._overall = per_chat, overall

    @classmethod
    def telegram(cls, monotonic: Monotonic = time.monotonic) -> "SendBudget":
        return cls(TokenBuckets(1.0, 3.0, monotonic), TokenBuckets(30.0, 30.0, monotonic))

    def wait_for(self, chat: str) -> float:
        return max(self._per_chat.wait_for(chat), self._overall.wait_for("*"))

    def take(self, chat: str) -> None:
        self._per_chat.take(chat)
        self._overall.take("*")


class WindowBudget:
    """At most `limit` calls per fixed window (X's cheap tiers count requests per 15 minutes or per day).
    The platform's own x-rate-limit headers can tighten it."""

    def __init__(self, limit: int, window: timedelta, clock: Clock) -> None:
        self._limit, self._window, self._clock = limit, window, clock
        self._used, self._started = 0, clock.now()
        self._blocked_until: datetime | None = None

    def _roll(self) -> None:
        now = self._clock.now()
        if now >= self._started + self._window:
            self._used, self._started = 0, now
        if self._blocked_until is not None and now >= self._blocked_until:
            self._blocked_until = None

    def seconds_until_available(self) -> float:
        """0.0 when a call may be made now; otherwise how long until the window (or the platform) resets."""
        self._roll()
        now = self._clock.now()
        if self._blocked_until is not None:
            return max((self._blocked_until - now).total_seconds(), 0.0)
        if self._used >= self._limit:
            return max((self._started + self._window - now).total_seconds(), 0.0)
        return 0.0

    def spend(self) -> None:
        self._roll()
        self._used += 1

    def block_until(self, moment: datetime) -> None:
        """The platform said the quota is gone until `moment` (a 429, or x-rate-limit-remaining: 0)."""
        if self._blocked_until is None or moment > self._blocked_until:
            self._blocked_until = moment

    @property
    def resets_at(self) -> datetime:
        self._roll()
        return self._blocked_until or self._started + self._window
