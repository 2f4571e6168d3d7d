"""WhatsApp, Messenger and Instagram through the Meta webhook in `socialdesk serve` and the Send API, against a
fake Graph API on 127.0.0.1, with payloads shaped as Meta documents them and signed as Meta signs them."""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from functools import partial
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from bot.app import App, build_app
from bot.events.spec import EventSpec
from bot.handlers.meta.build import meta_channel, meta_routes
from bot.handlers.meta.signature import HEADER, signature_for
from bot.web import create_web_app
from storage import audit, conversations, deliveries, drafts, outbox
from tests.conftest import london
from tests.fakes.graph_api import TOKEN, FakeGraphApi
from tests.fakes.server import serve
from tests.payloads.load import payload
from tests.support.apps import from_ports, outlets, settings_for
from tests.support.fixtures import AppWith
from tests.support.outage import Outage

APP_SECRET, VERIFY_TOKEN = "meta-app-secret", "meta-verify-token"
OWNER = "U0123SAM"  # one of the example profile's approvers
META = ("whatsapp", "messenger", "instagram")
WA_ID, PSID = "16505551234", "6543210987654321"


@pytest.fixture
async def graph() -> AsyncIterator[tuple[FakeGraphApi, str]]:
    api = FakeGraphApi()
    async with serve(api.app()) as url:
        yield api, url


@pytest.fixture
async def meta_app(any_app: App, app_with: AppWith, graph) -> AsyncIterator[App]:
    """The example café with WhatsApp, Messenger and Instagram set up, on SQLite and (with TEST_DATABASE_URL)
    Postgres."""
    app = any_app
    _, url = graph
    settings = app.settings.model_copy(update={
        "meta_app_secret": SecretStr(APP_SECRET), "meta_verify_token": SecretStr(VERIFY_TOKEN), "graph_api_url": url,
        "whatsapp_token": SecretStr(TOKEN), "whatsapp_phone_number_id": "106540352242922",
        "messenger_page_token": SecretStr(TOKEN), "instagram_token": SecretStr(TOKEN)})
    built = await app_with(app, *(partial(meta_channel, platform=platform) for platform in META), settings=settings)
    yield built
    for platform in META:
        await built.worker.channels[platform].stop()


async def with_template(app: App, app_with: AppWith, name: str | None) -> App:
    """`app` with the WhatsApp channel built as if business.yaml named `name` as its template."""
    channels = app.profile.channels.model_copy(update={"whatsapp": app.profile.channels.whatsapp.model_copy(
        update={"template": name})})
    ports = dataclasses.replace(app.ports, profile=app.profile.model_copy(update={"channels": channels}))
    await app.worker.channels["whatsapp"].stop()
    return await app_with(app, meta_channel(ports, "whatsapp"))


def now_stamped(app: App, name: str, **changes: Any) -> dict[str, Any]:
    """A sample payload, dated at the test clock's now (Meta's timestamps: seconds on WhatsApp, ms on the others)."""
    body = copy.deepcopy(payload("meta", name))
    seconds = int(app.clock.now().timestamp())
    for entry in body["entry"]:
        for change in entry.get("changes", []):
            for message in change["value"].get("messages", []):
                message["timestamp"] = str(seconds)
                message.update(changes)
        for event in entry.get("messaging", []):
            event["timestamp"] = seconds * 1000
            event.get("message", {}).update(changes)
    return body


async def post(app: App, body: dict[str, Any], *, secret: str = APP_SECRET, signed: bool = True) -> httpx.Response:
    raw = json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if signed:
        headers[HEADER] = signature_for(raw, secret)
    asgi = create_web_app(app, [from_ports(meta_routes)])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(asgi), base_url="http://testserver") as client:
        return await client.post("/meta/webhook", content=raw, headers=headers)


async def test_the_verification_handshake_echoes_the_challenge_only_for_our_token(meta_app: App) -> None:
    asgi = create_web_app(meta_app, [from_ports(meta_routes)])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(asgi), base_url="http://testserver") as client:
        good = await client.get("/meta/webhook", params={"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN,
                                                         "hub.challenge": "1158201444"})
        bad = await client.get("/meta/webhook", params={"hub.mode": "subscribe", "hub.verify_token": "guess",
                                                        "hub.challenge": "1158201444"})
    assert (good.status_code, good.text) == (200, "1158201444")
    assert bad.status_code == 403


