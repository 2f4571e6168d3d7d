"""Every config error names the file, the line, the key path and what was expected."""

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.errors import ConfigError
from bot.profile.load import example_profile_text, load_profile, parse_profile
from tests.conftest import EXAMPLE_WRITTEN_ON

MINIMAL = "business:\n  name: Bakery\n"


def error_of(text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_profile(text)
    return str(caught.value)


def test_the_example_profile_is_valid() -> None:
    profile = parse_profile(example_profile_text(EXAMPLE_WRITTEN_ON))
    assert profile.business.name == "Corner Bean Café"
    assert {"hours", "refund", "wifi", "dogs"} <= set(profile.active_intents())


def test_bad_hours_name_the_day_and_the_line() -> None:
    text = MINIMAL + "hours:\n  mon: \"8-18\"\n"
    assert error_of(text) == 'business.yaml:4: hours.mon: "8-18" is not HH:MM-HH:MM (or "closed")'


def test_a_typo_in_a_key_is_reported_as_unknown() -> None:
    text = MINIMAL + "  adress: 1 High St\n"
    assert error_of(text) == "business.yaml:3: business.adress: is not a known key (check the spelling)"


def test_a_missing_business_name_is_required() -> None:
    assert "business.name: is required" in error_of("business:\n  timezone: UTC\n")


def test_an_unknown_time_zone_is_explained() -> None:
    error = error_of(MINIMAL + "  timezone: Europe/Londn\n")
    assert error == 'business.yaml:3: business.timezone: "Europe/Londn" is not an IANA time zone such as "Europe/London"'


def test_a_holiday_needs_closed_or_hours() -> None:
    text = MINIMAL + "hours:\n  exceptions:\n    - date: 2026-12-25\n      note: Christmas\n"
    assert error_of(text) == "business.yaml:5: hours.exceptions.0: give either closed: true or hours: HH:MM-HH:MM"


def test_a_threshold_out_of_range_names_its_key() -> None:
    error = error_of(MINIMAL + "policy:\n  auto_send_threshold: 7\n")
    assert error.startswith("business.yaml:4: policy.auto_send_threshold: input should be less than or equal to 1")


def test_an_intent_field_of_the_wrong_type_names_the_intent() -> None:
    error = error_of(MINIMAL + "intents:\n  hours:\n    auto_send: maybe\n")
    assert error.startswith("business.yaml:5: intents.hours.auto_send:")


def test_owner_overrides_keep_the_shipped_examples() -> None:
    profile = parse_profile(MINIMAL + "intents:\n  hours:\n    auto_send: false\n")
    hours = profile.active_intents()["hours"]
    assert hours.auto_send is False and len(hours.examples) >= 15


def test_invalid_yaml_points_at_the_line() -> None:
    assert error_of(MINIMAL + "hours: [unclosed\n").startswith("business.yaml:4: not valid YAML")


def test_several_errors_are_all_reported() -> None:
    error = error_of(MINIMAL + "hours:\n  mon: nine\n  tue: \"25:00-26:00\"\n")
    assert error.count("\n") == 1 and "hours.mon" in error and "hours.tue" in error


def test_a_missing_file_says_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"business.yaml: not found \(run `socialdesk init`"):
        load_profile(tmp_path / "business.yaml")


def test_an_hour_without_a_leading_zero_is_accepted() -> None:
    hours = parse_profile(MINIMAL + 'hours:\n  mon: "7:30-18:00"\n').opening_hours()
    assert str(hours.on(date(2026, 11, 30))) == "07:30–18:00"


def test_an_impossible_date_is_one_line_naming_the_key() -> None:
    text = MINIMAL + "hours:\n  exceptions:\n    - date: 2026-12-32\n      closed: true\n"
    assert error_of(text) == ('business.yaml:5: hours.exceptions.0.date: "2026-12-32" is not a date like '
                              "2027-04-02 (that day only) or 12-25 (every year)")


def test_an_impossible_event_time_is_one_line_naming_the_key() -> None:
    text = MINIMAL + "events:\n  - key: party\n    title: Party\n    starts_at: 2026-02-30T18:00:00+00:00\n"
    error = error_of(text)
    assert error.startswith("business.yaml:6: events.0.starts_at:") and "\n" not in error


def test_a_closure_without_a_year_repeats_every_year_and_a_dated_one_wins() -> None:
    text = MINIMAL + ('hours:\n  sat: "09:00-17:00"\n  exceptions:\n    - {date: "12-25", closed: true, note: Christmas}\n'
                      '    - {date: 2027-12-25, hours: "10:00-12:00", note: Christmas brunch}\n')
    hours = parse_profile(text).opening_hours()
    assert hours.on(date(2026, 12, 25)).closed and hours.on(date(2031, 12, 25)).note == "Christmas"
    assert str(hours.on(date(2027, 12, 25))) == "10:00–12:00"


def test_hours_can_run_past_midnight() -> None:
    hours = parse_profile(MINIMAL + '  timezone: Europe/London\nhours:\n  fri: "18:00-02:00"\n').opening_hours()
    london = ZoneInfo("Europe/London")
    assert hours.is_open(datetime(2026, 11, 27, 23, 30, tzinfo=london))  # Friday night
    assert hours.is_open(datetime(2026, 11, 28, 1, 30, tzinfo=london))  # Saturday, small hours: still Friday's
    assert not hours.is_open(datetime(2026, 11, 28, 2, 0, tzinfo=london))
    assert not hours.is_open(datetime(2026, 11, 28, 23, 0, tzinfo=london))  # Saturday is closed
