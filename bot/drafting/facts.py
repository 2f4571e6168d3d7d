"""The business's facts as templates read them: a fact left out of business.yaml fails the reply, never
fills it with something invented, so the message goes to the owner with the reason."""

from __future__ import annotations

from typing import Any

from jinja2.exceptions import UndefinedError

from bot.profile.model import BusinessProfile, FactsConfig

MISSING = "business.yaml has no facts."


class Facts:
    """`facts.parking` in a template: the owner's words, or an error naming the missing key."""

    __slots__ = ("_values",)

    def __init__(self, config: FactsConfig) -> None:
        self._values = {k: v.strip() for k, v in config.model_dump().items() if isinstance(v, str) and v.strip()}

    def __getattr__(self, name: str) -> str:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self._values[name]
        except KeyError:
            raise UndefinedError(f"{MISSING}{name}, so this reply is left to the owner") from None

    def has(self, name: str) -> bool:
        return name in self._values


def with_facts(context: dict[str, Any], profile: BusinessProfile) -> dict[str, Any]:
    return {**context, "facts": facts_of(profile.facts)}


_latest: tuple[FactsConfig, Facts] | None = None


def facts_of(config: FactsConfig) -> Facts:
    """The facts of `config`, made once for the profile in use rather than for every reply: a profile is
    replaced, never changed, when the owner edits business.yaml."""
    global _latest
    if _latest is None or _latest[0] is not config:
        _latest = (config, Facts(config))
    return _latest[1]


def is_missing_fact(error: str | None) -> bool:
    """A reply held because the owner has not given its fact: by design, not a broken template."""
    return error is not None and MISSING in error
