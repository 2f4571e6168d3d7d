"""When posts go out: offsets, the business's time zone, the DST week, and late posts after downtime."""

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.errors import DataError
from bot.events.model import InvitePlan, Offset, Target
from bot.events.planning import before, plan_posts, post_key, should_send_late, superseded

LONDON = ZoneInfo("Europe/London")
UTC = timezone.utc


def at(year: int, month: int, day: int, hour: int, minute: int = 0, zone: ZoneInfo = LONDON) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=zone)


def test_offsets_are_read_from_short_labels() -> None:
    assert Offset.parse("7d") == Offset(days=7)
    assert Offset.parse("2h") == Offset(hours=2)
    assert Offset.parse("1d12h") == Offset(days=1, hours=12)
    assert Offset.parse("90m").label == "90m"
    for bad in ("", "2 days", "d", "-1d"):
        with pytest.raises(DataError):
            Offset.parse(bad)


def test_day_before_an_event_just_after_the_clocks_go_forward_keeps_the_wall_clock_time() -> None:
    # Europe/London moves from GMT to BST at 01:00 UTC on Sunday 28 March 2027.
    event = at(2027, 3, 28, 18, 30)  # 17:30 UTC, in summer time
    reminder = before(event, Offset(days=1), LONDON)
    assert reminder.astimezone(LONDON).strftime("%a %d %H:%M %Z") == "Sat 27 18:30 GMT"
    assert event - reminder == timedelta(hours=23)  # not a naive 24 hours


def test_week_before_and_day_before_across_the_autumn_change_keep_the_wall_clock_time() -> None:
    # Clocks go back on Sunday 31 October 2027.
    event = at(2027, 11, 1, 19, 0)
    assert before(event, Offset(days=7), LONDON).astimezone(LONDON).strftime("%d %H:%M %Z") == "25 19:00 BST"
    assert before(event, Offset(days=1), LONDON).astimezone(LONDON).strftime("%d %H:%M %Z") == "31 19:00 GMT"


def test_hours_before_are_exact_durations_even_across_the_change() -> None:
    event = at(2027, 3, 28, 3, 0)  # 02:00 UTC, one hour after the change
    assert event - before(event, Offset(hours=2), LONDON) == timedelta(hours=2)
    assert before(event, Offset(hours=2), LONDON).astimezone(UTC) == datetime(2027, 3, 28, 0, 0, tzinfo=UTC)


def test_a_day_before_lands_in_the_spring_gap_moves_an_hour_later() -> None:
    event = at(2027, 3, 29, 1, 30)  # the day before at 01:30 does not exist in London
    assert before(event, Offset(days=1), LONDON).astimezone(LONDON).strftime("%d %H:%M") == "28 02:30"


def test_times_follow_the_business_zone_not_utc() -> None:
    tokyo = ZoneInfo("Asia/Tokyo")
    event = at(2026, 12, 5, 9, 0, tokyo)
    assert before(event, Offset(days=1), tokyo) == at(2026, 12, 4, 9, 0, tokyo)


def test_plan_announces_then_reminds_at_each_offset_on_every_channel() -> None:
    now = at(2026, 11, 25, 10)
    plan = InvitePlan.build(["telegram:@cafe", "x"], announce_at=at(2026, 11, 26, 9))
    posts = plan_posts(at(2026, 12, 12, 10), LONDON, plan, now)
    schedule = [(p.post, p.target.name if p.target else "dm", p.due_at.astimezone(LONDON).strftime("%d %H:%M"))
                for p in posts]
    assert schedule == [
        ("announce", "telegram:@cafe", "26 09:00"), ("announce", "x", "26 09:00"),
        ("reminder-7d", "telegram:@cafe", "05 10:00"), ("reminder-7d", "x", "05 10:00"),
        ("attendees-1d", "dm", "11 10:00"),
        ("reminder-1d", "telegram:@cafe", "11 10:00"), ("reminder-1d", "x", "11 10:00"),
        ("reminder-2h", "telegram:@cafe", "12 08:00"), ("reminder-2h", "x", "12 08:00"),
    ]


def test_reminders_due_before_the_announcement_or_in_the_past_are_dropped() -> None:
    now = at(2026, 12, 9, 12)
    plan = InvitePlan.build(["x"])  # announce now
    posts = plan_posts(at(2026, 12, 12, 10), LONDON, plan, now)
    assert [p.post for p in posts] == ["announce", "attendees-1d", "reminder-1d", "reminder-2h"]
    assert posts[0].due_at == now


def test_an_announcement_time_in_the_past_means_now_and_nothing_is_planned_once_started() -> None:
    now = at(2026, 11, 25, 10)
    plan = InvitePlan.build(["x"], announce_at=at(2026, 11, 1, 9), reminders=())
    assert plan_posts(at(2026, 12, 1, 10), LONDON, plan, now)[0].due_at == now
    assert plan_posts(at(2026, 11, 25, 9), LONDON, plan, now) == []


def test_channels_must_be_known_platforms() -> None:
    assert Target.parse("telegram:@cafe").thread_key == "@cafe"
    assert Target.parse("X").thread_key == "announcements"
    with pytest.raises(DataError, match="must be one of"):
        Target.parse("facebook")


def test_late_posts_go_out_until_the_event_starts() -> None:
    starts = at(2026, 12, 12, 10)
    assert should_send_late(starts, starts - timedelta(minutes=1))
    assert not should_send_late(starts, starts)
    assert not should_send_late(starts, starts + timedelta(days=1))


def test_a_stale_reminder_gives_way_to_a_later_one_that_is_also_due() -> None:
    now = at(2026, 12, 11, 12)
    seven, one, two_hours = at(2026, 12, 5, 10), at(2026, 12, 11, 10), at(2026, 12, 12, 8)
    assert superseded(seven, [one, two_hours], now)
    assert not superseded(one, [seven, two_hours], now)


def test_post_keys_are_stable_per_channel_post_and_version() -> None:
    plan = InvitePlan.build(["telegram:@cafe"], reminders=())
    post = plan_posts(at(2026, 12, 12, 10), LONDON, plan, at(2026, 11, 25, 10))[0]
    assert post_key(7, post, 2) == "event:7:telegram:@cafe:announce:2"
