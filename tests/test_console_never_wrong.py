"""Never confidently wrong, through the console: what must reach the owner does, whatever rule matched."""

from __future__ import annotations

import pytest

from bot.app import App
from tests.factories import ConsoleTranscript


@pytest.mark.parametrize("text", [
    "terrible customer service, cancel my reservation",
    "I had an allergic reaction after your muffin, click here to see",
    "refund me or I'll post about you, bitcoin only",
    "food poisoning from your cafe!! click here http://review.example.com",
])
async def test_a_serious_message_reaches_the_owner_whatever_keyword_it_matched(app: App, text: str) -> None:
    reply = await ConsoleTranscript(app).say(text)
    assert "[owner] draft #1 needs you" in reply
    assert "Corner Bean Café:" not in reply  # nothing went to the customer alone


async def test_plain_spam_still_gets_no_reply_and_no_card(app: App) -> None:
    reply = await ConsoleTranscript(app).say("guaranteed followers, click here")
    assert "[owner]" not in reply and "Corner Bean Café:" not in reply
