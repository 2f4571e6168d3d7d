"""X (Twitter), the pure half: API v2 mentions and DM events → Inbound, and Outbound → a post or a DM.

Mentions come from GET /2/users/:id/mentions, direct messages from GET /2/dm_events (both with the
`author_id` / `sender_id` user expansion). Our own posts and messages, retweets and non-message DM
events are ignored. The adapter that polls and sends lives in bot/handlers/x/channel.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping

from bot.errors import BadPayload
from bot.logs import fingerprint
from bot.messages import Inbound, Outbound, Sender

PLATFORM = "x"
DM_PREFIX = "dm:"
TWEET_FIELDS = ("created_at", "conversation_id", "author_id", "in_reply_to_user_id", "referenced_tweets",
                "attachments", "entities")
DM_FIELDS = ("id", "text", "event_type", "created_at", "sender_id", "dm_conversation_id", "attachments")
USER_FIELDS = ("name", "username")
_LEADING_MENTIONS = re.compile(r"^(?:@\w+\s+)+")


def users_by_id(page: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    users = (page.get("includes") or {}).get("users") if isinstance(page.get("includes"), Mapping) else None
    return {str(u["id"]): u for u in users or [] if isinstance(u, Mapping) and "id" in u}


def mention_to_inbound(tweet: Mapping[str, Any], users: Mapping[str, Mapping[str, Any]], me: str) -> Inbound | None:
    """One post from the mentions timeline, or None for our own posts and retweets."""
    try:
        author = str(tweet["author_id"])
        if author == me or any(r.get("type") == "retweeted" for r in tweet.get("referenced_tweets") or []):
            return None
        user = users.get(author) or {"id": author, "name": "", "username": None}
        post_id, text = _id(tweet), _text(tweet["text"])
        conversation = str(tweet.get("conversation_id") or post_id)
        return Inbound(
            platform=PLATFORM, kind="mention", external_id=post_id,
            thread_key=f"mention:{conversation}:{author}", sender=_sender(user, author),
            text=_LEADING_MENTIONS.sub("", text).strip() or text,
            received_at=_time(tweet["created_at"]), link=_post_link(user, post_id),
            has_attachment=bool(tweet.get("attachments")), raw=tweet,
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise BadPayload(f"X post {_reference(tweet)} is malformed: {exc!r}") from exc


def dm_to_inbound(event: Mapping[str, Any], users: Mapping[str, Mapping[str, Any]], me: str) -> Inbound | None:
    """One DM event, or None for our own messages and for joins, leaves and other event types."""
    try:
        if event.get("event_type") != "MessageCreate" or str(event["sender_id"]) == me:
            return None
        sender = str(event["sender_id"])
        return Inbound(
            platform=PLATFORM, kind="dm", external_id=f"{DM_PREFIX}{_id(event)}",
            thread_key=f"{DM_PREFIX}{event['dm_conversation_id']}",
            sender=_sender(users.get(sender) or {"name": "", "username": None}, sender),
            text=_text(event["text"]), received_at=_time(event["created_at"]),
            has_attachment=bool(event.get("attachments")), raw=event,
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise BadPayload(f"X DM event {_reference(event)} is malformed: {exc!r}") from exc


@dataclass(frozen=True, slots=True)
class Unreadable:
    """A post or DM event on a page that cannot be read, with what the owner can be told of it."""

    item_id: str | None  # X's id, when it is one
    reference: str  # how the owner's note names it: "post 1861…", or a fingerprint of an item without an id
    error: str
    sender: str | None = None
    text: str | None = None


@dataclass(frozen=True, slots=True)
class PageRead:
    """One page: its customer messages oldest first, and the items that could not be read."""

    inbounds: list[Inbound]
    unreadable: list[Unreadable]


def read_page(page: Mapping[str, Any], me: str, direct: bool) -> PageRead:
    """Every customer message on one page of mentions (direct=False) or DM events. An item that cannot
    be read is set aside, never a reason to drop the page: the others are read as usual."""
    users = users_by_id(page)
    parse = dm_to_inbound if direct else mention_to_inbound
    found: list[Inbound] = []
    unreadable: list[Unreadable] = []
    data = page.get("data")
    for item in data if isinstance(data, list) else []:
        try:
            if not isinstance(item, Mapping):
                raise BadPayload(f"X {'DM event' if direct else 'post'} is not an object: {item!r:.80}")
            inbound = parse(item, users, me)
        except BadPayload as exc:
            unreadable.append(_unreadable(item, users, direct, exc))
            continue
        if inbound is not None:
            found.append(inbound)
    return PageRead(sorted(found, key=numeric_id), unreadable)


def page_to_inbound(page: Mapping[str, Any], me: str, direct: bool) -> list[Inbound]:
    """Every customer message on one page, oldest first; BadPayload for the first item that cannot be read."""
    read = read_page(page, me, direct)
    if read.unreadable:
        raise BadPayload(read.unreadable[0].error.removeprefix("BadPayload: "))
    return read.inbounds


def numeric_id(inbound: Inbound) -> int:
    return int(inbound.external_id.removeprefix(DM_PREFIX))


def item_number(item: Any) -> int | None:
    """X's id of a raw post or DM event as a number, None when it has none."""
    value = item.get("id") if isinstance(item, Mapping) else None
    text = str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    return int(text) if text.isascii() and text.isdigit() else None


