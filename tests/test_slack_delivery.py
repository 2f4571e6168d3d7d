"""Replies to Slack customers through the real slack-sdk: what each failure becomes."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import ChannelError, DeliveryUncertain, RateLimited, Unreachable
from bot.handlers.slack.customers import SlackChannel
from bot.messages import Outbound
from tests.fake_slack import FakeSlack

REPLY = Outbound("slack", "C0LAN2Q65:1515449522.000016", "We open at 9.", "reply:1")


@pytest.fixture
async def channel(fake_slack: FakeSlack) -> AsyncIterator[SlackChannel]:
    yield SlackChannel(AsyncWebClient(token="xoxb-test", base_url=fake_slack.url, timeout=0.3))


async def test_a_reply_is_posted_in_the_customer_thread_and_its_id_returned(channel: SlackChannel,
                                                                             fake_slack: FakeSlack) -> None:
    sent = await channel.send(REPLY)

    assert sent == "C0LAN2Q65:1764064800.000001"
    assert fake_slack.to("chat.postMessage") == [{"channel": "C0LAN2Q65", "thread_ts": "1515449522.000016",
                                                  "text": "We open at 9."}]


async def test_a_429_becomes_rate_limited_with_slacks_retry_after(channel: SlackChannel, fake_slack: FakeSlack) -> None:
    fake_slack.fail_next("chat.postMessage", status=429, retry_after=30)

    with pytest.raises(RateLimited) as raised:
        await channel.send(REPLY)

    assert raised.value.retry_after == 30


@pytest.mark.parametrize("error", ["channel_not_found", "is_archived", "not_in_channel"])
async def test_a_channel_that_is_gone_is_unreachable_not_retried(channel: SlackChannel, fake_slack: FakeSlack,
                                                                  error: str) -> None:
    fake_slack.fail_next("chat.postMessage", status=200, error=error)

    with pytest.raises(Unreachable, match=error):
        await channel.send(REPLY)


async def test_a_timeout_after_sending_is_uncertain_so_it_is_never_repeated_blindly(channel: SlackChannel,
                                                                                     fake_slack: FakeSlack) -> None:
    fake_slack.hanging.add("chat.postMessage")

    with pytest.raises(DeliveryUncertain):
        await channel.send(REPLY)


async def test_a_server_error_page_is_a_retryable_channel_error(channel: SlackChannel, fake_slack: FakeSlack) -> None:
    fake_slack.fail_next("chat.postMessage", status=500, error="internal_error")

    with pytest.raises(ChannelError) as raised:
        await channel.send(REPLY)

    assert not isinstance(raised.value, (Unreachable, DeliveryUncertain, RateLimited))
