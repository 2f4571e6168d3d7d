"""Platform length limits, counted the way each platform counts."""

from __future__ import annotations

import re
import unicodedata

# Telegram splits long replies into several messages, so only X's limit holds a draft back.
HARD_LIMITS: dict[str, int] = {"x": 280}
TELEGRAM_MESSAGE_LIMIT = 4096
X_URL_LENGTH = 23
PLATFORM_NAMES: dict[str, str] = {"x": "X", "telegram": "Telegram", "slack": "Slack", "email": "email"}
_URL = re.compile(r"https?://\S+", re.IGNORECASE)


def x_length(text: str) -> int:
    """X counts each URL as 23 and wide characters (CJK, emoji) as 2."""
    without_urls = _URL.sub("", text)
    urls = len(_URL.findall(text))
    weighted = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in without_urls)
    return weighted + urls * X_URL_LENGTH


def length_on(platform: str, text: str) -> int:
    return x_length(text) if platform == "x" else len(text)


def limit_of(platform: str) -> int | None:
    return HARD_LIMITS.get(platform)


def fits(platform: str, text: str) -> bool:
    limit = limit_of(platform)
    return limit is None or length_on(platform, text) <= limit


def too_long_reason(platform: str) -> str:
    """What the owner reads when a reply is over the platform's limit."""
    return f"reply is longer than {PLATFORM_NAMES.get(platform, platform)}'s {limit_of(platform)} characters"


def split_message(text: str, limit: int = TELEGRAM_MESSAGE_LIMIT) -> list[str]:
    """Split at paragraph, line, then word boundaries so no piece exceeds `limit`."""
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = max(rest.rfind("\n\n", 0, limit), rest.rfind("\n", 0, limit), rest.rfind(" ", 0, limit))
        if cut <= 0:
            cut = limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces
