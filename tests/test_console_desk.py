"""The console as the owner's desk when there is no Slack: every conversation by number, replies in a
taken-over conversation, the oldest draft first, and a real terminal (line editing, history, Ctrl-C)."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import subprocess
import termios
import time
from pathlib import Path

from bot.messages import Sender
from tests.factories import inbound
from tests.support.console import ConsoleTranscript
from tests.test_cli import SOCIALDESK, clean_environment


async def test_a_taken_over_conversation_gets_the_owners_reply(chat: ConsoleTranscript) -> None:
    await chat.say("hi")
    await chat.say("/takeover")
    await chat.say("do you do gluten free cakes?")
    reply = await chat.say("/reply Yes! Ask for the almond one.")
    assert "[owner] reply from console queued" in reply
    assert "Corner Bean Café: Yes! Ask for the almond one." in reply


async def test_takeover_and_handback_work_on_any_conversation_by_number(chat: ConsoleTranscript) -> None:
    web = await chat.app.router.handle(inbound("I want a refund, my order never came", platform="webchat",
                                          thread_key="webchat:v1", external_id="w-1"))
    assert web.conversation_id is not None
    listed = await chat.say("/drafts")
    assert f"on web chat (conversation #{web.conversation_id})" in listed
    taken = await chat.say(f"/takeover {web.conversation_id}")
    assert f"took over; the bot stays quiet until handed back; closed the waiting draft #{web.draft_id}" in taken
    later = await chat.app.router.handle(inbound("hello??", platform="webchat", thread_key="webchat:v1", external_id="w-2"))
    assert later.decision is not None and "a person has taken over this conversation" in later.decision.reasons
    assert "handed the conversation back" in await chat.say(f"/handback #{web.conversation_id}")


async def test_approve_without_a_number_acts_on_the_oldest_waiting_draft(chat: ConsoleTranscript) -> None:
    await chat.app.router.handle(inbound("I'd like to speak to the manager about a private party", external_id="o-1",
                                    thread_key="console:bea", sender=Sender("console:bea", "Bea")))
    await chat.say("I want my money back for the cold coffee")
    first_line = (await chat.say("/drafts")).splitlines()[0]
    assert first_line.startswith("  [owner] #1 Bea on console")
    assert "[owner] sent by console" in await chat.say("/approve")
    assert (await chat.say("/drafts")).splitlines()[0].startswith("  [owner] #2 Ana on console")


def _read_until(fd: int, wanted: str, timeout: float = 60.0) -> str:
    seen, deadline = "", time.monotonic() + timeout
    while wanted not in seen:
        left = deadline - time.monotonic()
        assert left > 0, f"never saw {wanted!r} in {seen[-500:]!r}"
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            try:
                seen += os.read(fd, 4096).decode("utf-8", "replace")
            except OSError:  # the terminal closed: the program ended
                break
    return seen


def _own_terminal() -> None:
    """In the child: a session of its own with the pseudo-terminal as its controlling terminal, so
    Ctrl-C typed while the bot is busy is a real SIGINT, as in a terminal window."""
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def test_the_console_in_a_terminal_recalls_lines_and_ends_at_ctrl_c(initialised: Path) -> None:
    leader, follower = pty.openpty()
    process = subprocess.Popen([SOCIALDESK, "chat"], cwd=initialised, stdin=follower, stdout=follower, stderr=follower,
                               env={**clean_environment(), "TERM": "xterm"}, preexec_fn=_own_terminal)
    os.close(follower)
    try:
        _read_until(leader, "> ")
        os.write(leader, b"what time do you open on saturday?\r")
        _read_until(leader, "on Saturday 28 November")
        os.write(leader, b"\x1b[A\r")  # the up arrow brings the question back; Enter asks it again
        assert "sent the same message 2 times" in _read_until(leader, "sent the same message 2 times")
        os.write(leader, b"\x03")  # Ctrl-C: at the prompt it ends the session (0), while busy it interrupts (130)
        assert process.wait(timeout=20) in (0, 130)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        os.close(leader)
    history = (initialised / ".socialdesk-cache" / "console-history").read_text(encoding="utf-8")
    assert "what time do you open on saturday?" in history  # kept for the next session's arrow keys
