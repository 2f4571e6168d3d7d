"""When each post goes out. Pure functions of the event's time, the business's zone and now.

"1 day before" keeps the wall-clock time across a daylight-saving change (an event at 18:30 the day
after the clocks change is reminded at 18:30 the day before); hours and minutes are exact durations.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from bot.events.model import InvitePlan, Offset, Target
from storage.outbox_rows import event_key

ANNOUNCE, REMINDER, ATTENDEES = "announce", "reminder", "attendees"


@dataclass(frozen=True, slots=True)
class PlannedPost:
    """One post to make: `post` is "announce", "reminder-7d" or "attendees-1d"; `target` None for attendee DMs."""

    target: Target | None
    post: str
    due_at: datetime

    @property
    def kind(self) -> str:
        return self.post.split("-", 1)[0]


def before(starts_at: datetime, offset: Offset, zone: ZoneInfo) -> datetime:
    """The moment `offset` before `starts_at`: whole days on the local calendar, the rest exactly."""
    local = starts_at.astimezone(zone).replace(tzinfo=None) - timedelta(days=offset.days)
    # Re-attach the zone to the same wall-clock time; a time that does not exist (the spring gap)
    # comes out an hour later once normalised through UTC.
    wall = local.replace(tzinfo=zone).astimezone(timezone.utc)
    return wall - timedelta(hours=offset.hours, minutes=offset.minutes)


def plan_posts(starts_at: datetime, zone: ZoneInfo, plan: InvitePlan, now: datetime) -> list[PlannedPost]:
    """Every post still worth making, in time order. Nothing for an event that has started.

    The announcement goes at its time, or now if that has passed. A reminder that would fall before
    the announcement, or in the past, is dropped: the announcement already carries the news."""
    if starts_at <= now:
        return []
    announce = max(plan.announce_at or now, now)
    posts = [PlannedPost(t, ANNOUNCE, announce) for t in plan.targets]
    # Where the invite went to each customer, reminders would write to them all again: only those going
    # are reminded there, by the attendee reminder, where the platform's rules let it reach them.
    channels = [t for t in plan.targets if not t.each_customer]
    for offset in plan.reminders:
        due = before(starts_at, offset, zone)
        if announce < due < starts_at:
            posts.extend(PlannedPost(t, f"{REMINDER}-{offset.label}", due) for t in channels)
    if plan.attendee_reminder is not None:
        due = before(starts_at, plan.attendee_reminder, zone)
        if now <= due < starts_at:
            posts.append(PlannedPost(None, f"{ATTENDEES}-{plan.attendee_reminder.label}", due))
    return sorted(posts, key=lambda p: (p.due_at, p.post, p.target.name if p.target else ""))


def should_send_late(starts_at: datetime, now: datetime) -> bool:
    """A post that comes due late (after downtime) still goes out while the event has not started."""
    return now < starts_at


def superseded(due_at: datetime, other_due_times: list[datetime], now: datetime) -> bool:
    """A late reminder is dropped when a later reminder for the same channel is also due already:
    after downtime the channel gets one reminder, not a burst of stale ones."""
    return any(due_at < other <= now for other in other_due_times)


def post_key(event_id: int, post: PlannedPost, sequence: int) -> str:
    return event_key(event_id, post.target.name if post.target else "dm", post.post, version=sequence)
