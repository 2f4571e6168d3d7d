"""The event loop the long-running processes (`run`, `worker`, `serve`) run on: uvloop where it is
installed (a dependency on Linux and macOS), asyncio's own elsewhere (Windows). On uvloop the router
handles about a fifth more messages a second (bench/pipeline.py): every database call is a hand-off to
the driver's thread and back, and uvloop's wake-ups and callbacks cost less than asyncio's."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run(main: Coroutine[Any, Any, T]) -> T:
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)
