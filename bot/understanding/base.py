"""The classifier interface and its inputs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.messages import Intent


@dataclass(frozen=True, slots=True)
class IntentSpec:
    """One owner-defined intent: example phrases and keyword/regex rules that win where they match."""

    name: str
    examples: tuple[str, ...]
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LabelledExample:
    """A (text, intent) pair the owner confirmed; intent None means "out of scope"."""

    text: str
    intent: str | None


class Classifier(Protocol):
    def classify(self, text: str) -> Intent: ...
