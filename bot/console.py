"""Lines typed into the console: line editing and history in a terminal (prompt_toolkit), plain lines
from a pipe. Neither blocks the event loop, and Ctrl-C or Ctrl-D ends the console at once."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path


async def console_lines(history: Path | None = None) -> AsyncIterator[str]:
    """What the person types, line by line, until they end the session."""
    source = _terminal_lines(history) if sys.stdin.isatty() else _piped_lines()
    async for line in source:
        yield line


async def _terminal_lines(history: Path | None) -> AsyncIterator[str]:
    from prompt_toolkit import PromptSession
    from prompt_toolkit.history import FileHistory, InMemoryHistory

    remembered = InMemoryHistory()
    if history is not None:
        with contextlib.suppress(OSError):
            history.parent.mkdir(parents=True, exist_ok=True)
            history.touch(mode=0o600, exist_ok=True)
            remembered = FileHistory(str(history))
    session: PromptSession[str] = PromptSession(history=remembered)
    while True:
        try:
            yield await session.prompt_async("> ")
        except (EOFError, KeyboardInterrupt):
            return


async def _piped_lines() -> AsyncIterator[str]:
    # A daemon thread, not asyncio.to_thread: a read still waiting on the pipe must not keep the
    # process alive after Ctrl-C or the end of the session.
    loop = asyncio.get_running_loop()
    lines: asyncio.Queue[str | None] = asyncio.Queue()

    def read() -> None:
        for line in _stdin():
            loop.call_soon_threadsafe(lines.put_nowait, line)
        loop.call_soon_threadsafe(lines.put_nowait, None)

    threading.Thread(target=read, name="console-input", daemon=True).start()
    while (line := await lines.get()) is not None:
        yield line


def _stdin() -> Iterator[str]:
    with contextlib.suppress(ValueError, OSError):  # stdin closed under us
        yield from iter(sys.stdin.readline, "")
