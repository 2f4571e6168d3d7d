"""Escalations in the owner's Slack: Reply, Take over and Hand back, Teach, and the App Home tab."""

from __future__ import annotations

import json
from datetime import timedelta

from bot.handlers.slack.blocks import cards
from storage import conversations, examples, outbox
from tests.slack_harness import ALEX, HELD, SAM, UPSET, Desk, click_payload, event_envelope, listeners_done, submission

CARD_TS = "1764064800.000001"


def _ids(blocks: list[dict]) -> list[str]:
    return [element["action_id"] for block in blocks if block["type"] == "actions" for element in block["elements"]]


async def _conversation(desk: Desk, conversation_id: int):
    async with desk.app.db.session() as session:
        return await conversations.get_conversation(session, conversation_id)


async def test_an_escalation_card_offers_reply_take_over_and_teach(desk: Desk) -> None:
    await desk.customer_says(UPSET)

    [card] = desk.fake.to("chat.postMessage")
    assert _ids(card["blocks"]) == [cards.REPLY, cards.TAKE_OVER, cards.TEACH]
    shown = json.dumps(card["blocks"])
    assert "refund messages always go to the owner" in shown and "needs you" in card["text"]


async def test_reply_from_the_modal_goes_to_the_customer_and_closes_the_card(desk: Desk) -> None:
    handled = await desk.customer_says(UPSET)

    await desk.click(cards.REPLY, str(handled.draft_id))
    await desk.fake.until(lambda: desk.fake.to("views.open"))
    modal = desk.fake.to("views.open")[0]["view"]
    await desk.interact(submission(cards.REPLY_MODAL, json.loads(modal["private_metadata"]), "So sorry, Jo. Refund on its way."))
    await desk.fake.until(lambda: desk.fake.to("chat.update"))
    await desk.app.worker.drain()

    assert desk.customer_heard() == ["So sorry, Jo. Refund on its way."]
    assert f"Answered by <@{SAM}>" in json.dumps(desk.fake.to("chat.update")[0]["blocks"])


async def test_an_empty_reply_is_refused_inside_the_modal(desk: Desk) -> None:
    handled = await desk.customer_says(UPSET)

    response = await desk.interact(submission(cards.REPLY_MODAL, {"draft_id": handled.draft_id}, "   "))

    assert response.json() == {"response_action": "errors", "errors": {cards.TEXT_BLOCK: "Write the reply to send."}}
    await listeners_done()
    await desk.app.worker.drain()
    assert desk.customer_heard() == []


async def test_take_over_silences_the_bot_until_handed_back(desk: Desk) -> None:
    handled = await desk.customer_says(UPSET)

    await desk.click(cards.TAKE_OVER, str(handled.draft_id), ALEX)
    await desk.fake.until(lambda: len(desk.fake.to("chat.postMessage")) == 2)
    assert (await _conversation(desk, handled.conversation_id)).state == "human"
    notice = desk.fake.to("chat.postMessage")[1]
    assert notice["thread_ts"] == CARD_TS and _ids(notice["blocks"]) == [cards.HAND_BACK]

    await desk.customer_says("what time do you open on saturday?")
    assert desk.customer_heard() == []
    forwarded = desk.fake.to("chat.postMessage")[2]
    assert forwarded["thread_ts"] == CARD_TS and "what time do you open on saturday?" in json.dumps(forwarded["blocks"])

    await desk.click(cards.HAND_BACK, str(handled.conversation_id), SAM)
    await desk.fake.until(lambda: len(desk.fake.to("chat.postMessage")) == 4)
    await desk.customer_says("what time do you open on sunday?")
    assert len(desk.customer_heard()) == 1 and "Sunday" in desk.customer_heard()[0]


async def test_a_taken_over_conversation_returns_to_the_bot_after_the_quiet_period(desk: Desk) -> None:
    handled = await desk.customer_says(UPSET)
    await desk.click(cards.TAKE_OVER, str(handled.draft_id))
    await desk.fake.until(lambda: len(desk.fake.to("chat.postMessage")) == 2)
    quiet = timedelta(minutes=desk.app.profile.owner.quiet_period_minutes)
    desk.fake.fail_next("chat.postMessage")  # Slack is busy the first time: the note waits and goes later

    desk.app.clock.advance(quiet + timedelta(minutes=1))
    returned = await desk.app.approvals.return_quiet_conversations(quiet)
    await desk.app.worker.drain()
    async with desk.app.db.session() as session:
        assert [row.status for row in await outbox.items(session, kind="owner_note")] == ["pending"]
    desk.app.clock.advance(timedelta(minutes=5))
    await desk.app.worker.drain()

    assert [c.id for c in returned] == [handled.conversation_id]
    assert (await _conversation(desk, handled.conversation_id)).state == "bot"
    posted = desk.fake.to("chat.postMessage")
    assert len(posted) == 4 and posted[2] == posted[3]  # the refused attempt, then the same note again
    assert posted[3]["thread_ts"] == CARD_TS and posted[3]["text"] == "Back with the bot after 2 hours of quiet"


async def test_teach_records_what_the_message_really_was(desk: Desk) -> None:
    handled = await desk.customer_says(UPSET)
    click = event_teach(handled.draft_id, "complaint")

    await desk.interact(click)
    await desk.fake.until(lambda: desk.fake.to("chat.postEphemeral"))

    async with desk.app.db.session() as session:
        learnt = await examples.all_examples(session)
    assert [(e.text, e.intent) for e in learnt] == [(UPSET, "complaint")]
    assert "noted: that was complaint" in desk.fake.to("chat.postEphemeral")[0]["text"]


def event_teach(draft_id: int, intent: str) -> dict:
    data = click_payload(cards.TEACH, "", SAM)
    data["actions"][0] = {"type": "static_select", "action_id": cards.TEACH, "block_id": f"draft:{draft_id}",
                          "selected_option": {"text": {"type": "plain_text", "text": intent},
                                              "value": f"{draft_id}:{intent}"},
                          "action_ts": "1548426417.840180"}
    return data


async def test_app_home_shows_what_waits_and_how_the_day_goes(desk: Desk) -> None:
    await desk.customer_says(HELD, who="Jo")
    desk.app.clock.advance(timedelta(minutes=20))
    await desk.customer_says("what time do you open on sunday?", who="Priya")
    desk.app.clock.advance(timedelta(minutes=5))

    await desk.event(event_envelope("app_home_opened", user=SAM))
    await desk.fake.until(lambda: desk.fake.to("views.publish"))

    published = desk.fake.to("views.publish")[0]
    assert published["user_id"] == SAM and published["view"]["type"] == "home"
    shown = json.dumps(published["view"]["blocks"], ensure_ascii=False)
    assert "Waiting for you (1)" in shown and "*Jo* on console (draft to approve, waiting 25 min)" in shown
    assert "console: 2" in shown
    assert "Median time to first answer this week:* under a minute" in shown


async def test_app_home_shows_nothing_about_customers_to_someone_who_is_not_an_approver(desk: Desk) -> None:
    await desk.customer_says(HELD, who="Jo")

    await desk.event(event_envelope("app_home_opened", user="U0CUSTOMER"))
    await desk.fake.until(lambda: desk.fake.to("views.publish"))

    shown = json.dumps(desk.fake.to("views.publish")[0]["view"], ensure_ascii=False)
    assert "Jo" not in shown and "Waiting" not in shown and "Corner Bean Café on Slack" in shown

