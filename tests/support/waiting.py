"""One way to wait for something a test cannot await directly: look again and again, never sleep blindly."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable


async def eventually(condition: Callable[[], object], timeout: float = 5.0, every: float = 0.01) -> None:
    """Wait for `condition()` (or, when it is a coroutine function, `await condition()`) to be true, looking
    every `every` seconds, failing after `timeout` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await _holds(condition):
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(every)


async def _holds(condition: Callable[[], object]) -> bool:
    result = condition()
    if inspect.isawaitable(result):
        result = await result
    return bool(result)
