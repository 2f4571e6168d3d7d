"""Web chat requests, parsed and validated: pure functions from request data to typed values.

A visitor is identified only by a random token the browser made (128 bits or more, kept in
localStorage). Whoever holds the token can read that visitor's replies, so its shape is checked
strictly: short or guessable ids are refused before anything is read or recorded.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime

from bot.errors import BadPayload
from bot.messages import Inbound, Sender

PLATFORM = "webchat"
MESSAGES_PATH = "/webchat/messages"
MAX_BODY_BYTES = 8_192  # the most a POST to MESSAGES_PATH may carry; larger bodies are refused unread
MAX_TEXT_CHARS = 2_000
MAX_NAME_CHARS = 80
DEFAULT_NAME = "Website visitor"
# 22 base64url characters or 32 hex characters carry 128 random bits; ask for at least that.
VISITOR_ID = re.compile(r"[A-Za-z0-9_-]{22,64}")
CLIENT_MESSAGE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
# Control characters other than tab and newline (NUL breaks Postgres text columns).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class ChatPost:
    visitor_id: str
    name: str
    text: str
    client_message_id: str


def parse_post(body: bytes, max_text_chars: int = MAX_TEXT_CHARS) -> ChatPost:
    """The JSON body of POST /webchat/messages; BadPayload names the first problem."""
    if len(body) > MAX_BODY_BYTES:
        raise BadPayload(f"the request body is larger than {MAX_BODY_BYTES} bytes")
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise BadPayload("the request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise BadPayload("the request body must be a JSON object")
    text = _clean(_field(data, "text", required=True))
    if not text:
        raise BadPayload("text must not be empty")
    if len(text) > max_text_chars:
        raise BadPayload(f"text is longer than {max_text_chars} characters")
    name = _clean(_field(data, "name", required=False))
    if len(name) > MAX_NAME_CHARS:
        raise BadPayload(f"name is longer than {MAX_NAME_CHARS} characters")
    client_id = _field(data, "client_message_id", required=True)
    if not CLIENT_MESSAGE_ID.fullmatch(client_id):
        raise BadPayload("client_message_id must be 1-64 letters, digits, '-' or '_'")
    return ChatPost(parse_visitor_id(_field(data, "visitor_id", required=True)), name, text, client_id)


def parse_visitor_id(value: str | None) -> str:
    if not value:
        raise BadPayload("visitor_id is required")
    if not VISITOR_ID.fullmatch(value):
        raise BadPayload("visitor_id must be a random token of 22-64 letters, digits, '-' or '_'")
    return value


def parse_cursor(value: str | None) -> int:
    """The `after` query parameter: the id of the last reply the visitor has (0 or absent: none)."""
    if value is None or value == "":
        return 0
    if not value.isascii() or not value.isdigit() or len(value) > 18:
        raise BadPayload("after must be a reply id (a whole number)")
    return int(value)


def parse_wait(value: str | None, longest: float) -> float:
    """The optional `wait` query parameter (seconds), capped at the configured long-poll time."""
    if value is None or value == "":
        return longest
    try:
        seconds = float(value)
    except ValueError:
        raise BadPayload("wait must be a number of seconds") from None
    if seconds != seconds:  # NaN
        raise BadPayload("wait must be a number of seconds")
    return min(max(seconds, 0.0), longest)


def to_inbound(post: ChatPost, received_at: datetime) -> Inbound:
    """The visitor's message for the router. The client's id makes a retried POST a duplicate."""
    return Inbound(
        platform=PLATFORM, kind="dm", external_id=f"{post.visitor_id}:{post.client_message_id}",
        thread_key=post.visitor_id, sender=Sender(post.visitor_id, post.name or DEFAULT_NAME),
        text=post.text, received_at=received_at,
        raw={"client_message_id": post.client_message_id, "name": post.name})


def _field(data: dict[str, object], key: str, *, required: bool) -> str:
    value = data.get(key)
    if value is None:
        if required:
            raise BadPayload(f"{key} is required")
        return ""
    if not isinstance(value, str):
        raise BadPayload(f"{key} must be a string")
    return value


def _clean(value: str) -> str:
    return _CONTROL.sub("", value).strip()
