"""Inbound updates that cannot be handled. A failure that is the update's own (a payload we cannot read,
a bug it trips) is recorded as failed and the owner is told, so it neither vanishes nor blocks the
updates behind it. A database or network outage is different: every later update would fail the same
way, so the caller retries it instead, a few times, before it too is recorded as failed."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.exc import InterfaceError, OperationalError

from bot.clock import Clock
from bot.errors import StorageError
from storage import audit, outbox
from storage.engine import Database
from storage.outbox_rows import OwnerNote, note_key

log = logging.getLogger(__name__)
# How many times an update that failed in an outage is tried before it is recorded as failed.
OUTAGE_TRIES = 3
_QUOTED_CHARS = 500


@dataclass(frozen=True, slots=True)
class Unhandled:
    """One update that could not be handled, as the owner is told of it."""

    platform: str
    reference: str  # the platform's id for the update or message
    error: str
    sender: str | None = None
    text: str | None = None

    def note(self) -> str:
        said = f" {self.sender or 'The customer'} wrote: “{_quoted(self.text)}”" if self.text else ""
        return f"A {self.platform} message could not be handled and got no answer ({self.error}).{said}"


def is_outage(exc: BaseException) -> bool:
    """Whether `exc` says the database or the network is down rather than something about this update."""
    return isinstance(exc, (StorageError, OperationalError, InterfaceError, OSError, TimeoutError))


class OutageTries:
    """How often each update has failed in an outage. `retry` says whether to give it back for another
    try (an outage, fewer than OUTAGE_TRIES so far) or to record it as failed now."""

    def __init__(self) -> None:
        self._tries: dict[object, int] = {}

    def retry(self, key: object, exc: BaseException) -> bool:
        tries = self._tries.get(key, 0) + 1
        if is_outage(exc) and tries < OUTAGE_TRIES:
            self._tries[key] = tries
            return True
        self._tries.pop(key, None)
        return False

    def done(self, key: object) -> None:
        self._tries.pop(key, None)


def describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}".rstrip(": ")


async def record_unhandled(db: Database, clock: Clock, failure: Unhandled) -> None:
    """Record the failure and queue a note for the owner's desk; once per update however often called.
    Raises if the database cannot take it either, so the caller keeps the update and tries again."""
    log.warning("inbound update not handled", extra={"platform": failure.platform, "reference": failure.reference,
                                                     "error": failure.error})
    now = clock.now()
    subject = f"{failure.platform}:{failure.reference}"
    async with db.session() as session:
        queued = await outbox.queue(session, note_key("unhandled", subject), OwnerNote(failure.note()), now=now)
        if queued:
            await audit.record(session, at=now, actor="socialdesk", action="inbound_failed", subject=subject,
                               detail={"error": failure.error})


def _quoted(text: str | None) -> str:
    text = (text or "").replace("\x00", "").strip()
    return text if len(text) <= _QUOTED_CHARS else text[:_QUOTED_CHARS - 1] + "…"
