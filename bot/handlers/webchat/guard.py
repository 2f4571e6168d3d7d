"""Web chat guards: message rate limits per visitor, per address and overall, and which origins may call us.

The limits are sliding windows on the injected clock: a visitor who sends too fast is told how many
seconds to wait (HTTP 429 with Retry-After) and nothing is recorded. Cross-origin calls are allowed
from the business's own website (business.website in the profile), from extra origins the profile
lists, and from the page this server serves itself.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from bot.clock import Clock

CORS_METHODS = "GET, POST, OPTIONS"
OVERALL = "*"
CORS_MAX_AGE = "600"


class SlidingWindow:
    """At most `limit` hits per `window` for each key."""

    def __init__(self, limit: int, window: timedelta, clock: Clock, max_keys: int = 50_000) -> None:
        self._limit, self._window, self._clock, self._max_keys = limit, window, clock, max_keys
        self._hits: dict[str, deque[datetime]] = {}

    def retry_after(self, key: str) -> int:
        """Whole seconds until `key` may hit again; 0 means now."""
        hits = self._recent(key)
        if len(hits) < self._limit:
            return 0
        wait = (hits[0] + self._window - self._clock.now()).total_seconds()
        return max(1, math.ceil(wait))

    def hit(self, key: str) -> None:
        if key not in self._hits and len(self._hits) >= self._max_keys:
            self._forget_idle()
        self._hits.setdefault(key, deque()).append(self._clock.now())

    def _recent(self, key: str) -> deque[datetime]:
        hits = self._hits.get(key, deque())
        cutoff = self._clock.now() - self._window
        while hits and hits[0] <= cutoff:
            hits.popleft()
        return hits

    def _forget_idle(self) -> None:
        for key in list(self._hits):
            if not self._recent(key):
                del self._hits[key]


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a message was refused and how many seconds to wait."""

    wait: int
    reason: str


class Limits:
    """The per-visitor, per-address and overall limits applied to every message posted."""

    def __init__(self, clock: Clock, per_visitor: int, per_address: int, overall: int,
                 window: timedelta = timedelta(minutes=1)) -> None:
        self._visitor = SlidingWindow(per_visitor, window, clock)
        self._address = SlidingWindow(per_address, window, clock)
        self._overall = SlidingWindow(overall, window, clock, max_keys=1)
        self._reasons = (f"one visitor sent more than {per_visitor} messages a minute",
                         f"one address sent more than {per_address} messages a minute",
                         f"more than {overall} messages a minute arrived in all")

    def refusal(self, visitor_id: str, address: str) -> Refusal | None:
        waits = (self._visitor.retry_after(visitor_id), self._address.retry_after(address),
                 self._overall.retry_after(OVERALL))
        longest = max(waits)
        return Refusal(longest, self._reasons[waits.index(longest)]) if longest else None

    def retry_after(self, visitor_id: str, address: str) -> int:
        refused = self.refusal(visitor_id, address)
        return refused.wait if refused else 0

    def hit(self, visitor_id: str, address: str) -> None:
        self._visitor.hit(visitor_id)
        self._address.hit(address)
        self._overall.hit(OVERALL)


def origin_of(url: str | None) -> str | None:
    """"https://www.example.org/contact" → "https://www.example.org"; None for anything else."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc.lower()}"


def allowed_origins(urls: Iterable[str | None]) -> frozenset[str]:
    return frozenset(origin for origin in map(origin_of, urls) if origin)


def is_allowed(origin: str | None, allowed: frozenset[str], host: str | None) -> bool:
    """No Origin header (same-origin GET, curl), our own host, or a listed website."""
    if origin is None:
        return True
    if origin in allowed:
        return True
    own = urlsplit(origin).netloc.lower()
    return bool(host) and own == (host or "").lower()


def cors_headers(origin: str | None, allowed: frozenset[str], host: str | None) -> dict[str, str]:
    """The headers that let a browser on an allowed website read our answer."""
    if origin is None or not is_allowed(origin, allowed, host):
        return {"Vary": "Origin"}
    return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}


def preflight_headers(origin: str | None, allowed: frozenset[str], host: str | None) -> dict[str, str]:
    headers = cors_headers(origin, allowed, host)
    if "Access-Control-Allow-Origin" in headers:
        headers.update({"Access-Control-Allow-Methods": CORS_METHODS,
                        "Access-Control-Allow-Headers": "Content-Type", "Access-Control-Max-Age": CORS_MAX_AGE})
    return headers
