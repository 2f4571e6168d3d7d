"""Event invites on WhatsApp, Messenger and Instagram, within Meta's rules: a customer inside their 24-hour
window gets the invite with RSVP buttons; on WhatsApp the others get it through the owner's approved template;
anyone else is held, and both `events add` and the owner are told who and why. Against the fake Graph API,
on SQLite and (with TEST_DATABASE_URL) Postgres."""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from typer.testing import CliRunner, Result

from bot.app import App, build_app
from bot.cli import app as socialdesk
from bot.clock import FrozenClock
from bot.handlers.meta.build import meta_channel, meta_routes
from bot.handlers.meta.signature import HEADER, signature_for
from bot.settings import Settings
from bot.web import create_web_app
from storage import outbox
from storage.outbox_rows import EventPost, OwnerNote, row_as
from tests.fakes.graph_api import TOKEN, FakeGraphApi
from tests.fakes.server import serve
from tests.payloads.load import payload

APP_SECRET, VERIFY_TOKEN = "meta-app-secret", "meta-verify-token"
RECENT, EARLIER = "16505551234", "447700900111"  # WhatsApp customers: one wrote just now, one 30 hours ago
PSID = "6543210987654321"  # a Messenger customer who wrote 30 hours ago
NAMES = {RECENT: "Sheena Nelson", EARLIER: "Priya Shah"}
PLATFORMS = ("whatsapp", "messenger", "instagram")


@pytest.fixture
async def graph() -> AsyncIterator[tuple[FakeGraphApi, str]]:
    api = FakeGraphApi()
    async with serve(api.app()) as url:
        yield api, url


async def cafe_on_meta(profile_dir: Path, database_url: str, clock: FrozenClock, graph_url: str,
                       template: str | None) -> tuple[App, dict[str, str]]:
    """The example café with WhatsApp and Messenger set up (and, when given, an approved WhatsApp template)."""
    path = profile_dir / "business.yaml"
    whatsapp = f"  whatsapp: {{enabled: true, template: {template}}}\n" if template else ""
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("\nchannels:\n", f"\nchannels:\n{whatsapp}"), encoding="utf-8")
    settings = Settings(_env_file=None, database_url=database_url, socialdesk_config=str(path),
                        meta_app_secret=SecretStr(APP_SECRET), meta_verify_token=SecretStr(VERIFY_TOKEN),
                        graph_api_url=graph_url, whatsapp_token=SecretStr(TOKEN),
                        whatsapp_phone_number_id="106540352242922", messenger_page_token=SecretStr(TOKEN),
                        instagram_token=SecretStr(TOKEN))
    app = await build_app(settings, clock=clock)
    for platform in PLATFORMS:
        app.worker.channels[platform] = meta_channel(app, platform)
    return app, {"DATABASE_URL": database_url, "SOCIALDESK_CONFIG": str(path)}


@pytest.fixture
async def customers(profile_dir: Path, database_url: str, clock: FrozenClock, graph,
                    request: pytest.FixtureRequest) -> AsyncIterator[tuple[App, dict[str, str]]]:
    """Two WhatsApp customers and a Messenger one have written in; only one WhatsApp customer in the last day."""
    _, url = graph
    app, env = await cafe_on_meta(profile_dir, database_url, clock, url, getattr(request, "param", None))
    await write(app, whatsapp_text(app, EARLIER, "wamid.earlier", "what time do you open on saturday?"))
    await write(app, messenger_text(app, "what time do you open on saturday?"))
    clock.advance(timedelta(hours=30))
    await write(app, whatsapp_text(app, RECENT, "wamid.recent", "what time do you open on saturday?"))
    await app.worker.drain()
    yield app, env
    for platform in PLATFORMS:
        await app.worker.channels[platform].stop()
    await app.close()


