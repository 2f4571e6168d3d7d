"""RSVP buttons under an event post in a Slack channel.

A press belongs to the person who pressed, not to the channel: it becomes a `callback` Inbound in
their own private conversation with the bot (their DM, the same conversation as when they write to
the bot), and its reply names where they pressed (`reply_to` is a press reference), so the
confirmation is posted there with chat.postEphemeral: visible to them only, never to the channel.
Later messages about the event (a place opening up, reminders) go to their DM.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.ports import Deliver
from bot.errors import BadPayload, ChannelError
from bot.handlers.slack.api import call
from bot.messages import Inbound, Sender

log = logging.getLogger(__name__)
RSVP_ACTION_PREFIX = "rsvp:"  # the action ids of the buttons under an event post: "rsvp:<event>:<answer>"
_PRESS = "press"


@dataclass(frozen=True, slots=True)
class Press:
    """Where a button was pressed, and by whom: "press:<channel>:<user>:<action_ts>"."""

    channel: str
    user: str
    action_ts: str

    def __str__(self) -> str:
        return f"{_PRESS}:{self.channel}:{self.user}:{self.action_ts}"

    @classmethod
    def parse(cls, text: str | None) -> "Press | None":
        parts = (text or "").split(":")
        if len(parts) != 4 or parts[0] != _PRESS or not all(parts[1:]):
            return None
        return cls(parts[1], parts[2], parts[3])


def pressed(body: Mapping[str, Any]) -> tuple[Press, str]:
    """The press and the button's value from a block_actions payload; BadPayload when one is missing."""
    try:
        action = body["actions"][0]
        channel = (body.get("channel") or {}).get("id") or body["container"]["channel_id"]
        press = Press(str(channel), str(body["user"]["id"]), str(action["action_ts"]))
        datetime.fromtimestamp(float(press.action_ts), tz=timezone.utc)
        return press, str(action["value"])
    except (KeyError, IndexError, TypeError, ValueError, OverflowError) as exc:
        raise BadPayload(f"Slack button press without a usable {exc}") from None


def press_to_inbound(body: Mapping[str, Any], private_thread: str, name: str | None) -> Inbound:
    """The press as the presser's own message: its text is the button's value ("12:going")."""
    press, value = pressed(body)
    user = body["user"]
    shown = name or str(user.get("name") or user.get("username") or press.user)
    return Inbound(platform="slack", kind="callback", external_id=str(press), thread_key=private_thread,
                   sender=Sender(press.user, shown, user.get("username")), text=value,
                   received_at=datetime.fromtimestamp(float(press.action_ts), tz=timezone.utc), raw=dict(body))


class PrivateThreads:
    """Each person's DM channel with the bot (conversations.open), looked up once per person. When
    Slack cannot say, the user id stands in: chat.postMessage to a user id lands in that same DM."""

    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client
        self._known: dict[str, str] = {}

    async def of(self, user: str) -> str:
        if user not in self._known:
            try:
                response = await call(self._client.conversations_open(users=user))
            except ChannelError as exc:
                log.warning("no DM channel for a Slack user; using the user id", extra={"reason": str(exc)})
                return user
            self._known[user] = str((response.get("channel") or {}).get("id") or user)
        return self._known[user]


class RsvpPresses:
    """Hands RSVP presses to the router as the presser's own callbacks."""

    def __init__(self, deliver: Deliver, threads: PrivateThreads, name: Callable[[str], Awaitable[str | None]]) -> None:
        self._deliver, self._threads, self._name = deliver, threads, name

    async def on_press(self, body: Mapping[str, Any]) -> None:
        try:
            press, _ = pressed(body)
        except BadPayload:
            log.warning("malformed Slack button press ignored", exc_info=True)
            return
        inbound = press_to_inbound(body, await self._threads.of(press.user), await self._name(press.user))
        await self._deliver(inbound)
