from datetime import datetime, timezone

import pytest

from bot.errors import BadPayload
from bot.handlers.telegram.parse import send_requests, to_inbound
from bot.messages import Button, Outbound
from tests.payloads.load import payload

BOT = ("cornerbean_bot", 7000001)


def parse(name: str):
    return to_inbound(payload("telegram", name), *BOT)


def test_private_message_is_a_direct_message_from_its_sender() -> None:
    inbound = parse("private_text")
    assert inbound is not None
    assert (inbound.kind, inbound.external_id, inbound.thread_key) == ("dm", "123456789:41", "123456789")
    assert inbound.sender.display_name == "Priya Shah" and inbound.sender.handle == "priya_s"
    assert inbound.text == "what time do you open on saturday?"
    assert inbound.received_at == datetime.fromtimestamp(1795600800, timezone.utc)


def test_group_mention_is_for_us_without_the_mention_in_the_text() -> None:
    inbound = parse("group_mention")
    assert inbound is not None and inbound.kind == "mention"
    assert inbound.text == "what time do you open on saturday?"
    assert inbound.thread_key == "-1001987654321:222333444"
    assert inbound.link == "https://t.me/leedscoffee/1207"


def test_group_message_not_naming_the_bot_is_ignored() -> None:
    assert parse("group_no_mention") is None


def test_reply_to_the_bot_in_a_group_is_for_us() -> None:
    inbound = parse("group_reply_to_bot")
    assert inbound is not None and inbound.kind == "reply" and inbound.text == "thanks! and sunday?"


def test_text_mention_after_an_emoji_is_found_by_utf16_offsets() -> None:
    inbound = parse("group_text_mention_emoji")
    assert inbound is not None and inbound.kind == "mention"


def test_command_addressed_to_the_bot_in_a_group_is_for_us() -> None:
    inbound = parse("group_command_addressed")
    assert inbound is not None and inbound.text == "/hours"


def test_button_press_becomes_a_callback_with_its_data() -> None:
    inbound = parse("callback_query")
    assert inbound is not None
    assert (inbound.kind, inbound.text, inbound.external_id) == ("callback", "rsvp:12:going", "cb:4382bfdwdsb323b2d9")
    assert inbound.thread_key == "123456789" and inbound.sender.platform_user_id == "123456789"


@pytest.mark.parametrize("name", ["edited_message", "new_chat_members", "own_message"])
def test_edits_service_messages_and_our_own_messages_are_ignored(name: str) -> None:
    assert parse(name) is None


def test_photo_caption_is_the_text_and_flags_an_attachment() -> None:
    inbound = parse("private_photo_caption")
    assert inbound is not None and inbound.has_attachment and inbound.text == "is this cake on the menu today?"


def test_malformed_update_is_a_bad_payload() -> None:
    with pytest.raises(BadPayload):
        parse("malformed_no_chat")


def test_long_reply_is_split_and_only_the_first_part_replies_to_the_customer() -> None:
    outbound = Outbound("telegram", "-100200:55", "word " * 1000 + "end", "k", reply_to="-100200:41",
                        buttons=(Button("Going", "rsvp", "rsvp:1:going"),))
    requests = send_requests(outbound)
    assert [r.chat_id for r in requests] == [-100200, -100200]
    assert all(len(r.text) <= 4096 for r in requests) and requests[1].text.endswith("end")
    assert [r.reply_to_message_id for r in requests] == [41, None]
    assert [r.buttons for r in requests] == [(), (("Going", "rsvp:1:going"),)]


def test_reply_to_a_message_in_another_chat_or_a_button_press_is_not_a_reply() -> None:
    assert send_requests(Outbound("telegram", "5", "hi", "k", reply_to="6:41"))[0].reply_to_message_id is None
    assert send_requests(Outbound("telegram", "5", "hi", "k", reply_to="cb:99"))[0].reply_to_message_id is None