def _unreadable(item: Any, users: Mapping[str, Mapping[str, Any]], direct: bool, exc: BadPayload) -> Unreadable:
    number, error = item_number(item), f"{type(exc).__name__}: {exc}"
    what = "DM event" if direct else "post"
    reference = f"{what} {number}" if number is not None else f"{what} {fingerprint(repr(item))}"
    if not isinstance(item, Mapping):
        return Unreadable(None, reference, error)
    author = item.get("sender_id" if direct else "author_id")
    user = users.get(str(author)) if isinstance(author, (str, int)) else None
    name = user.get("name") if user else None
    text = item.get("text")
    return Unreadable(str(number) if number is not None else None, reference, error,
                      name if isinstance(name, str) else None, text if isinstance(text, str) else None)


def _reference(item: Any) -> str:
    return repr(item.get("id")) if isinstance(item, Mapping) else "?"


def _id(item: Mapping[str, Any]) -> str:
    number = item_number(item)
    if number is None:
        raise ValueError(f"id {item.get('id')!r} is not X's numeric id")
    return str(number)


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"text is {type(value).__name__}, not a string")
    return value


def _sender(user: Mapping[str, Any], user_id: str) -> Sender:
    handle = user.get("username") if isinstance(user.get("username"), str) else None
    name = user.get("name") if isinstance(user.get("name"), str) else None
    return Sender(platform_user_id=user_id, display_name=name or handle or "there", handle=handle)


def _time(value: str) -> datetime:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"time without a zone: {value}")
    return moment


def _post_link(user: Mapping[str, Any], post_id: str) -> str:
    return f"https://x.com/{user.get('username') or 'i'}/status/{post_id}"


@dataclass(frozen=True, slots=True)
class XRequest:
    """A reply as one API call: a post in reply (POST /2/tweets) or a DM (POST /2/dm_conversations/...)."""

    text: str
    in_reply_to_tweet_id: str | None = None
    dm_participant_id: str | None = None

    @property
    def is_dm(self) -> bool:
        return self.dm_participant_id is not None


def reply_request(outbound: Outbound) -> XRequest:
    """DM conversations answer by DM to the customer; public mentions answer in reply to their post
    (or, for an owner's message without one, to the conversation's first post)."""
    if outbound.thread_key.startswith(DM_PREFIX):
        if not outbound.recipient_id:
            raise BadPayload(f"an X DM reply needs the customer's user id (thread {outbound.thread_key})")
        return XRequest(outbound.text, dm_participant_id=outbound.recipient_id)
    reply_to = outbound.reply_to
    if not reply_to or not reply_to.isdigit():
        parts = outbound.thread_key.split(":")
        reply_to = parts[1] if len(parts) == 3 and parts[0] == "mention" else None
    return XRequest(outbound.text, in_reply_to_tweet_id=reply_to)
