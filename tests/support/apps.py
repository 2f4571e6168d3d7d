"""Settings for a test's business, and the app built with the channels and owner's desk a test delivers
through: the App is built whole, so a test asks for its outlets when it builds one."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from starlette.routing import BaseRoute

from bot.app import ChannelFactory, Outlets
from bot.ports import Channel, HandlerPorts, OwnerDesk
from bot.registry import RouteProvider
from bot.settings import Settings


def settings_for(profile_dir: Path, database_url: str, **overrides: Any) -> Settings:
    """The business in `profile_dir` on `database_url`, with no .env read; `overrides`: more settings."""
    return Settings(_env_file=None, database_url=database_url, socialdesk_config=str(profile_dir / "business.yaml"),
                    **overrides)


def factory(channel: Channel | ChannelFactory) -> ChannelFactory:
    """A channel a test made itself, or a function making one from the handler ports."""
    if hasattr(channel, "send"):
        return lambda _ports: channel  # type: ignore[return-value]
    return channel  # type: ignore[return-value]


def outlets(*channels: Channel | ChannelFactory, owner: OwnerDesk | None = None,
            platforms: tuple[str, ...] | None = ()) -> Outlets:
    """These channels and this desk; `platforms`: the registry's platforms to run too (None: every one)."""
    return Outlets(platforms=platforms, channels=tuple(factory(channel) for channel in channels), owner=owner)


def from_ports(routes: Callable[[HandlerPorts], Sequence[BaseRoute]]) -> RouteProvider:
    """A handler's routes (built from the handler ports) as a route provider for `create_web_app`."""
    return lambda served: routes(served.ports)
