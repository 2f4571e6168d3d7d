"""What a new owner meets in the first hour: `make run` and typing in the console, the greeting, /drafts."""

from __future__ import annotations

import re
import shutil

import pytest

from bot.app import App
from bot.cli.common import log_level
from bot.settings import Settings
from tests.support.console import ConsoleTranscript
from tests.support.fixtures import AppWith


async def test_the_greeting_keeps_its_sentences_on_separate_lines(chat: ConsoleTranscript) -> None:
    reply = await chat.say("hello")
    assert "We're open right now until 6pm.\nAsk me about opening hours" in reply
    assert ".Ask me" not in reply


async def test_drafts_lists_what_is_waiting_for_the_owner(chat: ConsoleTranscript) -> None:
    assert "no drafts waiting" in await chat.say("/drafts")
    await chat.say("I want a refund, my coffee was cold")
    listed = await chat.say("/drafts")
    assert "[owner] #1 Ana on console (conversation #1): I want a refund, my coffee was cold" in listed
    await chat.say("/reject")
    assert "no drafts waiting" in await chat.say("/drafts")


def test_every_command_the_console_help_names_is_understood() -> None:
    from bot.handlers.shell import HELP

    named = [word for word in HELP.split() if word.startswith("/")]
    assert {"/approve", "/edit", "/reject", "/takeover", "/handback", "/drafts", "/help", "/quit"} <= set(named)


async def test_no_command_in_the_console_help_is_unknown(chat: ConsoleTranscript) -> None:
    from bot.handlers.shell import HELP

    await chat.say("hello")
    for command in {word for word in HELP.split() if word.startswith("/")} - {"/quit"}:
        assert "unknown command" not in await chat.say(command), command


@pytest.mark.parametrize(("env", "console", "expected"), [
    ({}, True, "WARNING"),  # the chat stays readable: no INFO lines between the customer's questions
    ({}, False, "INFO"),
    ({"LOG_LEVEL": "DEBUG"}, True, "DEBUG"),  # asked for explicitly: honoured
    ({"LOG_LEVEL": "INFO"}, True, "INFO"),
])
def test_run_in_a_terminal_keeps_routine_logs_out_of_the_console(monkeypatch, env, console, expected) -> None:
    monkeypatch.delenv("LOG_LEVEL", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert log_level(Settings(_env_file=None), console) == expected


async def test_a_mistyped_telegram_token_is_named_at_start(app: App) -> None:
    from telegram import Bot

    from bot.errors import ConfigError
    from bot.handlers.telegram.channel import TelegramChannel, api_base_url
    from tests.fakes.server import serve
    from tests.fakes.telegram_api import FakeBotApi

    async with serve(FakeBotApi().app()) as url:  # Telegram answers an unknown token with 404 / 401
        channel = TelegramChannel(Bot("7000001:AAMistypedToken", base_url=api_base_url(url)), app.db, clock=app.clock)
        with pytest.raises(ConfigError, match="Telegram refused TELEGRAM_BOT_TOKEN"):
            await channel.start(app.router.handle)


async def test_run_keeps_going_and_says_so_when_telegram_cannot_be_reached(app: App, app_with: AppWith) -> None:
    import asyncio
    from io import StringIO

    from pydantic import SecretStr

    from bot.app import Outlets
    from bot.runner import run_bot
    from tests.support.waiting import eventually

    settings = app.settings.model_copy(update={"telegram_bot_token": SecretStr("123456:AAwrong"),
                                               "telegram_api_url": "http://127.0.0.1:1"})
    out = StringIO()
    running_app = await app_with(app, settings=settings, outlets=Outlets.for_run(out, console=False))
    running = asyncio.create_task(run_bot(running_app, console=False, out=out))
    try:
        await eventually(lambda: "telegram  cannot connect yet" in out.getvalue(), timeout=20)
        assert not running.done()  # the other channels, the outbox and the scheduler run on
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
    assert "telegram  on" in out.getvalue()


def test_init_in_a_folder_with_files_keeps_them_and_says_what_to_do_next(tmp_path, monkeypatch) -> None:
    from typer.testing import CliRunner

    from bot.cli import app as cli

    (tmp_path / "business.yaml").write_text("business:\n  name: Mine\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["init"])
    assert result.exit_code == 0
    assert "kept business.yaml (exists; --force overwrites)" in result.output
    assert "wrote .env.example" in result.output and "wrote templates/wifi.j2" in result.output
    # The command it suggests works from here, whether or not socialdesk is on PATH.
    suggested = re.search(r"next: `(\S+) chat`", result.output)
    assert suggested is not None and (shutil.which(suggested[1]) or (tmp_path / suggested[1]).exists())
    assert (tmp_path / "business.yaml").read_text(encoding="utf-8") == "business:\n  name: Mine\n"
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "mine"


async def test_worker_without_slack_never_prints_a_customers_words(app: App, app_with: AppWith) -> None:
    import asyncio
    from io import StringIO

    from bot.app import Outlets
    from bot.messages import Inbound, Sender
    from bot.runner import run_bot
    from tests.support.waiting import eventually

    out = StringIO()  # for `socialdesk worker` this is the process's output: the host's log stream
    app = await app_with(app, outlets=Outlets.for_run(out, console=False))
    running = asyncio.create_task(run_bot(app, console=False, out=out))
    try:
        await eventually(lambda: "console   off" in out.getvalue())
        await app.router.handle(Inbound(platform="shell", kind="dm", external_id="w-1", thread_key="console:jo",
                                        sender=Sender("console:jo", "Jo"), text="I want a refund, my coffee was cold",
                                        received_at=app.clock.now()))
        app.worker.wake.set()
        await eventually(lambda: "[owner] draft #" in out.getvalue())
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
    assert "waits for you: Jo on console (refund); see it with /drafts in `socialdesk chat`" in out.getvalue()
    assert "coffee was cold" not in out.getvalue()


async def test_a_new_console_acts_on_drafts_held_while_it_was_closed(chat: ConsoleTranscript) -> None:
    await chat.say("I want a refund, my coffee was cold")
    await chat.say("and my cake was stale, I want that refunded too")
    await chat.close()
    # A new `socialdesk chat` on the same business: it has shown no draft yet.
    later = await ConsoleTranscript.open(chat.app.settings, chat.app.clock)
    reply = await later.say("/edit #2 Both refunded, Ana.")
    assert "Corner Bean Café: Both refunded, Ana." in reply
    oldest = await later.say("/edit So sorry Ana, your next coffee is on us.")  # no number: the oldest waiting
    assert "Corner Bean Café: So sorry Ana, your next coffee is on us." in oldest
    assert "no drafts waiting" in await later.say("/drafts")
    await later.close()


def test_serve_on_a_port_in_use_ends_with_one_error_line(initialised) -> None:
    import socket

    from tests.test_cli import run

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run("serve", "--port", str(port), cwd=initialised)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == f"error: cannot serve on 127.0.0.1:{port} (is another socialdesk serve running there?)"
    assert "address already in use" in result.stderr  # uvicorn's own reason, logged just before
    assert "color_message" not in result.stderr and "\x1b[" not in result.stderr
