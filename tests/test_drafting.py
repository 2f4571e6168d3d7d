"""Templates: sandboxed, strict, per-platform variants, owner overrides, platform limits."""

from datetime import datetime, timezone
from pathlib import Path

from bot.drafting.context import reply_context
from bot.drafting.drafter import Drafter
from bot.profile.load import example_profile_text, parse_profile
from bot.platforms import x_length
from bot.textlimits import split_message
from tests.conftest import EXAMPLE_WRITTEN_ON

PROFILE = parse_profile(example_profile_text(EXAMPLE_WRITTEN_ON))
WEDNESDAY = datetime(2026, 11, 25, 10, 0, tzinfo=timezone.utc)


def context(platform: str = "shell", message: str = "hi", name: str = "Ana") -> dict[str, object]:
    return reply_context(PROFILE, WEDNESDAY, customer_name=name, message=message, platform=platform)


def test_the_platform_variant_is_preferred() -> None:
    drafter = Drafter()
    on_x = drafter.render("hours", "x", context("x", "open on saturday?"))
    elsewhere = drafter.render("hours", "shell", context("shell", "open on saturday?"))
    assert "This week" not in on_x.text and "This week" in elsewhere.text


def test_the_owners_folder_is_searched_first(tmp_path: Path) -> None:
    (tmp_path / "thanks.j2").write_text("Cheers, {{ customer_name }}!", encoding="utf-8")
    assert Drafter(tmp_path).render("thanks", "shell", context()).text == "Cheers, Ana!"


def test_an_undefined_variable_is_an_error_not_a_blank(tmp_path: Path) -> None:
    (tmp_path / "thanks.j2").write_text("Hi {{ customer }}", encoding="utf-8")
    draft = Drafter(tmp_path).render("thanks", "shell", context())
    assert draft.text == "" and "'customer' is undefined" in (draft.error or "")


def test_a_missing_template_says_where_it_looked() -> None:
    draft = Drafter().render("valet", "telegram", context("telegram"))
    assert draft.error == "template 'valet' not found (looked for valet.telegram.j2 and valet.j2)"


def test_a_syntax_error_is_reported(tmp_path: Path) -> None:
    (tmp_path / "thanks.j2").write_text("{% if %}", encoding="utf-8")
    assert "failed" in (Drafter(tmp_path).render("thanks", "shell", context()).error or "")


def test_telegram_variants_escape_customer_text_but_keep_their_markup(tmp_path: Path) -> None:
    (tmp_path / "thanks.telegram.j2").write_text("<b>Thanks</b>, {{ customer_name }}!", encoding="utf-8")
    draft = Drafter(tmp_path).render("thanks", "telegram", context("telegram", name="<i>Bob</i>"))
    assert draft.text == "<b>Thanks</b>, &lt;i&gt;Bob&lt;/i&gt;!"


def test_slack_text_is_escaped_for_mrkdwn() -> None:
    draft = Drafter().render("thanks", "slack", context("slack", name="<@U123>"))
    assert "&lt;@U123&gt;" in draft.text


def test_x_counts_links_as_23_characters() -> None:
    assert x_length("see https://example.org/a/very/long/path/that/goes/on/and/on") == 4 + 23


def test_long_telegram_replies_split_at_word_boundaries() -> None:
    text = ("word " * 1000).strip()
    pieces = split_message(text, 4096)
    assert len(pieces) == 2 and all(len(p) <= 4096 for p in pieces)
    assert " ".join(pieces) == text
