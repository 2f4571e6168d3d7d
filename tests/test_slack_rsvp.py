"""RSVP buttons under an event invite in a Slack channel: the real Bolt app behind our web app, presses
signed the way Slack signs them, and the real slack-sdk sending to the fake Slack. A press is answered
to the presser alone (chat.postEphemeral), never in the channel; later news reaches them in their DM."""

from __future__ import annotations

import copy
import itertools
from typing import Any

from bot.events.spec import EventSpec
from bot.handlers.slack.customers import ephemeral_request, reply_request
from bot.handlers.slack.presses import Press, press_to_inbound
from bot.messages import Button, Outbound
from storage import conversations
from tests.conftest import london
from tests.slack_harness import ALEX, Desk, listeners_done, payload

EVENTS_CHANNEL = "C0EVENTS"
GRACE = "U0789GRACE"
_stamps = itertools.count(1)


def rsvp_press(invite: dict[str, Any], label: str, user: str, username: str) -> dict[str, Any]:
    """A press on one of the invite's buttons, as Slack sends it (the button exactly as we posted it)."""
    (button,) = [b for b in invite["blocks"][-1]["elements"] if b["text"]["text"] == label]
    data = copy.deepcopy(payload("block_actions"))
    data["user"] = {"id": user, "username": username, "name": username, "team_id": "T0CAFE"}
    data["channel"] = {"id": EVENTS_CHANNEL, "name": "events"}
    data["container"] = {"type": "message", "message_ts": "1764064800.000001", "channel_id": EVENTS_CHANNEL,
                         "is_ephemeral": False}
    data["actions"] = [{"action_id": button["action_id"], "block_id": "rsvp", "text": button["text"],
                        "value": button["value"], "type": "button", "action_ts": f"1764065000.{next(_stamps):06d}"}]
    return data


async def posted_invite(desk: Desk, capacity: int) -> tuple[int, dict[str, Any]]:
    assert desk.app.events is not None
    event = await desk.app.events.create_event(EventSpec(
        "Winter coffee tasting", london(2026, 12, 5, 18, 30), london(2026, 12, 5, 20), capacity=capacity,
        channels=("slack:#events",)))
    await desk.app.worker.drain()
    (invite,) = [call for call in desk.fake.to("chat.postMessage") if call["channel"] == "#events"]
    return event.id, invite


async def test_rsvp_presses_in_a_slack_channel_are_confirmed_to_the_presser_alone(desk: Desk) -> None:
    event_id, invite = await posted_invite(desk, capacity=1)
    labels = [b["text"]["text"] for b in invite["blocks"][-1]["elements"]]

    for press in (rsvp_press(invite, "Going", ALEX, "alex"), rsvp_press(invite, "Going", GRACE, "grace")):
        assert (await desk.interact(press)).status_code == 200
        await listeners_done()
        await desk.app.worker.drain()
    private = desk.fake.to("chat.postEphemeral")
    in_channel = [c for c in desk.fake.to("chat.postMessage") if c["channel"] in ("#events", EVENTS_CHANNEL)]

    # Alex cancels; Grace, first on the waiting list, gets the place and hears it in her DM.
    await desk.interact(rsvp_press(invite, "Can't go", ALEX, "alex"))
    await listeners_done()
    await desk.app.worker.drain()
    async with desk.app.db.session() as session:
        alex = await conversations.find_conversation(session, "slack", "DU0456ALEX")
        grace = await conversations.find_conversation(session, "slack", "DU0789GRACE")
        public = await conversations.find_conversation(session, "slack", EVENTS_CHANNEL)

    assert labels == ["Going", "Maybe", "Can't go"]
    assert [b["action_id"] for b in invite["blocks"][-1]["elements"]] == [
        f"rsvp:{event_id}:going", f"rsvp:{event_id}:maybe", f"rsvp:{event_id}:cant"]
    assert in_channel == [invite]  # the invite itself, and nothing any press brought
    assert [(c["channel"], c["user"]) for c in private] == [(EVENTS_CHANNEL, ALEX), (EVENTS_CHANNEL, GRACE)]
    assert private[0]["text"].startswith("You're in, Jo! Winter coffee tasting, Saturday 5 December at 6:30pm")
    assert "waiting list" in private[1]["text"]
    promoted = [c for c in desk.fake.to("chat.postMessage") if c["channel"] == "DU0789GRACE"]
    assert len(promoted) == 1 and "a place opened up" in promoted[0]["text"]
    assert len(desk.fake.to("chat.postEphemeral")) == 3  # Alex's cancellation, to Alex alone
    assert alex is not None and grace is not None and alex.id != grace.id and public is None
    assert [c["users"] for c in desk.fake.to("conversations.open")] == [ALEX, GRACE]  # once per person


def test_an_invite_with_buttons_is_a_section_and_a_row_of_buttons() -> None:
    outbound = Outbound("slack", "#events", "*Winter coffee tasting*", "event:1:announce",
                        buttons=(Button("Going", "rsvp", "1:going"), Button("Can't go", "rsvp", "1:cant")))
    request = reply_request(outbound)
    assert request["channel"] == "#events" and request["text"] == "*Winter coffee tasting*"
    assert request["blocks"] == [
        {"type": "section", "text": {"type": "mrkdwn", "text": "*Winter coffee tasting*"}},
        {"type": "actions", "elements": [
            {"type": "button", "text": {"type": "plain_text", "text": "Going"}, "action_id": "rsvp:1:going",
             "value": "1:going"},
            {"type": "button", "text": {"type": "plain_text", "text": "Can't go"}, "action_id": "rsvp:1:cant",
             "value": "1:cant"}]}]


def test_a_press_is_the_pressers_own_message_answered_where_they_pressed() -> None:
    body = payload("block_actions")
    body["actions"][0] |= {"action_id": "rsvp:4:going", "value": "4:going"}
    inbound = press_to_inbound(body, "DUA8RXUSPL", "Jack Torrance")
    answer = Outbound("slack", inbound.thread_key, "You're in, Jack!", "reply:9", reply_to=inbound.external_id)
    later = Outbound("slack", inbound.thread_key, "A place opened up", "event:4:promoted", reply_to=None)

    assert (inbound.kind, inbound.text, inbound.thread_key) == ("callback", "4:going", "DUA8RXUSPL")
    assert inbound.external_id == "press:CBR2V3XEX:UA8RXUSPL:1548426417.840180"
    assert Press.parse(inbound.external_id) == Press("CBR2V3XEX", "UA8RXUSPL", "1548426417.840180")
    assert ephemeral_request(answer) == {"channel": "CBR2V3XEX", "user": "UA8RXUSPL", "text": "You're in, Jack!"}
    assert ephemeral_request(later) is None and reply_request(later)["channel"] == "DUA8RXUSPL"
