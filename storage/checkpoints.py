"""SQLite's WAL checkpoints, on a thread of their own.

By default the connection whose COMMIT takes the write-ahead log past 1,000 pages copies the log back into
the database file then and there, syncing both. Commits run on the event loop (storage/prepared.py), so
one message in a hundred would wait for that copy: 5 ms at p99 instead of 0.2. Instead, this process's
connections never checkpoint, and a thread with its own connection does, once a second while there are
commits, without waiting for readers or writers (PASSIVE), as SQLite allows any connection to.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading

log = logging.getLogger(__name__)

CHECKPOINT_EVERY_SECONDS = 1.0


class Checkpointer:
    """Checkpoints one SQLite file's log about `every_seconds` after commits are made (`committed()`, on
    the event loop), until `stop()`. The delay is the event loop's timer, not a timed wait on the thread:
    the loop's timers are what every part of the bot already keeps time with."""

    def __init__(self, path: str, every_seconds: float = CHECKPOINT_EVERY_SECONDS) -> None:
        self._path, self._every = path, every_seconds
        self._due = threading.Event()
        self._stopping = False
        self._scheduled = False
        self._thread: threading.Thread | None = None

    def committed(self) -> None:
        """A commit added to the log: checkpoint soon (starts the thread on first use)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="sqlite-checkpoints", daemon=True)
            self._thread.start()
        if self._scheduled:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # committed outside an event loop: checkpoint now
            self._due.set()
            return
        self._scheduled = True
        loop.call_later(self._every, self._make_due)

    def _make_due(self) -> None:
        self._scheduled = False
        self._due.set()

    def stop(self) -> None:
        """Stop the thread after a last checkpoint of what was committed."""
        self._stopping = True
        self._due.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        connection = sqlite3.connect(self._path, isolation_level=None)
        try:
            while True:
                self._due.wait()
                self._due.clear()
                self._checkpoint(connection)
                if self._stopping:
                    return
        finally:
            connection.close()

    @staticmethod
    def _checkpoint(connection: sqlite3.Connection) -> None:
        try:
            connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.Error as exc:  # another process checkpointing, or the file gone: the next turn retries
            log.debug("wal checkpoint skipped", extra={"reason": str(exc)})
