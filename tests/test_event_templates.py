"""`socialdesk check` covers the events templates, including owners' own versions of them."""

from pathlib import Path

from bot.clock import FrozenClock
from bot.drafting.drafter import Drafter
from bot.events.checks import event_problems, event_template_problems
from bot.profile.load import load_profile


def test_shipped_event_templates_render_on_every_platform(profile_dir: Path, clock: FrozenClock) -> None:
    profile = load_profile(profile_dir / "business.yaml")
    assert event_template_problems(Drafter(), profile, clock.now()) == []


def test_a_broken_or_too_long_owner_template_is_reported(profile_dir: Path, clock: FrozenClock) -> None:
    profile = load_profile(profile_dir / "business.yaml")
    own = profile_dir / "templates"
    own.mkdir()
    (own / "rsvp_promotion.j2").write_text("Good news {{ event.nonsense }}\n")
    (own / "event_invite.x.j2").write_text("{{ event.title }} " + "so much to say " * 30 + "\n")
    problems = event_template_problems(Drafter(own), profile, clock.now())
    assert "x: event_invite is longer than x's 280 characters for event 0; shorten the title or the template" in problems
    assert any(p.startswith("telegram: template 'rsvp_promotion' failed") and "nonsense" in p for p in problems)


def test_check_names_a_bad_event_in_the_profile(profile_dir: Path, clock: FrozenClock) -> None:
    path = profile_dir / "business.yaml"
    path.write_text(path.read_text().replace('reminders: ["7d", "1d", "2h"]', 'reminders: ["7d", "soon"]'))
    problems = event_problems(Drafter(), load_profile(path), clock.now())
    assert problems == ['events[0] (winter-tasting-2026): "soon" is not an offset like 7d, 1d, 2h or 30m']
