"""Slack as a customer channel: a business's community Slack, where customers mention the bot or DM it.

`to_inbound` turns an Events API `app_mention` or direct `message` event into an Inbound (None for the
bot's own messages, edits, joins and other noise); `reply_request` builds the chat.postMessage for an
Outbound (in the thread for mentions, plainly in a DM). Events arrive through the shared Bolt app
(bot/handlers/slack/bolt_app.py); `SlackChannel` only sends.
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timezone
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import BadPayload, ChannelError
from bot.handlers.slack.api import call
from bot.messages import Inbound, Outbound, Sender
from bot.ports import Deliver

log = logging.getLogger(__name__)
_MENTION = re.compile(r"<@[UW][A-Z0-9]+(\|[^>]*)?>")
_FILES = {"file_share"}


def to_inbound(event: Mapping[str, Any]) -> Inbound | None:
    """A customer's message from an `app_mention` or `message` event; None when it is not one."""
    kind = _kind(event)
    if kind is None:
        return None
    try:
        channel, ts, user = str(event["channel"]), str(event["ts"]), str(event["user"])
        received_at = datetime.fromtimestamp(float(ts), tz=timezone.utc)
    except (KeyError, ValueError) as exc:
        raise BadPayload(f"Slack {event.get('type')} event without a usable {exc}") from None
    text = _MENTION.sub("", str(event.get("text") or "")).strip()
    if not text and not event.get("files"):
        return None
    thread_key = channel if kind == "dm" else f"{channel}:{event.get('thread_ts') or ts}"
    return Inbound(platform="slack", kind=kind, external_id=f"{channel}:{ts}", thread_key=thread_key,
                   sender=Sender(user, _display_name(event, user)), text=text, received_at=received_at,
                   has_attachment=bool(event.get("files")), raw=dict(event))


def _kind(event: Mapping[str, Any]) -> str | None:
    if event.get("bot_id") or (event.get("app_id") and not event.get("user")):
        return None
    subtype = event.get("subtype")
    if subtype and subtype not in _FILES:
        return None
    if event.get("type") == "app_mention":
        return "mention"
    if event.get("type") == "message" and event.get("channel_type") == "im":
        return "dm"
    return None


def _display_name(event: Mapping[str, Any], user: str) -> str:
    profile = event.get("user_profile") or {}
    return str(profile.get("display_name") or profile.get("real_name") or profile.get("name") or user)


def reply_request(outbound: Outbound) -> dict[str, Any]:
    """chat.postMessage arguments: threaded for a mention ("channel:thread_ts"), plain in a DM."""
    channel, _, thread_ts = outbound.thread_key.partition(":")
    request: dict[str, Any] = {"channel": channel, "text": outbound.text}
    if thread_ts:
        request["thread_ts"] = thread_ts
    return request


class SlackChannel:
    """Sends replies to customers in Slack. Receiving happens in the shared Bolt app."""

    platform = "slack"

    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client

    async def start(self, deliver: Deliver) -> None:
        return None

    async def send(self, outbound: Outbound) -> str:
        response = await call(self._client.chat_postMessage(**reply_request(outbound)), uncertain_on_timeout=True)
        return f"{response['channel']}:{response['ts']}"

    async def stop(self) -> None:
        return None


class UserNames:
    """Customers' Slack display names (events carry only user ids), looked up once per user."""

    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client
        self._known: dict[str, str] = {}

    async def name(self, user: str) -> str | None:
        if user not in self._known:
            try:
                response = await call(self._client.users_info(user=user))
            except ChannelError:
                return None  # the id will do; try again next message
            profile = (response.get("user") or {}).get("profile") or {}
            self._known[user] = str(profile.get("display_name") or profile.get("real_name") or user)
        return self._known[user]


class CustomerListener:
    """Hands customer messages to the router; the owner channel and the approvers are not customers."""

    def __init__(self, deliver: Deliver, is_owner_channel: Callable[[str | None], Awaitable[bool]], owners: set[str],
                 names: UserNames | None = None) -> None:
        self._deliver, self._is_owner_channel, self._owners, self._names = deliver, is_owner_channel, owners, names

    async def on_event(self, event: Mapping[str, Any]) -> None:
        if event.get("user") in self._owners or await self._is_owner_channel(event.get("channel")):
            return
        try:
            inbound = to_inbound(event)
        except BadPayload:
            log.warning("malformed Slack event ignored", exc_info=True)
            return
        if inbound is None:
            return
        if self._names is not None and inbound.sender.display_name == inbound.sender.platform_user_id:
            name = await self._names.name(inbound.sender.platform_user_id)
            inbound = replace(inbound, sender=replace(inbound.sender, display_name=name or inbound.sender.display_name))
        await self._deliver(inbound)