@pytest.mark.parametrize("secret,signed", [("someone-elses-secret", True), (APP_SECRET, False)])
async def test_a_forged_or_unsigned_delivery_is_refused_and_not_processed(meta_app: App, graph, secret: str,
                                                                         signed: bool) -> None:
    api, _ = graph
    response = await post(meta_app, now_stamped(meta_app, "whatsapp_text"), secret=secret, signed=signed)
    assert response.status_code == 403
    async with meta_app.db.session() as session:
        assert await conversations.count_messages(session, "in") == 0
    assert api.sent == []


async def test_whatsapp_question_is_answered_in_reply_once_even_when_meta_retries(meta_app: App, graph) -> None:
    api, _ = graph
    body = now_stamped(meta_app, "whatsapp_text")
    assert (await post(meta_app, body)).status_code == 200
    assert (await post(meta_app, body)).status_code == 200  # Meta's retry of the same delivery
    await meta_app.worker.drain()
    assert len(api.sent) == 1
    node, sent = api.sent[0]
    assert node == "106540352242922" and sent["to"] == WA_ID and sent["type"] == "text"
    assert "Saturday" in sent["text"]["body"]
    assert sent["context"]["message_id"] == body["entry"][0]["changes"][0]["value"]["messages"][0]["id"]


@pytest.mark.parametrize("name,platform", [("messenger_text", "messenger"), ("instagram_text", "instagram")])
async def test_messenger_and_instagram_questions_are_answered(meta_app: App, graph, name: str, platform: str) -> None:
    api, _ = graph
    assert (await post(meta_app, now_stamped(meta_app, name))).status_code == 200
    await meta_app.worker.drain()
    assert len(api.sent) == 1
    node, sent = api.sent[0]
    assert node == "me" and sent["messaging_type"] == "RESPONSE" and "Saturday" in sent["message"]["text"]
    async with meta_app.db.session() as session:
        assert await conversations.find_conversation(session, platform, sent["recipient"]["id"]) is not None


async def test_our_own_echo_is_not_a_customer_message(meta_app: App, graph) -> None:
    assert (await post(meta_app, now_stamped(meta_app, "messenger_echo"))).status_code == 200
    async with meta_app.db.session() as session:
        assert await conversations.count_messages(session, "in") == 0


async def test_a_photo_without_words_goes_to_the_owner(meta_app: App, graph) -> None:
    api, _ = graph
    assert (await post(meta_app, now_stamped(meta_app, "whatsapp_image"))).status_code == 200
    await meta_app.worker.drain()
    async with meta_app.db.session() as session:
        held = await drafts.pending_drafts(session)
    assert len(held) == 1 and held[0].action != "auto"


async def held_reply_approved_after(app: App, delay: timedelta, name: str) -> None:
    """The customer asks something the owner must answer; the owner approves it `delay` later."""
    assert (await post(app, now_stamped(app, name, **_text(name, "I want a refund, my coffee was cold")))).status_code == 200
    await app.worker.drain()
    async with app.db.session() as session:
        held = await drafts.pending_drafts(session)
    assert len(held) == 1
    app.clock.advance(delay)  # type: ignore[attr-defined]
    await app.approvals.send(held[0].id, OWNER)
    await app.worker.drain()


def _text(name: str, words: str) -> dict[str, Any]:
    return {"text": {"body": words}} if name.startswith("whatsapp") else {"text": words}


async def test_whatsapp_after_the_window_uses_the_owners_approved_template(meta_app: App, app_with: AppWith,
                                                                           graph) -> None:
    api, _ = graph
    app = await with_template(meta_app, app_with, "reply_to_your_message")
    try:
        await held_reply_approved_after(app, timedelta(hours=30), "whatsapp_text")
    finally:
        await app.worker.channels["whatsapp"].stop()
    templates = [body for _, body in api.sent if body.get("type") == "template"]
    assert len(templates) == 1
    template = templates[0]["template"]
    assert template["name"] == "reply_to_your_message" and template["language"] == {"code": "en_US"}
    assert template["components"][0]["parameters"][0]["text"]  # the reply itself, as the template's {{1}}


async def test_whatsapp_after_the_window_without_a_template_tells_the_owner_why(meta_app: App, graph) -> None:
    api, _ = graph
    await held_reply_approved_after(meta_app, timedelta(hours=30), "whatsapp_text")
    assert all(body.get("type") != "template" for _, body in api.sent)
    async with meta_app.db.session() as session:
        failed = await outbox.items(session, status=outbox.FAILED)
    assert any("channels.whatsapp.template" in (item.last_error or "") for item in failed)


