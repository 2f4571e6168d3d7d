"""Oversized request bodies are refused with 413 before they are read: per route, whether the client
declares the length or streams a chunked body, in the ASGI app and in a real `socialdesk serve`."""

from __future__ import annotations

import re
import secrets
import signal
import socket
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from bot.app import App, build_app
from bot.handlers.slack.bolt_app import EVENTS_BODY_LIMIT
from bot.handlers.telegram.channel import WEBHOOK_BODY_LIMIT
from bot.handlers.webchat.input import MAX_BODY_BYTES
from bot.web import create_web_app, route_providers
from tests.test_cli import SOCIALDESK, clean_environment
from tests.support.apps import settings_for

CHUNK = 64 * 1024
HUGE = 300 * 1024 * 1024
ROUTES = [("/webchat/messages", MAX_BODY_BYTES), ("/slack/events", EVENTS_BODY_LIMIT),
          ("/telegram/webhook", WEBHOOK_BODY_LIMIT)]


class Stream:
    """A request body that counts how much of it the server asked for."""

    def __init__(self, total: int) -> None:
        self.total, self.read = total, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while self.read < self.total:
            self.read += CHUNK
            yield b"x" * CHUNK


@pytest.fixture
async def web(profile_dir: Path, sqlite_url: str, clock) -> AsyncIterator[httpx.AsyncClient]:
    settings = settings_for(profile_dir, sqlite_url, slack_bot_token="xoxb-test", slack_signing_secret="s" * 32,
                            telegram_bot_token="123:abc", telegram_webhook_secret="t" * 32)
    app: App = await build_app(settings, clock=clock)
    asgi = create_web_app(app, route_providers())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(asgi), base_url="http://testserver") as http:
        yield http
    await app.close()


@pytest.mark.parametrize("path, limit", ROUTES)
async def test_a_streamed_body_past_the_route_limit_is_refused_without_reading_the_rest(
        web: httpx.AsyncClient, path: str, limit: int) -> None:
    body = Stream(HUGE)

    response = await web.post(path, content=body, headers={"Content-Type": "application/json"})

    assert response.status_code == 413 and str(limit) in response.json()["error"]
    assert body.read <= limit + 2 * CHUNK  # 300 MB offered, barely more than the limit taken


@pytest.mark.parametrize("path, limit", ROUTES)
async def test_a_declared_length_past_the_limit_is_refused_before_any_byte_is_read(
        web: httpx.AsyncClient, path: str, limit: int) -> None:
    body = Stream(HUGE)

    response = await web.post(path, content=body, headers={"Content-Length": str(HUGE)})

    assert response.status_code == 413 and body.read == 0


async def test_a_body_within_the_limit_still_reaches_the_route(web: httpx.AsyncClient) -> None:
    response = await web.post("/webchat/messages", json={"visitor_id": secrets.token_hex(16), "name": "Jo",
                                                         "text": "are you open on saturday?", "client_message_id": "a1"})
    assert response.status_code == 202


async def test_a_length_that_is_not_a_number_is_a_bad_request(web: httpx.AsyncClient) -> None:
    response = await web.post("/webchat/messages", content=b"{}", headers={"Content-Length": "2, 2"})
    assert response.status_code == 400


def resident_bytes(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    found = re.search(r"VmRSS:\s+(\d+) kB", status)
    assert found is not None
    return int(found.group(1)) * 1024


def chunked(total: int) -> Iterator[bytes]:
    block = b"x" * (1024 * 1024)
    for _ in range(total // len(block)):
        yield block


def declared_without_sending(base: str, path: str) -> str:
    """Headers that promise 300 MB, then nothing: the answer must come before any of it."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=15) as conn:
        conn.sendall(f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
                     f"Content-Length: {HUGE}\r\n\r\n".encode())
        return conn.recv(4096).decode(errors="replace")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads resident memory from /proc")
def test_socialdesk_serve_refuses_300_mb_posts_without_growing_by_their_size(initialised: Path) -> None:
    process = subprocess.Popen([SOCIALDESK, "serve", "--port", "0"], cwd=initialised, stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=clean_environment())
    try:
        base = _listening_address(process)
        with httpx.Client(base_url=base, timeout=30) as http:
            assert http.get("/health").status_code == 200
            before = resident_bytes(process.pid)
            streamed = http.post("/webchat/messages", content=chunked(HUGE))
            declared = declared_without_sending(base, "/webchat/messages")
            after = resident_bytes(process.pid)
            assert http.get("/health").status_code == 200
    finally:
        process.send_signal(signal.SIGTERM)
        _, errors = process.communicate(timeout=30)
    assert streamed.status_code == 413
    assert declared.startswith("HTTP/1.1 413")
    grew = after - before
    print(f"resident memory grew by {grew / 2**20:.1f} MiB for two 300 MiB posts")
    assert grew < 32 * 2**20, f"grew by {grew / 2**20:.1f} MiB"
    assert "Traceback" not in errors, errors


def _listening_address(process: subprocess.Popen[str]) -> str:
    assert process.stderr is not None
    for _ in range(50):
        line = process.stderr.readline()
        found = re.search(r"running on (http://127\.0\.0\.1:\d+)", line, re.IGNORECASE)
        if found:
            return found.group(1)
    raise AssertionError("socialdesk serve did not start")
