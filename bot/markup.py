"""Each platform's reply markup, in one place: how plain words are escaped for it, and read back.

Drafts are stored in their platform's markup (a Telegram draft is HTML). Words the owner types are
plain text, so they are escaped once on the way out; a draft shown to the owner for editing is shown
plain, so an edit box never asks them to type `&amp;`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable

_TAG = re.compile(r"<[^<>]*>")


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _slack_plain(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


ESCAPES: dict[str, Callable[[str], str]] = {
    "telegram": lambda text: html.escape(text, quote=False),
    "slack": _slack_escape,
}
def _telegram_plain(text: str) -> str:
    return html.unescape(_TAG.sub("", text))


_PLAIN: dict[str, Callable[[str], str]] = {"telegram": _telegram_plain, "slack": _slack_plain}


def escape_for(platform: str, text: str) -> str:
    """Plain words made safe in the platform's markup (unchanged where the platform has none)."""
    escape = ESCAPES.get(platform)
    return escape(text) if escape else text


def plain_text(platform: str, text: str) -> str:
    """A draft in the platform's markup, as the words a person reads (tags dropped, entities decoded)."""
    plain = _PLAIN.get(platform)
    return plain(text) if plain else text