async def test_messenger_after_the_window_is_tagged_human_agent_within_seven_days(meta_app: App, graph) -> None:
    api, _ = graph
    await held_reply_approved_after(meta_app, timedelta(days=3), "messenger_text")
    tagged = [body for _, body in api.sent if body.get("tag") == "HUMAN_AGENT"]
    assert len(tagged) == 1 and tagged[0]["messaging_type"] == "MESSAGE_TAG"


async def test_a_failed_delivery_report_marks_the_reply_failed_and_tells_the_owner(meta_app: App, graph) -> None:
    api, _ = graph
    assert (await post(meta_app, now_stamped(meta_app, "whatsapp_text"))).status_code == 200
    await meta_app.worker.drain()
    report = copy.deepcopy(payload("meta", "whatsapp_status_failed"))
    report["entry"][0]["changes"][0]["value"]["statuses"][0]["id"] = "wamid.sent1"
    assert (await post(meta_app, report)).status_code == 200
    async with meta_app.db.session() as session:
        row = await outbox.sent_as(session, "whatsapp", "wamid.sent1")
    assert row is not None and row.status == outbox.FAILED and "131026" in (row.last_error or "")


async def test_rsvp_by_quick_reply_is_recorded(meta_app: App, graph) -> None:
    api, _ = graph
    assert meta_app.events is not None
    event = await meta_app.events.create_event(EventSpec("Winter coffee tasting", london(2026, 12, 5, 18, 30)))
    body = now_stamped(meta_app, "messenger_quick_reply", quick_reply={"payload": f"rsvp:{event.id}:going"})
    assert (await post(meta_app, body)).status_code == 200
    await meta_app.worker.drain()
    assert api.sent and "in" in api.sent[-1][1]["message"]["text"].lower()
    attendees = await meta_app.events.attendees(event.id)
    assert [a.platform for a in attendees] == ["messenger"]


async def test_a_signed_delivery_that_cannot_be_read_is_recorded_and_not_asked_for_again(meta_app: App, graph) -> None:
    # Meta resends anything that does not get 200; a delivery that can never be read would come back forever.
    api, _ = graph
    unreadable = now_stamped(meta_app, "whatsapp_text")
    unreadable["entry"][0]["changes"][0]["value"]["messages"][0]["timestamp"] = "soon"
    first, retried = await post(meta_app, unreadable), await post(meta_app, unreadable)
    assert (first.status_code, retried.status_code) == (200, 200)
    assert (await post(meta_app, now_stamped(meta_app, "messenger_text"))).status_code == 200  # the next still goes
    await meta_app.worker.drain()
    assert len(api.sent) == 1 and api.sent[0][0] == "me"
    async with meta_app.db.session() as session:
        recorded = [e for e in await audit.entries(session) if e.action == "inbound_failed"]
        notes = await outbox.items(session, kind="owner_note")
    assert len(recorded) == 1 and recorded[0].subject.startswith("whatsapp:delivery ")
    assert "BadPayload" in recorded[0].detail["error"]
    assert len(notes) == 1  # the retry tells the owner nothing new


async def test_delivered_and_read_reports_move_the_replys_receipt_forward_and_show_in_metrics(meta_app: App,
                                                                                             graph) -> None:
    assert (await post(meta_app, now_stamped(meta_app, "whatsapp_text"))).status_code == 200
    await meta_app.worker.drain()
    for state in ("sent", "read", "delivered"):  # Meta's reports can come out of order
        report = copy.deepcopy(payload("meta", "whatsapp_status_failed"))
        status = report["entry"][0]["changes"][0]["value"]["statuses"][0]
        status.update(id="wamid.sent1", status=state)
        status.pop("errors")
        assert (await post(meta_app, report)).status_code == 200
    async with meta_app.db.session() as session:
        row = await outbox.sent_as(session, "whatsapp", "wamid.sent1")
    assert row is not None and (row.status, row.receipt) == (outbox.SENT, "read")
    asgi = create_web_app(meta_app, [from_ports(meta_routes)])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(asgi), base_url="http://testserver") as client:
        metrics = (await client.get("/metrics")).text
    assert 'socialdesk_outbox_receipts{platform="whatsapp",receipt="read"} 1' in metrics


