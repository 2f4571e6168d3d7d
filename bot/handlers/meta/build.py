"""Meta's channels and webhook from the handler ports: the settings, the database and the clock."""

from __future__ import annotations

from collections.abc import Sequence

from starlette.routing import BaseRoute

from bot.handlers.meta.channel import MetaAccount, MetaChannel
from bot.handlers.meta.graph import GraphClient
from bot.handlers.meta.parse import INSTAGRAM, MESSENGER, WHATSAPP
from bot.handlers.meta.webhook import meta_webhook
from bot.handlers.meta.window import WindowRule
from bot.ports import HandlerPorts
from bot.settings import Settings

_TOKENS = {WHATSAPP: "whatsapp_token", MESSENGER: "messenger_page_token", INSTAGRAM: "instagram_token"}


def _secret(settings: Settings, name: str) -> str:
    value = getattr(settings, name)
    return value.get_secret_value() if value is not None else ""


def meta_channel(ports: HandlerPorts, platform: str) -> MetaChannel:
    settings, channels = ports.settings, ports.profile.channels
    graph = GraphClient(_secret(settings, _TOKENS[platform]), settings.graph_api_url)
    if platform == WHATSAPP:
        config = channels.whatsapp
        account = MetaAccount(WHATSAPP, f"{settings.whatsapp_phone_number_id}/messages", config.template_language)
        return MetaChannel(account, graph, WindowRule(WHATSAPP, config.template), ports.db, ports.clock)
    return MetaChannel(MetaAccount(platform, "me/messages"), graph, WindowRule(platform), ports.db, ports.clock)


def enabled_platforms(ports: HandlerPorts) -> frozenset[str]:
    settings, channels = ports.settings, ports.profile.channels
    return frozenset(p for p, token in _TOKENS.items() if channels.enabled(p) and settings.configured(token))


def meta_routes(ports: HandlerPorts) -> Sequence[BaseRoute]:
    """/meta/webhook, when META_APP_SECRET and META_VERIFY_TOKEN are set and a Meta platform is on."""
    settings = ports.settings
    platforms = enabled_platforms(ports)
    if not platforms or not settings.configured("meta_app_secret", "meta_verify_token"):
        return []
    return meta_webhook(_secret(settings, "meta_app_secret"), _secret(settings, "meta_verify_token"), platforms,
                        ports.deliver, ports.db, ports.clock)
