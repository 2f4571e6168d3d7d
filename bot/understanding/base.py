"""The classifier interface and its inputs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.messages import Intent, LabelledExample

__all__ = ["Classifier", "IntentSpec", "LabelledExample"]


@dataclass(frozen=True, slots=True)
class IntentSpec:
    """One owner-defined intent: example phrases and keyword/regex rules that win where they match."""

    name: str
    examples: tuple[str, ...]
    keywords: tuple[str, ...] = ()


class Classifier(Protocol):
    def classify(self, text: str) -> Intent: ...
