"""A hostile business.yaml (an alias bomb, absurd nesting, a huge file) is refused in one line that names
the file, fast and without building what it describes, by the CLI as by the loader."""

from __future__ import annotations

import resource
from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.profile.load import example_profile_text, parse_profile
from tests.conftest import EXAMPLE_WRITTEN_ON
from tests.test_cli import run

NAME = "business:\n  name: Corner Bean\n"


def billion_laughs(levels: int = 9) -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, levels):
        refs = ",".join([f"*{chr(96 + level)}"] * 9)
        lines.append(f"{chr(97 + level)}: &{chr(97 + level)} [{refs}]")
    return NAME + "\n".join(lines) + "\n"


def one_line_error(text: str) -> str:
    with pytest.raises(ConfigError) as refused:
        parse_profile(text, source="business.yaml")
    message = str(refused.value)
    assert "\n" not in message and message.startswith("business.yaml"), message
    assert len(message) < 300, message
    return message


def test_an_alias_bomb_is_refused_in_one_short_line_without_being_expanded() -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    message = one_line_error(billion_laughs())
    grew_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert "aliases expand to more than 100,000 values" in message
    assert grew_kib < 50 * 1024  # a billion laughs, expanded, would be gigabytes


def test_an_alias_bomb_under_a_real_key_is_refused_too() -> None:
    bomb = billion_laughs().replace(NAME, "")
    text = example_profile_text(EXAMPLE_WRITTEN_ON) + "\n" + bomb.replace("a: &a", "x_a: &a")
    assert "aliases expand" in one_line_error(text)


def test_an_alias_of_its_own_list_is_refused() -> None:
    assert "alias refers to the list or mapping it is in" in one_line_error(NAME + "loop: &loop [1, *loop]\n")


def test_ten_thousand_nested_lists_are_refused_without_a_traceback() -> None:
    message = one_line_error(NAME + "deep: " + "[" * 10_000 + "]" * 10_000 + "\n")
    assert "business.yaml:3: nested more than 32 levels deep" == message


def test_a_huge_file_is_refused_by_its_size() -> None:
    assert "is larger than 1024 KiB" in one_line_error(NAME + "# " + "x" * (1024 * 1024) + "\n")


def test_a_wrong_value_that_is_huge_is_shown_short() -> None:
    message = one_line_error(example_profile_text(EXAMPLE_WRITTEN_ON).replace("timezone: Europe/London", "timezone: [" + ", ".join(["1"] * 5000) + "]"))
    assert message.startswith("business.yaml:") and "timezone" in message


def test_the_cli_says_one_line_for_a_deep_profile(tmp_path: Path) -> None:
    (tmp_path / "business.yaml").write_text(NAME + "deep: " + "[" * 10_000 + "]" * 10_000 + "\n", encoding="utf-8")
    result = run("check", cwd=tmp_path)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr and "nested more than 32 levels deep" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
