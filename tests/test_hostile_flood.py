"""Flood limits on the web chat: per visitor, per address and overall; the owner hears of it once,
not once per refused message; behind a proxy, only the proxy's own address is trusted to name a client."""

from __future__ import annotations

import secrets
import signal
import subprocess
from io import StringIO
from pathlib import Path

import httpx

from bot.app import App
from bot.handlers.shell import ConsoleDesk
from bot.handlers.webchat.channel import WebChatOptions
from bot.registry import webchat_provider
from bot.web import create_web_app
from storage import outbox
from tests.test_cli import SOCIALDESK, clean_environment
from tests.test_hostile_bodies import _listening_address
from tests.support.fixtures import AppWith


def post(visitor: str | None = None, text: str = "hi there") -> dict[str, str]:
    return {"visitor_id": visitor or secrets.token_hex(16), "name": "Jo", "text": text,
            "client_message_id": secrets.token_hex(6)}


async def statuses_from(app: App, options: WebChatOptions, addresses: list[str]) -> list[int]:
    web = create_web_app(app, [webchat_provider(options)])
    found = []
    for address in addresses:
        transport = httpx.ASGITransport(web, client=(address, 5000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            found.append((await http.post("/webchat/messages", json=post())).status_code)
    return found


async def test_many_addresses_together_cannot_pass_the_overall_limit(app: App) -> None:
    options = WebChatOptions(overall_per_minute=5)
    addresses = [f"198.51.100.{n}" for n in range(8)]

    assert await statuses_from(app, options, addresses) == [202] * 5 + [429] * 3


async def test_the_owner_gets_one_note_when_the_limits_trip_however_many_are_refused(
        app: App, app_with: AppWith) -> None:
    desk = StringIO()
    app = await app_with(app, owner=ConsoleDesk(desk))

    statuses = await statuses_from(app, WebChatOptions(), ["203.0.113.9"] * 45)
    await app.worker.drain()

    assert statuses == [202] * 30 + [429] * 15
    async with app.db.session() as session:
        notes = await outbox.items(session, kind="owner_note")
    assert len(notes) == 1 and notes[0].status == "sent"
    assert "one address sent more than 30 messages a minute" in desk.getvalue()


def test_behind_a_proxy_only_the_proxys_address_may_name_the_client(initialised: Path) -> None:
    """FORWARDED_ALLOW_IPS names the proxy; a client on any other address cannot claim another address
    with X-Forwarded-For, so one client stays one address to the per-address limit."""
    env = clean_environment() | {"FORWARDED_ALLOW_IPS": "10.0.0.2"}  # the proxy; the test is not it
    process = subprocess.Popen([SOCIALDESK, "serve", "--port", "0"], cwd=initialised, stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    try:
        base = _listening_address(process)
        with httpx.Client(base_url=base, timeout=15) as http:
            statuses = [http.post("/webchat/messages", json=post(), headers={"X-Forwarded-For": f"192.0.2.{n}"}).status_code
                        for n in range(31)]
    finally:
        process.send_signal(signal.SIGTERM)
        _, errors = process.communicate(timeout=30)
    assert statuses == [202] * 30 + [429], statuses
    assert "Traceback" not in errors, errors
