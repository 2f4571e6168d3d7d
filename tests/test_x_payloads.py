from datetime import datetime, timezone

import pytest

from bot.errors import BadPayload
from bot.handlers.x.parse import page_to_inbound, reply_request
from bot.messages import Outbound
from tests.payloads.load import payload

ME = "1500000000000000001"


def test_mentions_page_gives_customer_posts_oldest_first_without_leading_handles() -> None:
    found = page_to_inbound(payload("x", "mentions_page"), ME, direct=False)
    assert [i.external_id for i in found] == ["1861000000000000200", "1861000000000000300"]
    wifi, hours = found
    assert hours.text == "what time do you open on saturday?"
    assert hours.thread_key == "mention:1861000000000000100:2244994945"
    assert (hours.sender.display_name, hours.sender.handle) == ("Priya Shah", "priyashah")
    assert hours.received_at == datetime(2026, 11, 25, 9, 58, 12, tzinfo=timezone.utc)
    assert hours.link == "https://x.com/priyashah/status/1861000000000000300"
    assert wifi.has_attachment and wifi.kind == "mention"


def test_retweets_and_our_own_posts_are_not_customer_messages() -> None:
    ids = {i.external_id for i in page_to_inbound(payload("x", "mentions_page"), ME, direct=False)}
    assert "1861000000000000250" not in ids and "1861000000000000150" not in ids


def test_dm_page_gives_only_customer_messages() -> None:
    found = page_to_inbound(payload("x", "dm_events_page"), ME, direct=True)
    assert len(found) == 1
    dm = found[0]
    assert (dm.kind, dm.external_id, dm.thread_key) == ("dm", "dm:1861000000000009002", "dm:1500000000000000001-2244994945")
    assert dm.sender.platform_user_id == "2244994945" and dm.text == "can I book a table for 4 on friday?"


def test_empty_page_has_no_messages() -> None:
    assert page_to_inbound({"meta": {"result_count": 0}}, ME, direct=False) == []


def test_post_without_a_time_is_a_bad_payload() -> None:
    with pytest.raises(BadPayload):
        page_to_inbound(payload("x", "malformed_mention_page"), ME, direct=False)


def test_mention_is_answered_in_reply_to_the_post_and_a_dm_by_dm() -> None:
    mention = reply_request(Outbound("x", "mention:100:7", "hi", "k", reply_to="300"))
    assert (mention.in_reply_to_tweet_id, mention.is_dm) == ("300", False)
    owner_note = reply_request(Outbound("x", "mention:100:7", "hi", "k", reply_to=None))
    assert owner_note.in_reply_to_tweet_id == "100"
    dm = reply_request(Outbound("x", "dm:1-7", "hi", "k", reply_to="dm:55", recipient_id="7"))
    assert (dm.is_dm, dm.dm_participant_id) == (True, "7")
