"""Load business.yaml: merge the shipped default intents, validate, and point errors at the line."""

from __future__ import annotations

import reprlib
from datetime import date, datetime, time, timedelta
from importlib import resources
from pathlib import Path
from string import Template
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from pydantic import ValidationError

from bot.errors import ConfigError
from bot.profile.model import BusinessProfile
from bot.profile.safe_yaml import SafeLoader, load_bounded


MAX_ERRORS = 20  # one line each; past that the first ones are what to fix


def default_intents() -> dict[str, Any]:
    text = resources.files("bot.defaults").joinpath("intents.yaml").read_text(encoding="utf-8")
    return yaml.load(text, Loader=SafeLoader)  # noqa: S506 - the safe loader, in C


def default_not_offered() -> list[str]:
    """Shipped examples of requests a small business does not serve (a hotel room, a taxi, a plumber)."""
    text = resources.files("bot.defaults").joinpath("not_offered.yaml").read_text(encoding="utf-8")
    return [str(item) for item in yaml.load(text, Loader=SafeLoader) or []]  # noqa: S506 - as above



EXAMPLE_ZONE = ZoneInfo("Europe/London")
# The example's tasting is named for its season (in Leeds) and comes with that season's bake.
_SEASONS = {12: "winter", 1: "winter", 2: "winter", 3: "spring", 4: "spring", 5: "spring",
            6: "summer", 7: "summer", 8: "summer", 9: "autumn", 10: "autumn", 11: "winter"}
_TREATS = {"winter": "mince pies", "spring": "hot cross buns", "summer": "strawberry tarts", "autumn": "apple cake"}


def example_profile_text(today: date) -> str:
    """The example café, its coffee tasting two weeks after `today` so a new install always has an
    upcoming event; its holiday closures repeat every year."""
    day = today + timedelta(days=14)
    starts = datetime.combine(day, time(18, 30), tzinfo=EXAMPLE_ZONE)
    season = _SEASONS[day.month]
    text = resources.files("bot.defaults").joinpath("business.example.yaml").read_text(encoding="utf-8")
    return Template(text).substitute(
        event_key=f"{season}-tasting-{day.year}", event_title=f"{season.capitalize()} coffee tasting",
        event_treat=_TREATS[season], event_starts_at=starts.isoformat(),
        event_ends_at=(starts + timedelta(hours=1, minutes=30)).isoformat(),
        event_announce_example=datetime.combine(today, time(9), tzinfo=EXAMPLE_ZONE).isoformat())


def load_profile(path: str | Path) -> BusinessProfile:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: not found (run `socialdesk init` to write an example)") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read: {exc.strerror}") from None
    return parse_profile(text, source=path.name)


def parse_profile(text: str, source: str = "business.yaml") -> BusinessProfile:
    root, data = load_bounded(text, source)
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a mapping with at least `business: {{name: ...}}`")
    data["intents"] = _merge_intents(default_intents(), data.get("intents"))
    try:
        return BusinessProfile.model_validate(data)
    except ValidationError as exc:
        lines = [_describe(source, root, error).replace("\n", " ") for error in exc.errors()[:MAX_ERRORS]]
        if exc.error_count() > MAX_ERRORS:
            lines.append(f"{source}: and {exc.error_count() - MAX_ERRORS} more problems")
        raise ConfigError("\n".join(lines)) from None


def _merge_intents(defaults: dict[str, Any], owners: Any) -> Any:
    """The owner's entries override the shipped ones key by key; new names add intents."""
    if owners is None:
        return defaults
    if not isinstance(owners, dict):
        return owners  # let validation say what is wrong
    merged = dict(defaults)
    for name, spec in owners.items():
        if isinstance(spec, dict) and isinstance(merged.get(name), dict):
            merged[name] = {**merged[name], **spec}
        else:
            merged[name] = spec
    return merged


def _describe(source: str, root: yaml.Node | None, error: Any) -> str:
    loc = tuple(part for part in error["loc"] if not str(part).startswith("function-"))
    path = ".".join(str(part) for part in loc) or "(top level)"
    line = _line_of(root, loc)
    where = f"{source}:{line}" if line else source
    return f"{where}: {path}: {_message(error)}"


def _message(error: Any) -> str:
    kind, msg = error["type"], error["msg"]
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return "is not a known key (check the spelling)"
    if kind == "value_error":
        return msg.removeprefix("Value error, ")
    return f"{msg[0].lower()}{msg[1:]} (got {_shown(error.get('input'))})"


def _shown(value: Any, most: int = 60) -> str:
    """A short, one-line picture of a wrong value (it may be huge, or many lines)."""
    short = reprlib.Repr()
    short.maxstring = short.maxother = most
    short.maxlist = short.maxdict = 4
    short.maxlevel = 2
    text = short.repr(value)
    return text if len(text) <= most else text[:most - 1] + "…"


def _line_of(node: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """1-based line of the deepest YAML node along `loc` that exists in the file."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        child = _child(node, part)
        if child is None:
            break
        node = child
        line = node.start_mark.line + 1
    return line


def _child(node: yaml.Node | None, part: Any) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == str(part):
                return value
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        return node.value[part]
    return None
