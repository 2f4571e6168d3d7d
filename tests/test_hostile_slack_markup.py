"""Customer-controlled words reaching the owner's Slack can never ping the workspace or disguise a link.

A web chat visitor posts over HTTP to the real web app; the real slack-sdk posts the card to a fake Slack
that records the exact text, blocks and notification `text` it was given.
"""

from __future__ import annotations

import json

import httpx

from bot.handlers.slack.blocks.cards import draft_text
from bot.handlers.slack.blocks.kit import clip
from tests.slack_harness import Desk, visitor_writes

PING = "<!channel>"
DISGUISED = "<https://evil.example/login|your order>"


def everything_posted(desk: Desk) -> str:
    """Every piece of text the app gave Slack: notification texts and blocks, as one string."""
    return json.dumps([args for name, args in desk.fake.calls if name in ("chat.postMessage", "chat.update")])


async def test_a_visitor_named_like_a_channel_ping_shows_up_escaped_in_card_and_notification(
        desk: Desk, site: httpx.AsyncClient) -> None:
    await visitor_writes(site, desk, PING, f"I want a refund for {DISGUISED} & now")

    [card] = desk.fake.to("chat.postMessage")
    assert "<!" not in card["text"] and "&lt;!channel&gt;" in card["text"]
    shown = everything_posted(desk)
    assert PING not in shown and "<https://evil" not in shown
    assert "&lt;!channel&gt;" in shown and "&lt;https://evil.example/login|your order&gt; &amp; now" in shown
    assert "&amp;lt;" not in shown and "&amp;amp;" not in shown  # escaped once


async def test_the_draft_on_a_card_cannot_carry_a_ping_either(desk: Desk, site: httpx.AsyncClient) -> None:
    # A held greeting: its draft names the visitor ("Hi <!here>!"), and a link holds it for approval.
    await visitor_writes(site, desk, "<!here>", "hello there, see https://cornerbean.example.org")

    [card] = desk.fake.to("chat.postMessage")
    draft = next(block["text"]["text"] for block in card["blocks"]
                 if block["type"] == "section" and block["text"]["text"].startswith("*Draft reply:*"))
    assert "<!here>" not in draft and "&lt;!here&gt;" in draft


async def test_a_second_message_in_an_owned_conversation_is_escaped_in_the_thread(
        desk: Desk, site: httpx.AsyncClient) -> None:
    from bot.handlers.slack.blocks import cards

    visitor = await visitor_writes(site, desk, PING, "my coffee was cold and the staff were rude, I want a refund")
    [card] = desk.fake.to("chat.postMessage")
    draft_id = card["blocks"][-1]["block_id"].split(":")[1]
    await desk.click(cards.TAKE_OVER, draft_id)
    await desk.fake.until(lambda: len(desk.fake.to("chat.postMessage")) == 2)

    await visitor_writes(site, desk, PING, f"hello? {DISGUISED}", visitor)

    forwarded = desk.fake.to("chat.postMessage")[-1]
    assert forwarded["text"] == "&lt;!channel&gt; wrote again"
    assert DISGUISED not in json.dumps(forwarded["blocks"])


async def test_app_home_lists_a_waiting_visitor_escaped(desk: Desk, site: httpx.AsyncClient) -> None:
    from tests.slack_harness import SAM, event_envelope

    await visitor_writes(site, desk, PING, f"I want a refund {DISGUISED}")
    response = await desk.event(event_envelope("app_home_opened", user=SAM))
    assert response.status_code == 200
    await desk.fake.until(lambda: desk.fake.to("views.publish"))

    home = json.dumps(desk.fake.to("views.publish")[0]["view"])
    assert PING not in home and "<https://evil" not in home and "&lt;!channel&gt;" in home


def test_drafts_are_escaped_once_whatever_markup_they_were_rendered_in() -> None:
    assert draft_text("webchat", "Hi <!channel> & co") == "Hi &lt;!channel&gt; &amp; co"
    assert draft_text("slack", "Hi &lt;!channel&gt; &amp; co") == "Hi &lt;!channel&gt; &amp; co"
    assert draft_text("telegram", "<b>Hi</b> &lt;!channel&gt; &amp; co") == "Hi &lt;!channel&gt; &amp; co"


def test_a_long_text_is_never_cut_inside_an_entity() -> None:
    assert clip("ab&amp;", 5) == "ab" and clip("ab&amp;", 7) == "ab&amp;"
