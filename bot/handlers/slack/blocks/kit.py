"""The Block Kit pieces every owner view is built from, with Slack's size limits applied in one place."""

from __future__ import annotations

import re
from typing import Any

from bot.platforms import escape_for

Block = dict[str, Any]
# Slack rejects a whole message or view when one text is over its limit, so every text is cut to fit.
SECTION_LIMIT, HEADER_LIMIT = 3000, 150
_CUT_ENTITY = re.compile(r"&[a-z]{0,4}$")


def escape(text: str) -> str:
    """Customer words shown as mrkdwn: Slack's three control characters escaped (once, on raw text)."""
    return escape_for("slack", text)


def clip(text: str, most: int) -> str:
    """At most `most` characters of mrkdwn, never ending inside an entity such as `&amp;`."""
    if len(text) <= most:
        return text
    return _CUT_ENTITY.sub("", text[:most])


def plain(text: str) -> Block:
    return {"type": "plain_text", "text": text}


def section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(text, SECTION_LIMIT)}}


def header(text: str) -> Block:
    return {"type": "header", "text": plain(text[:HEADER_LIMIT])}


def context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(text, SECTION_LIMIT)}]}


def button(label: str, action_id: str, value: str, style: str | None = None, confirm: Block | None = None) -> Block:
    element: Block = {"type": "button", "text": plain(label), "action_id": action_id, "value": value}
    if style:
        element["style"] = style
    if confirm:
        element["confirm"] = confirm
    return element