def whatsapp_text(app: App, sender: str, message_id: str, words: str) -> dict[str, Any]:
    body = copy.deepcopy(payload("meta", "whatsapp_text"))
    value = body["entry"][0]["changes"][0]["value"]
    value["contacts"][0].update({"wa_id": sender, "profile": {"name": NAMES[sender]}})
    value["messages"][0].update({"from": sender, "id": message_id, "timestamp": str(int(app.clock.now().timestamp())),
                                 "text": {"body": words}})
    return body


def messenger_text(app: App, words: str) -> dict[str, Any]:
    body = copy.deepcopy(payload("meta", "messenger_text"))
    event = body["entry"][0]["messaging"][0]
    event["timestamp"] = int(app.clock.now().timestamp()) * 1000
    event["message"]["text"] = words
    return body


def button_press(app: App, sender: str, button_id: str) -> dict[str, Any]:
    body = copy.deepcopy(payload("meta", "whatsapp_button_reply"))
    value = body["entry"][0]["changes"][0]["value"]
    value["contacts"][0]["wa_id"] = sender
    value["messages"][0].update({"from": sender, "timestamp": str(int(app.clock.now().timestamp())),
                                 "interactive": {"type": "button_reply",
                                                 "button_reply": {"id": button_id, "title": "Going"}}})
    return body


async def invite_id(app: App, thread_key: str) -> str:
    """The WhatsApp message id the customer's invite was sent as."""
    async with app.db.session() as session:
        rows = [i for i in await outbox.items(session, kind="event_post", platform="whatsapp")
                if row_as(i, EventPost).thread_key == thread_key]
    assert len(rows) == 1 and rows[0].external_id
    return rows[0].external_id


def read_report(message_id: str) -> dict[str, Any]:
    body = copy.deepcopy(payload("meta", "whatsapp_status_failed"))
    status = body["entry"][0]["changes"][0]["value"]["statuses"][0]
    status.update(id=message_id, status="read")
    status.pop("errors")
    return body


async def write(app: App, body: dict[str, Any]) -> None:
    raw = json.dumps(body).encode()
    asgi = create_web_app(app, [meta_routes])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(asgi), base_url="http://testserver") as client:
        response = await client.post("/meta/webhook", content=raw, headers={
            "Content-Type": "application/json", HEADER: signature_for(raw, APP_SECRET)})
    assert response.status_code == 200
    await app.worker.drain()


async def cli(env: dict[str, str], clock: FrozenClock, *args: str) -> Result:
    result = await asyncio.to_thread(CliRunner().invoke, socialdesk, list(args), env=env, obj={"clock": clock})
    assert result.exit_code == 0, result.output
    return result


async def add_event(env: dict[str, str], clock: FrozenClock) -> Result:
    return await cli(env, clock, "events", "add", "--title", "Winter coffee tasting", "--start", "2026-12-05 18:30",
                     "--capacity", "20", "--channel", "whatsapp", "--channel", "messenger")


async def owner_notes(app: App) -> list[str]:
    async with app.db.session() as session:
        return [row_as(item, OwnerNote).text for item in await outbox.items(session, kind="owner_note")]


def sent_to(api: FakeGraphApi, who: str) -> list[dict[str, Any]]:
    return [body for _, body in api.sent if who in (body.get("to"), body.get("recipient", {}).get("id"))]


