"""Every config error names the file, the line, the key path and what was expected."""

from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.profile import example_profile_text, load_profile, parse_profile

MINIMAL = "business:\n  name: Bakery\n"


def error_of(text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_profile(text)
    return str(caught.value)


def test_the_example_profile_is_valid() -> None:
    profile = parse_profile(example_profile_text())
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
