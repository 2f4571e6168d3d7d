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
from bot.messages import Inbound, Outbound, Sender

PLATFORM = "x"
DM_PREFIX = "dm:"
TWEET_FIELDS = ("created_at", "conversation_id", "author_id", "in_reply_to_user_id", "referenced_tweets",
                "attachments", "entities")
DM_FIELDS = ("id", "text", "event_type", "created_at", "sender_id", "dm_conversation_id", "attachments")
USER_FIELDS = ("name", "username")
_LEADING_MENTIONS = re.compile(r"^(?:@\w+\s+)+")


def users_by_id(page: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {str(u["id"]): u for u in (page.get("includes") or {}).get("users", [])}


def mention_to_inbound(tweet: Mapping[str, Any], users: Mapping[str, Mapping[str, Any]], me: str) -> Inbound | None:
    """One post from the mentions timeline, or None for our own posts and retweets."""
    try:
        author = str(tweet["author_id"])
        if author == me or any(r.get("type") == "retweeted" for r in tweet.get("referenced_tweets") or []):
            return None
        user = users.get(author) or {"id": author, "name": "", "username": None}
        conversation = str(tweet.get("conversation_id") or tweet["id"])
        return Inbound(
            platform=PLATFORM, kind="mention", external_id=str(tweet["id"]),
            thread_key=f"mention:{conversation}:{author}", sender=_sender(user, author),
            text=_LEADING_MENTIONS.sub("", tweet["text"]).strip() or tweet["text"],
            received_at=_time(tweet["created_at"]), link=_post_link(user, str(tweet["id"])),
            has_attachment=bool(tweet.get("attachments")), raw=tweet,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise BadPayload(f"X post {tweet.get('id')!r} is malformed: {exc!r}") from exc


def dm_to_inbound(event: Mapping[str, Any], users: Mapping[str, Mapping[str, Any]], me: str) -> Inbound | None:
    """One DM event, or None for our own messages and for joins, leaves and other event types."""
    try:
        if event.get("event_type") != "MessageCreate" or str(event["sender_id"]) == me:
            return None
        sender = str(event["sender_id"])
        return Inbound(
            platform=PLATFORM, kind="dm", external_id=f"{DM_PREFIX}{event['id']}",
            thread_key=f"{DM_PREFIX}{event['dm_conversation_id']}",
            sender=_sender(users.get(sender) or {"name": "", "username": None}, sender),
            text=event["text"], received_at=_time(event["created_at"]),
            has_attachment=bool(event.get("attachments")), raw=event,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise BadPayload(f"X DM event {event.get('id')!r} is malformed: {exc!r}") from exc


def page_to_inbound(page: Mapping[str, Any], me: str, direct: bool) -> list[Inbound]:
    """Every customer message on one page of mentions (direct=False) or DM events, oldest first."""
    users = users_by_id(page)
    parse = dm_to_inbound if direct else mention_to_inbound
    found = [parse(item, users, me) for item in page.get("data") or []]
    return sorted((i for i in found if i is not None), key=lambda i: int(i.external_id.removeprefix(DM_PREFIX)))


def _sender(user: Mapping[str, Any], user_id: str) -> Sender:
    handle = user.get("username")
    return Sender(platform_user_id=user_id, display_name=user.get("name") or handle or "there", handle=handle)


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