async def test_an_invite_reaches_whatsapp_customers_inside_their_window_and_says_who_is_held(
        customers: tuple[App, dict[str, str]], graph, clock: FrozenClock) -> None:
    app, env = customers
    api, _ = graph
    api.sent.clear()
    schedule = (await add_event(env, clock)).output
    assert "whatsapp each customer (direct messages)" in schedule
    assert "1 customer wrote in the last 24 hours: invited directly, with RSVP buttons" in schedule
    assert "1 customer held (Priya Shah): they last wrote more than 24 hours ago" in schedule
    assert "set channels.whatsapp.template" in schedule
    assert "Messenger allows no invite after that" in schedule
    assert "reminder-" not in schedule.split("messenger")[0]  # nobody on WhatsApp is written to again and again

    await app.worker.drain()
    (invite,) = sent_to(api, RECENT)
    assert invite["type"] == "interactive" and "Winter coffee tasting" in invite["interactive"]["body"]["text"]
    buttons = invite["interactive"]["action"]["buttons"]
    assert [b["reply"]["title"] for b in buttons] == ["Going", "Maybe", "Can't go"]
    assert sent_to(api, EARLIER) == [] and sent_to(api, PSID) == []
    notes = await owner_notes(app)
    assert any("The invite for \"Winter coffee tasting\" was not sent to 1 customer on WhatsApp (Priya Shah)" in note for note in notes)
    assert any("on Messenger" in note and "allows no invite" in note for note in notes)

    await write(app, button_press(app, RECENT, buttons[0]["reply"]["id"]))
    assert app.events is not None
    (attendee,) = await app.events.attendees(1)
    assert (attendee.platform, attendee.status) == ("whatsapp", "going")
    assert "in" in sent_to(api, RECENT)[-1]["text"]["body"].lower()

    await write(app, read_report(await invite_id(app, RECENT)))
    shown = (await cli(env, clock, "events", "show", "1")).output
    assert "1 invited: 1 sent (1 read)" in shown and "1 held (Priya Shah)" in shown


@pytest.mark.parametrize("customers", ["winter_news"], indirect=True)
async def test_whatsapp_customers_outside_their_window_get_the_invite_through_the_approved_template(
        customers: tuple[App, dict[str, str]], graph, clock: FrozenClock) -> None:
    app, env = customers
    api, _ = graph
    api.sent.clear()
    schedule = (await add_event(env, clock)).output
    assert '1 customer through your approved template "winter_news"' in schedule
    await app.worker.drain()
    (invite,) = sent_to(api, EARLIER)
    assert invite["type"] == "template" and invite["template"]["name"] == "winter_news"
    value = invite["template"]["components"][0]["parameters"][0]["text"]
    assert "Winter coffee tasting" in value and "\n" not in value  # WhatsApp refuses new lines in a variable
    assert sent_to(api, RECENT)[0]["type"] == "interactive"
    assert not any("WhatsApp" in note for note in await owner_notes(app))


async def test_an_invite_that_waited_past_the_window_is_held_not_sent(
        customers: tuple[App, dict[str, str]], graph, clock: FrozenClock) -> None:
    # The bot was down when the invite came due: by the time it goes, the customer's window has closed.
    app, env = customers
    api, _ = graph
    api.sent.clear()
    await add_event(env, clock)
    worker = app.worker
    stopped = worker.channels.pop("whatsapp")  # the invite is shared out, but WhatsApp is not running to send it
    await worker.drain()
    await stopped.stop()
    clock.advance(timedelta(hours=25))
    worker.channels["whatsapp"] = meta_channel(app, "whatsapp")
    await worker.drain()
    assert sent_to(api, RECENT) == []
    assert any("not sent to 1 customer on WhatsApp (Sheena Nelson)" in note for note in await owner_notes(app))


async def test_a_cancellation_after_the_window_is_never_sent_with_the_human_agent_tag(
        customers: tuple[App, dict[str, str]], graph, clock: FrozenClock) -> None:
    # HUMAN_AGENT is for a person's answer to the customer; news of a cancelled event is not one.
    app, env = customers
    api, _ = graph
    await add_event(env, clock)
    await app.worker.drain()
    body = messenger_text(app, "")
    body["entry"][0]["messaging"][0]["message"] = {"mid": "m_rsvp", "text": "Going",
                                                   "quick_reply": {"payload": "rsvp:1:going"}}
    await write(app, body)
    assert app.events is not None and [a.platform for a in await app.events.attendees(1)] == ["messenger"]
    clock.advance(timedelta(days=2))
    api.sent.clear()
    assert await app.events.cancel_event(1, reason="Our roaster is unwell.") == 0
    await app.worker.drain()
    assert sent_to(api, PSID) == []
    assert any(note.startswith('The cancellation for "Winter coffee tasting" was not sent to 1 customer on Messenger')
               for note in await owner_notes(app))
