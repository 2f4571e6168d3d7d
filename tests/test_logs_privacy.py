"""Logs never carry a token, a signing secret or a customer's words: checked on realistic flows with
our loggers at DEBUG and the libraries at INFO (chattier than a real deployment ever runs them)."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest
from telegram import Bot

from bot import logs
from bot.app import App
from bot.handlers.telegram.channel import TelegramChannel, api_base_url
from bot.settings import Settings
from tests.support.console import ConsoleTranscript
from tests.fakes.server import serve
from tests.support.waiting import eventually
from tests.fakes.telegram_api import TOKEN, FakeBotApi
from tests.payloads.load import payload
from tests.slack_harness import SECRET, Desk, event_envelope, listeners_done
from tests.support.fixtures import AppWith

OURS = ("bot", "storage", "socialdesk")


class Captured:
    def __init__(self, stream: io.StringIO, caplog: pytest.LogCaptureFixture) -> None:
        self._stream, self._caplog = stream, caplog

    def loud_records(self) -> str:
        """What was logged at INFO and above, as records (messages and any traceback)."""
        texts = []
        for record in self._caplog.records:
            if record.levelno >= logging.INFO:
                texts.append(record.getMessage() + repr(vars(record).get("error", "")))
                if record.exc_info:
                    texts.append(logging.Formatter().formatException(record.exc_info))
        return "\n".join(texts)

    def lines(self) -> str:
        """What reaches the log output itself."""
        return self._stream.getvalue()


@pytest.fixture
def captured(caplog: pytest.LogCaptureFixture) -> Iterator[Captured]:
    root = logging.getLogger()
    saved = root.handlers[:], root.level, {name: logging.getLogger(name).level for name in logs.LIBRARIES + OURS}
    stream = io.StringIO()
    logs.configure("DEBUG", [TOKEN, SECRET, "xoxb-test-token"])
    root.handlers[0].setStream(stream)  # type: ignore[attr-defined]
    root.addHandler(caplog.handler)
    for name in logs.LIBRARIES:
        logging.getLogger(name).setLevel(logging.INFO)
    yield Captured(stream, caplog)
    root.handlers[:], level, levels = saved
    root.setLevel(level)
    for name, value in levels.items():
        logging.getLogger(name).setLevel(value)


async def test_telegram_polling_and_replying_log_neither_the_token_nor_the_words(
        app: App, app_with: AppWith, captured: Captured) -> None:
    api = FakeBotApi()
    async with serve(api.app()) as url:
        channel = TelegramChannel(Bot(TOKEN, base_url=api_base_url(url)), app.db, clock=app.clock, poll_timeout=1)
        app = await app_with(app, channel)
        api.push(payload("telegram", "private_text"))
        await channel.start(app.router.handle)
        await eventually(lambda: api.confirmed_offset > 815200101)
        await app.worker.drain()
        await channel.stop()
    assert len(api.sent) == 1
    assert "HTTP Request" in captured.lines()  # the libraries did talk, at INFO
    assert TOKEN not in captured.lines() and TOKEN.split(":")[1] not in captured.lines()
    assert "what time do you open on saturday" not in captured.lines()
    assert "We're open" not in captured.lines()
    assert "what time do you open on saturday" not in captured.loud_records()


async def test_console_conversation_logs_what_happened_but_not_what_was_said(
        chat: ConsoleTranscript, captured: Captured) -> None:
    said = await chat.say("I want a refund, my coffee was cold")
    assert "they said: I want a refund" in said  # the owner sees the words in the console itself
    await chat.say("/edit So sorry Alex, your next coffee is on us.")
    assert "handled inbound" in captured.lines()
    for words in ("my coffee was cold", "your next coffee is on us"):
        assert words not in captured.lines() and words not in captured.loud_records()


async def test_a_slack_request_nobody_handles_is_logged_without_its_body(desk: Desk, captured: Captured) -> None:
    envelope = event_envelope("app_mention")
    envelope["event"] = {**envelope["event"], "type": "reaction_added", "text": "my card number is 4929 1234"}
    response = await desk.event(envelope)
    await listeners_done()
    assert response.status_code in (200, 404)
    assert "Unhandled Slack request" in captured.lines()
    assert "4929 1234" not in captured.lines() and "4929 1234" not in captured.loud_records()
    assert SECRET not in captured.lines() and "xoxb-test-token" not in captured.lines()


def test_formatter_blanks_secrets_and_token_shapes_whoever_logs_them() -> None:
    formatter = logs.KeyValueFormatter(["s3cr3t-signing"])
    record = logging.LogRecord("httpx", logging.WARNING, "", 0, "POST https://api.telegram.org/bot123:ABC-def_9/getMe "
                               "with s3cr3t-signing and xoxb-1-2-abc and xapp-1-A1-2-f", (), None)
    line = formatter.format(record)
    assert "ABC-def_9" not in line and "s3cr3t-signing" not in line and "xoxb-1" not in line and "xapp-1" not in line
    assert "/bot***/getMe" in line


def test_settings_hand_every_secret_that_is_set_to_the_logs() -> None:
    settings = Settings(_env_file=None, telegram_bot_token=TOKEN, slack_signing_secret=SECRET)
    assert sorted(settings.secret_values()) == sorted([TOKEN, SECRET])


def test_slack_in_the_environment_starts_without_a_warning(desk: Desk, captured: Captured, monkeypatch) -> None:
    from bot.handlers.slack.bolt_app import build_slack_desk

    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test-token")  # as a Procfile host sets it
    build_slack_desk(desk.app.desk)
    assert "level=warning" not in captured.lines(), captured.lines()


async def test_a_database_error_does_not_carry_the_customers_words(db) -> None:
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    with pytest.raises(DBAPIError) as failed:
        async with db.session() as session:
            await session.execute(text("INSERT INTO no_such_table VALUES (:words)"), {"words": "my card is 4929 1234"})
    assert "4929 1234" not in str(failed.value)


async def test_a_retried_web_chat_post_logs_neither_the_visitors_key_nor_their_words(app: App, captured: Captured) -> None:
    import secrets

    import httpx

    from bot.registry import webchat_provider
    from bot.web import create_web_app

    visitor = secrets.token_hex(16)
    post = {"visitor_id": visitor, "name": "Jo", "text": "is the quiet room free at noon?", "client_message_id": "m1"}
    web = create_web_app(app, [webchat_provider()])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(web), base_url="http://testserver") as http:
        for _ in range(2):  # a flaky mobile connection sends it again
            assert (await http.post("/webchat/messages", json=post)).status_code == 202
    await app.worker.drain()

    assert "duplicate inbound" in captured.lines()
    assert visitor not in captured.lines() and visitor not in captured.loud_records()
    assert "quiet room" not in captured.lines()
