"""The owner's view of who is coming: rows and CSV (the CLI and the owner's Slack use the same)."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Sequence

from bot.events.model import OVER, SCHEDULED
from storage.events import EventRecord, RsvpRecord

CSV_HEADER = ("name", "platform", "party_size", "status")


def attendee_rows(answers: Sequence[RsvpRecord]) -> list[tuple[str, str, int, str]]:
    return [(r.display_name, r.platform, r.party_size, r.status) for r in answers]


def attendees_csv(answers: Sequence[RsvpRecord]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    writer.writerows(attendee_rows(answers))
    return buffer.getvalue()


def status_at(event: EventRecord, now: datetime) -> str:
    """A scheduled event is over once it has ended (or started, when it has no end time)."""
    if event.status == SCHEDULED and (event.ends_at or event.starts_at) <= now:
        return OVER
    return event.status
