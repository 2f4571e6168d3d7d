"""The web chat as a business embeds it: the page and widget, which websites may call it, and which
processes run it (`socialdesk run` registers it, `socialdesk serve` receives and delivers)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
import secrets
import signal
import subprocess
from collections.abc import AsyncIterator
from io import StringIO
from pathlib import Path

import httpx
import pytest

from bot.app import App, build_app
from bot.clock import FrozenClock
from bot.handlers.webchat.channel import WebChatChannel, WebChatOptions
from bot.registry import webchat_provider
from bot.profile.load import load_profile
from bot.registry import customer_channels
from bot.runner import describe_channels, web_deliveries
from bot.web import create_web_app, route_providers
from storage import conversations, outbox
from tests.support.apps import settings_for

WEBSITE = "https://cornerbean.example.org"
HOSTILE_NAME = "Bean </script><script>alert(1)</script> & <b>Co</b>"


def body(visitor_id: str, text: str = "are you open on saturday?") -> dict[str, str]:
    return {"visitor_id": visitor_id, "name": "", "text": text, "client_message_id": secrets.token_hex(4)}


def edit_profile(profile_dir: Path, old: str, new: str) -> None:
    path = profile_dir / "business.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture
async def client(app: App) -> AsyncIterator[httpx.AsyncClient]:
    web = create_web_app(app, route_providers())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(web), base_url="http://testserver") as http:
        yield http


async def test_the_widget_script_is_javascript_with_no_external_urls(client: httpx.AsyncClient) -> None:
    response = await client.get("/webchat/widget.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.headers["x-content-type-options"] == "nosniff"
    script = response.text
    assert "Corner Bean Caf" in script and "/*CONFIG*/" not in script
    assert re.findall(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/", script) == []


async def test_the_widget_shows_text_only_through_text_nodes(client: httpx.AsyncClient) -> None:
    script = (await client.get("/webchat/widget.js")).text
    for dangerous in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert dangerous not in script
    assert "textContent" in script and "createTextNode" in script
    assert "localStorage" in script and "crypto.getRandomValues" in script


async def test_the_chat_page_is_self_contained_and_its_script_is_allowed_by_hash(client: httpx.AsyncClient) -> None:
    response = await client.get("/webchat")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert "<title>Chat with Corner Bean Café</title>" in page
    assert re.findall(r"https?://", page) == [] and "src=" not in page and "<link" not in page
    inline = re.search(r"<script>(.*)</script>", page, re.S).group(1)  # type: ignore[union-attr]
    digest = base64.b64encode(hashlib.sha256(inline.encode()).digest()).decode()
    policy = response.headers["content-security-policy"]
    assert f"script-src 'sha256-{digest}'" in policy and "connect-src 'self'" in policy


async def test_a_business_name_with_markup_cannot_break_out_of_the_page(
        profile_dir: Path, sqlite_url: str, clock: FrozenClock) -> None:
    edit_profile(profile_dir, "name: Corner Bean Café", f'name: "{HOSTILE_NAME}"')
    app = await build_app(settings_for(profile_dir, sqlite_url), clock=clock)
    try:
        web = create_web_app(app, route_providers())
        async with httpx.AsyncClient(transport=httpx.ASGITransport(web), base_url="http://testserver") as http:
            page, script = (await http.get("/webchat")).text, (await http.get("/webchat/widget.js")).text
    finally:
        await app.close()
    assert "<title>Chat with Bean &lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;Co&lt;/b&gt;</title>" in page
    assert page.count("<script>") == 1 and page.count("</script>") == 1
    assert "alert(1)" in script and "</script>" not in script


async def test_the_business_website_may_call_the_chat_and_other_sites_may_not(
        app: App, client: httpx.AsyncClient) -> None:
    allowed = await client.options("/webchat/messages", headers={
        "Origin": WEBSITE, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"})
    assert allowed.status_code == 204 and allowed.headers["access-control-allow-origin"] == WEBSITE
    assert "POST" in allowed.headers["access-control-allow-methods"]
    assert allowed.headers["access-control-allow-headers"] == "Content-Type"
    other = await client.options("/webchat/messages", headers={
        "Origin": "https://elsewhere.example.net", "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in other.headers
    me = secrets.token_hex(16)
    from_site = await client.post("/webchat/messages", json=body(me), headers={"Origin": WEBSITE})
    assert from_site.status_code == 202 and from_site.headers["access-control-allow-origin"] == WEBSITE
    from_elsewhere = await client.post("/webchat/messages", json=body(me, "hello from elsewhere"),
                                       headers={"Origin": "https://elsewhere.example.net"})
    assert from_elsewhere.status_code == 403 and "may not post" in from_elsewhere.json()["error"]
    same_origin = await client.post("/webchat/messages", json=body(me, "hi"), headers={"Origin": "http://testserver"})
    assert same_origin.status_code == 202
    read = await client.get("/webchat/messages", params={"visitor_id": me, "wait": 0}, headers={"Origin": WEBSITE})
    assert read.headers["access-control-allow-origin"] == WEBSITE and read.headers["cache-control"] == "no-store"
    async with app.db.session() as session:
        assert await conversations.count_messages(session, "in") == 2


async def test_extra_websites_can_be_allowed_in_the_profile(profile_dir: Path, sqlite_url: str,
                                                            clock: FrozenClock) -> None:
    edit_profile(profile_dir, "webchat: {enabled: true}",
                 'webchat: {enabled: true, allowed_origins: ["https://www.cornerbean.example.org/"]}')
    app = await build_app(settings_for(profile_dir, sqlite_url), clock=clock)
    try:
        web = create_web_app(app, route_providers())
        async with httpx.AsyncClient(transport=httpx.ASGITransport(web), base_url="http://testserver") as http:
            response = await http.post("/webchat/messages", json=body(secrets.token_hex(16)),
                                       headers={"Origin": "https://www.cornerbean.example.org"})
    finally:
        await app.close()
    assert response.status_code == 202
    assert response.headers["access-control-allow-origin"] == "https://www.cornerbean.example.org"


async def test_a_disabled_web_chat_serves_nothing(profile_dir: Path, sqlite_url: str, clock: FrozenClock) -> None:
    edit_profile(profile_dir, "webchat: {enabled: true}", "webchat: {enabled: false}")
    settings = settings_for(profile_dir, sqlite_url)
    app = await build_app(settings, clock=clock)
    try:
        web = create_web_app(app, route_providers())
        async with httpx.AsyncClient(transport=httpx.ASGITransport(web), base_url="http://testserver") as http:
            assert (await http.get("/webchat")).status_code == 404
            assert (await http.post("/webchat/messages", json=body(secrets.token_hex(16)))).status_code == 404
        status = {s.name: s for s in customer_channels(app.ports)}["webchat"]
    finally:
        await app.close()
    assert not status.on and "disabled" in status.note


async def test_run_lists_the_web_chat_as_on_without_credentials_and_says_where_it_receives(app: App) -> None:
    statuses = customer_channels(app.ports)
    webchat = {s.name: s for s in statuses}["webchat"]
    assert webchat.on and isinstance(webchat.channel, WebChatChannel)
    out = StringIO()
    describe_channels(statuses, console=False, out=out)
    assert "webchat   on in `socialdesk serve` at /webchat" in out.getvalue()


async def test_serve_delivers_web_chat_replies_itself_and_leaves_other_platforms_alone(app: App) -> None:
    web = create_web_app(app, [webchat_provider(WebChatOptions(poll_timeout=5.0, recheck_seconds=5.0))])
    now = app.clock.now()
    async with app.db.session() as session:
        await outbox.enqueue(session, key="telegram-reply", kind="reply", platform="telegram",
                             payload={"thread_key": "42", "text": "hi"}, due_at=now, now=now)
    me = secrets.token_hex(16)
    async with web_deliveries(app), \
            httpx.AsyncClient(transport=httpx.ASGITransport(web), base_url="http://testserver") as http:
        await http.post("/webchat/messages", json=body(me))
        response = await asyncio.wait_for(http.get("/webchat/messages", params={"visitor_id": me}), timeout=4)
    assert response.json()["messages"][0]["text"].startswith("We're open 9am–5pm on Saturday 28 November.")
    async with app.db.session() as session:
        telegram = await outbox.get_item(session, "telegram-reply")
    assert telegram is not None and telegram.status == "pending" and telegram.attempts == 0


def test_socialdesk_serve_answers_a_web_chat_visitor_on_its_own(initialised: Path) -> None:
    from tests.test_cli import SOCIALDESK, clean_environment

    process = subprocess.Popen([SOCIALDESK, "serve", "--port", "0"], cwd=initialised, stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=clean_environment())
    try:
        base = _listening_address(process)
        me = secrets.token_hex(16)
        with httpx.Client(base_url=base, timeout=15) as http:
            assert http.post("/webchat/messages", json=body(me)).status_code == 202
            answer = http.get("/webchat/messages", params={"visitor_id": me, "wait": 10}).json()
    finally:
        process.send_signal(signal.SIGTERM)
        _, errors = process.communicate(timeout=30)
    # uvicorn re-raises the SIGTERM it caught once it has shut down cleanly.
    assert process.returncode in (0, -signal.SIGTERM) and "Traceback" not in errors, errors
    assert "We're open" in answer["messages"][0]["text"] and "Saturday" in answer["messages"][0]["text"]
    # The access log shows the request but neither the visitor's key to their replies nor their words.
    assert '"GET /webchat/messages?... HTTP/1.1" 200' in errors, errors
    assert me not in errors and "are you open on saturday" not in errors


def _listening_address(process: subprocess.Popen[str]) -> str:
    assert process.stderr is not None
    for _ in range(50):
        line = process.stderr.readline()
        found = re.search(r"running on (http://127\.0\.0\.1:\d+)", line, re.IGNORECASE)
        if found:
            return found.group(1)
    raise AssertionError("socialdesk serve did not start")
