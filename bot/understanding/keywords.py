"""Keyword and regex rules from the business profile. Where one matches, it wins over the model."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.understanding.base import IntentSpec


@dataclass(frozen=True, slots=True)
class KeywordRule:
    intent: str
    pattern: re.Pattern[str]


def compile_rules(specs: tuple[IntentSpec, ...] | list[IntentSpec]) -> list[KeywordRule]:
    """A plain word matches as a whole word, case-insensitively; `re:` prefixes a raw regex."""
    rules: list[KeywordRule] = []
    for spec in specs:
        for keyword in spec.keywords:
            if keyword.startswith("re:"):
                pattern = re.compile(keyword[3:], re.IGNORECASE)
            else:
                pattern = re.compile(rf"(?<!\w){re.escape(keyword)}(?!\w)", re.IGNORECASE)
            rules.append(KeywordRule(spec.name, pattern))
    return rules


def match_rules(rules: list[KeywordRule], text: str) -> str | None:
    """The intent of the first rule that matches, in profile order."""
    for rule in rules:
        if rule.pattern.search(text):
            return rule.intent
    return None
