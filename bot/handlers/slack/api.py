"""The Slack Web API client and the one place its errors become ours."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.errors import ChannelError, ConfigError, DeliveryUncertain, RateLimited, Unreachable
from bot.settings import Settings

DEFAULT_API_URL = "https://slack.com/api/"
# Slack answers these when the recipient is gone for good: retrying will not help.
_GONE = {"channel_not_found", "is_archived", "user_not_found", "account_inactive", "cannot_dm_bot",
         "user_disabled", "not_in_channel"}


def web_client(settings: Settings) -> AsyncWebClient:
    """The Web API client, pointed at SLACK_API_URL when set (a proxy, or a fake Slack in tests)."""
    if settings.slack_bot_token is None:
        raise ConfigError("SLACK_BOT_TOKEN is not set: see docs/slack.md")
    return AsyncWebClient(token=settings.slack_bot_token.get_secret_value(),
                          base_url=settings.slack_api_url or DEFAULT_API_URL, timeout=15)


@dataclass(frozen=True, slots=True)
class MessageRef:
    """Where a Slack message is: its channel id and timestamp (also a thread's id)."""

    channel: str
    ts: str

    def __str__(self) -> str:
        return f"{self.channel}:{self.ts}"

    @classmethod
    def parse(cls, text: str | None) -> "MessageRef | None":
        channel, sep, ts = (text or "").partition(":")
        return cls(channel, ts) if sep and channel and ts else None


async def call(request: Awaitable[AsyncSlackResponse], *, uncertain_on_timeout: bool = False) -> AsyncSlackResponse:
    """Await one Web API call; Slack's and the network's failures are raised as bot.errors."""
    try:
        return await request
    except SlackApiError as exc:
        raise _api_error(exc) from None
    except (asyncio.TimeoutError, TimeoutError) as exc:
        if uncertain_on_timeout:
            raise DeliveryUncertain(f"Slack did not answer in time; the message may have been sent ({exc})") from None
        raise ChannelError("Slack did not answer in time") from None
    except (aiohttp.ClientError, SlackClientError, OSError) as exc:
        raise ChannelError(f"could not reach Slack: {type(exc).__name__}: {exc}") from None


def _api_error(exc: SlackApiError) -> ChannelError:
    response: Any = exc.response
    status = getattr(response, "status_code", None)
    data = getattr(response, "data", None)
    error = str(data.get("error", "unknown_error")) if isinstance(data, dict) else f"HTTP {status}"
    if status == 429 or error == "ratelimited":
        headers = getattr(response, "headers", {}) or {}
        retry_after = headers.get("Retry-After") or headers.get("retry-after") or "1"
        return RateLimited(f"Slack rate limit ({error})", float(retry_after))
    if error in _GONE:
        return Unreachable(f"Slack says {error}: invite the bot to the channel, or the recipient has gone")
    return ChannelError(f"Slack refused the request: {error}")