async def test_a_delivery_stored_but_not_routed_before_the_process_stopped_is_answered_with_the_next(
        meta_app: App, graph) -> None:
    # The webhook stores each body and answers 200 before routing it; this one was stored, then the process stopped.
    api, _ = graph
    stranded = json.dumps(now_stamped(meta_app, "whatsapp_text")).encode()
    async with meta_app.db.session() as session:
        await deliveries.record(session, "whatsapp", stranded, meta_app.clock.now())
    meta_app.clock.advance(timedelta(minutes=2))  # type: ignore[attr-defined]
    assert (await post(meta_app, now_stamped(meta_app, "messenger_text"))).status_code == 200
    await meta_app.worker.drain()
    assert sorted(node for node, _ in api.sent) == ["106540352242922", "me"]
    async with meta_app.db.session() as session:
        assert await conversations.count_messages(session, "in") == 2
    assert (await post(meta_app, json.loads(stranded))).status_code == 200  # Meta's late retry of it
    await meta_app.worker.drain()
    assert len(api.sent) == 2


async def test_while_the_database_is_down_meta_is_asked_to_send_again_and_the_retry_is_answered_once(
        outage: Outage, profile_dir, clock, graph) -> None:
    api, url = graph
    settings = settings_for(profile_dir, outage.url, meta_app_secret=SecretStr(APP_SECRET),
                            meta_verify_token=SecretStr(VERIFY_TOKEN), graph_api_url=url,
                            whatsapp_token=SecretStr(TOKEN), whatsapp_phone_number_id="106540352242922")
    app = await build_app(settings, clock=clock, outlets=outlets(partial(meta_channel, platform="whatsapp")))
    try:
        body = now_stamped(app, "whatsapp_text")
        await outage.database_goes()
        assert (await post(app, body)).status_code == 500  # nothing stored: Meta sends it again
        await outage.database_back()
        assert (await post(app, body)).status_code == 200
        assert (await post(app, body)).status_code == 200
        await app.worker.drain()
        assert len(api.sent) == 1 and "Saturday" in api.sent[0][1]["text"]["body"]
    finally:
        await app.worker.channels["whatsapp"].stop()
        await app.close()


async def test_whatsapp_gets_its_own_hours_reply_bold_times_and_a_day_a_line(meta_app: App, graph) -> None:
    api, _ = graph
    assert (await post(meta_app, now_stamped(meta_app, "whatsapp_text"))).status_code == 200
    await meta_app.worker.drain()
    body = api.sent[0][1]["text"]["body"]
    lines = body.splitlines()
    assert "We're open *9am–5pm* on Saturday 28 November." in lines[0]
    assert "*This week*" in lines and sum(1 for line in lines if line[:3] in ("Mon", "Tue", "Sat", "Sun")) == 4
    assert body.count("Sat  9am–5pm") == 1


@pytest.mark.parametrize("name,sender,profile,shown", [
    ("messenger_text", PSID, {"first_name": "Peter", "last_name": "Chang"}, "Peter Chang"),
    ("instagram_text", "1122334455667788", {"name": "Mia Lopez", "username": "mia.bakes"}, "Mia Lopez"),
])
async def test_the_owner_sees_a_messenger_or_instagram_customer_by_name(meta_app: App, graph, name: str, sender: str,
                                                                       profile: dict[str, str], shown: str) -> None:
    # Their webhooks carry only an id: the name comes from the Graph API's user profile.
    api, _ = graph
    api.profiles[sender] = profile
    words = _text(name, "I want a refund, my coffee was cold")
    assert (await post(meta_app, now_stamped(meta_app, name, **words))).status_code == 200
    async with meta_app.db.session() as session:
        (held,) = await drafts.pending_drafts(session)
        view = await drafts.draft_view(session, held.id)
    assert view is not None and view.customer_name == shown


async def test_a_messenger_customer_whose_name_cannot_be_read_is_still_answered(meta_app: App, graph) -> None:
    api, _ = graph  # no profile: the Graph API refuses the lookup
    assert (await post(meta_app, now_stamped(meta_app, "messenger_text"))).status_code == 200
    await meta_app.worker.drain()
    assert len(api.sent) == 1 and api.sent[0][1]["message"]["text"].startswith(("Hi there", "We're open", "We"))
