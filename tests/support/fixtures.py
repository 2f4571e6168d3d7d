"""Fixtures the whole suite shares beside conftest.py's (registered there with `pytest_plugins`)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable
from typing import Any, Protocol

import pytest

from bot.app import App, ChannelFactory, Outlets, build_app
from bot.ports import Channel, OwnerDesk
from bot.settings import Settings
from tests.support.apps import outlets as test_outlets
from tests.support.channels import RecordingChannel


class AppWith(Protocol):
    def __call__(self, base: App, *channels: Channel | ChannelFactory, owner: OwnerDesk | None = None,
                 platforms: tuple[str, ...] | None = (), settings: Settings | None = None,
                 outlets: Outlets | None = None, **options: Any) -> Awaitable[App]: ...


@pytest.fixture
async def app_with() -> AsyncIterator[AppWith]:
    """`await app_with(app, channel, owner=desk)`: `app`'s business, database and clock, built again to deliver
    through app's channels and these (a channel replaces app's for its platform), this desk (else app's) and
    the registry's `platforms` (`settings` replaces app's; `outlets` replaces all the rest, as
    `Outlets.for_run(...)`). Each is closed after the test."""
    made: list[App] = []

    async def make(base: App, *channels: Channel | ChannelFactory, owner: OwnerDesk | None = None,
                   platforms: tuple[str, ...] | None = (), settings: Settings | None = None,
                   outlets: Outlets | None = None, **options: Any) -> App:
        kept = tuple(base.worker.channels.values())
        chosen = outlets or test_outlets(*kept, *channels, owner=owner or base.worker.owner, platforms=platforms)
        built = await build_app(settings or base.settings, profile_path=base.profile_path, clock=base.clock,
                                outlets=chosen, **options)
        made.append(built)
        return built

    yield make
    for built in made:
        await built.close()




@pytest.fixture
def shell() -> RecordingChannel:
    """The console's channel as a recording stand-in; a test asking for it gets an `app` (or `any_app`)
    delivering through it."""
    return RecordingChannel("shell")
