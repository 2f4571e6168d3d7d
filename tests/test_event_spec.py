"""What the owner types (CLI options, the Slack /event form) becomes a checked event."""

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.errors import DataError
from bot.events.spec import spec_from_fields

LONDON = ZoneInfo("Europe/London")


def test_form_fields_become_an_event_in_the_business_zone() -> None:
    spec = spec_from_fields({"title": " Latte art workshop ", "start": "2027-06-12 10:00", "end": "2027-06-12 12:00",
                             "capacity": "12", "channels": "telegram:@cafe, x", "reminders": "1d, 2h",
                             "description": "", "place": "", "image_url": None, "announce": None}).validated(LONDON)
    assert spec.title == "Latte art workshop" and spec.capacity == 12 and spec.place is None
    assert spec.starts_at.astimezone(timezone.utc) == datetime(2027, 6, 12, 9, 0, tzinfo=timezone.utc)  # BST
    assert spec.channels == ("telegram:@cafe", "x") and spec.reminders == ("1d", "2h")


def test_reminders_default_when_the_field_is_left_out_and_can_be_turned_off() -> None:
    assert spec_from_fields({"title": "Tasting", "start": "2027-01-09 18:00"}).reminders == ("7d", "1d", "2h")
    assert spec_from_fields({"title": "Tasting", "start": "2027-01-09 18:00", "reminders": ""}).reminders == ()


@pytest.mark.parametrize("fields, error", [
    ({"title": "", "start": "2027-01-09 18:00"}, "needs a title and a start time"),
    ({"title": "Tasting", "start": "saturday evening"}, "is not a time like"),
    ({"title": "Tasting", "start": "2027-01-09 18:00", "capacity": "twenty"}, "is not a whole number"),
])
def test_form_mistakes_are_explained(fields: dict[str, str], error: str) -> None:
    with pytest.raises(DataError, match=error):
        spec_from_fields(fields)
