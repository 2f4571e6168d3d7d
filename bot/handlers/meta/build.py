"""Meta's channels and webhook from the running app: its settings, database and clock."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import TYPE_CHECKING

from starlette.routing import BaseRoute

from bot.handlers.meta.channel import MetaAccount, MetaChannel
from bot.handlers.meta.graph import GraphClient
from bot.handlers.meta.names import SenderNames
from bot.handlers.meta.parse import INSTAGRAM, MESSENGER, WHATSAPP
from bot.handlers.meta.webhook import meta_webhook
from bot.handlers.meta.window import WindowRule
from bot.profile.model import BusinessProfile
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.app import App

_TOKENS = {WHATSAPP: "whatsapp_token", MESSENGER: "messenger_page_token", INSTAGRAM: "instagram_token"}


def _secret(settings: Settings, name: str) -> str:
    value = getattr(settings, name)
    return value.get_secret_value() if value is not None else ""


def meta_channel(app: App, platform: str) -> MetaChannel:
    settings, channels = app.settings, app.profile.channels
    graph = GraphClient(_secret(settings, _TOKENS[platform]), settings.graph_api_url)
    if platform == WHATSAPP:
        config = channels.whatsapp
        account = MetaAccount(WHATSAPP, f"{settings.whatsapp_phone_number_id}/messages", config.template_language)
        return MetaChannel(account, graph, WindowRule(WHATSAPP, config.template), app.db, app.clock)
    return MetaChannel(MetaAccount(platform, "me/messages"), graph, WindowRule(platform), app.db, app.clock)


def enabled_platforms(app: App) -> frozenset[str]:
    settings, channels = app.settings, app.profile.channels
    return frozenset(p for p, token in _TOKENS.items()
                     if getattr(channels, p).enabled and settings.configured(token))


def setup_notes(settings: Settings, profile: BusinessProfile) -> list[str]:
    """What `socialdesk check` says about a Meta set-up that works but will hold things back."""
    whatsapp = profile.channels.whatsapp
    if whatsapp.enabled and settings.configured("whatsapp_token") and not whatsapp.template:
        return ["whatsapp has no approved template (channels.whatsapp.template): a reply more than 24 hours "
                "after the customer wrote, and an event invite to them, wait for you instead (see docs/meta.md)"]
    return []


def meta_routes(app: App) -> Sequence[BaseRoute]:
    """/meta/webhook, when META_APP_SECRET and META_VERIFY_TOKEN are set and a Meta platform is on."""
    settings = app.settings
    platforms = enabled_platforms(app)
    if not platforms or not settings.configured("meta_app_secret", "meta_verify_token"):
        return []
    names = SenderNames({p: partial(GraphClient, _secret(settings, _TOKENS[p]), settings.graph_api_url)
                         for p in platforms if p in (MESSENGER, INSTAGRAM)})
    return meta_webhook(_secret(settings, "meta_app_secret"), _secret(settings, "meta_verify_token"), platforms,
                        app.router.handle, app.db, app.clock, names)
