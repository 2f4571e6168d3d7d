"""One row per platform: its channel, built from the handler ports, and the HTTP routes `socialdesk serve`
gives it, with the most bytes each route's body may have. Adding a platform is its handler package, a row
here and its row of facts in bot/platforms.py."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from bot.handlers.slack.ports import DeskPorts
from bot.handlers.webchat.channel import WebChatChannel, WebChatOptions
from bot.ports import Channel, HandlerPorts
from bot.profile.model import BusinessProfile
from bot.settings import Settings

if TYPE_CHECKING:
    from starlette.routing import BaseRoute  # only `serve` builds routes: `run` and `chat` never load Starlette

    from bot.handlers.slack.owner_desk import SlackDesk


@dataclass(frozen=True, slots=True)
class Served:
    """What the routes of `socialdesk serve` are built from: the desk's ports (the owner's actions and the
    events beside a handler's), and the process's own channels (the web chat's, shared with its worker)."""

    desk: DeskPorts
    channels: Mapping[str, Channel]

    @property
    def ports(self) -> HandlerPorts:
        return self.desk.ports


RouteProvider = Callable[[Served], Sequence["BaseRoute"]]


@dataclass(frozen=True, slots=True)
class ChannelStatus:
    name: str
    channel: Channel | None
    note: str

    @property
    def on(self) -> bool:
        return self.channel is not None


@dataclass(frozen=True, slots=True)
class PlatformEntry:
    name: str
    needs: tuple[str, ...]
    how_to_enable: str
    # Built from the handler ports, so every channel shares the app's database and its clock.
    build: Callable[[HandlerPorts], Channel] | None
    note_when_on: str = "on"
    # The platform's routes in `socialdesk serve` (empty when its settings are not there), and the body
    # limit of each path they take a body on. Rows may share one provider (Meta's one webhook).
    routes: RouteProvider | None = None
    body_limits: Callable[[], Mapping[str, int]] | None = None
    # Of `needs`, those other platforms need too (Meta's app secret): set alone, they start no set-up here.
    shared: tuple[str, ...] = ()


def _build_telegram(ports: HandlerPorts) -> Channel:
    from bot.handlers.telegram.channel import build

    return build(ports)


def _build_x(ports: HandlerPorts) -> Channel:
    from bot.handlers.x.channel import build

    return build(ports)


def _build_slack(ports: HandlerPorts) -> Channel:
    # Imported when used, as every platform's handler is: Slack's SDKs cost a process start a third of a second.
    from bot.handlers.slack.api import web_client
    from bot.handlers.slack.customers import SlackChannel

    return SlackChannel(web_client(ports.settings))


def _slack_routes(served: Served) -> Sequence[BaseRoute]:
    """/slack/events, when SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET are set."""
    from bot.handlers.slack.bolt_app import http_routes

    slack = slack_desk(served.desk) if served.ports.settings.configured("slack_signing_secret") else None
    return http_routes(slack) if slack is not None else []


def _slack_limits() -> Mapping[str, int]:
    from bot.handlers.slack.bolt_app import EVENTS_BODY_LIMIT, EVENTS_PATH

    return {EVENTS_PATH: EVENTS_BODY_LIMIT}


def _telegram_routes(served: Served) -> Sequence[BaseRoute]:
    from bot.handlers.telegram.webhook import telegram_routes

    return telegram_routes(served.ports)


def _telegram_limits() -> Mapping[str, int]:
    from bot.handlers.telegram.channel import WEBHOOK_BODY_LIMIT, WEBHOOK_PATH

    return {WEBHOOK_PATH: WEBHOOK_BODY_LIMIT}


def _meta_routes(served: Served) -> Sequence[BaseRoute]:
    from bot.handlers.meta.build import meta_routes

    return meta_routes(served.ports)


def _meta_limits() -> Mapping[str, int]:
    from bot.handlers.meta.webhook import WEBHOOK_BODY_LIMIT, WEBHOOK_PATH

    return {WEBHOOK_PATH: WEBHOOK_BODY_LIMIT}


def _webchat_routes(served: Served) -> Sequence[BaseRoute]:
    return webchat_provider()(served)


def webchat_provider(options: WebChatOptions = WebChatOptions()) -> RouteProvider:
    """The web chat's routes with `options`, sharing the process's web chat channel with its worker (a
    channel of their own when the process delivers none: its visitors then hear from the watcher)."""
    def provide(served: Served) -> Sequence[BaseRoute]:
        from bot.handlers.webchat.routes import webchat_routes

        shared = served.channels.get("webchat")
        channel = shared if isinstance(shared, WebChatChannel) else WebChatChannel()
        return webchat_routes(served.ports, channel, options)

    return provide


def _webchat_limits() -> Mapping[str, int]:
    from bot.handlers.webchat.input import MAX_BODY_BYTES, MESSAGES_PATH

    return {MESSAGES_PATH: MAX_BODY_BYTES}


def _build_email(ports: HandlerPorts) -> Channel:
    from bot.handlers.email.channel import build

    return build(ports)


def _build_meta(platform: str) -> Callable[[HandlerPorts], Channel]:
    def build(ports: HandlerPorts) -> Channel:
        from bot.handlers.meta.build import meta_channel

        return meta_channel(ports, platform)

    return build


_ADDED: dict[str, PlatformEntry] = {}


def add(entry: PlatformEntry) -> PlatformEntry:
    """Add (or replace) a platform's row: a platform shipped outside this package, as the tests' own."""
    _ADDED[entry.name] = entry
    return entry


def remove(name: str) -> None:
    _ADDED.pop(name, None)


def _entries() -> list[PlatformEntry]:
    shipped = {entry.name: entry for entry in _shipped()}
    return list({**shipped, **_ADDED}.values())


_META_SHARED = ("meta_app_secret", "meta_verify_token")  # one Meta app for WhatsApp, Messenger and Instagram


def _shipped() -> list[PlatformEntry]:
    return [
        PlatformEntry("telegram", ("telegram_bot_token",),
                      "set TELEGRAM_BOT_TOKEN in .env (from @BotFather)", _build_telegram,
                      routes=_telegram_routes, body_limits=_telegram_limits),
        PlatformEntry("x", ("x_api_key", "x_api_secret", "x_access_token", "x_access_secret"),
                      "set X_API_KEY, X_API_SECRET, X_ACCESS_TOKEN and X_ACCESS_SECRET in .env", _build_x),
        PlatformEntry("slack", ("slack_bot_token",),
                      "set SLACK_BOT_TOKEN (and SLACK_APP_TOKEN or SLACK_SIGNING_SECRET) in .env (see docs/slack.md)",
                      _build_slack, routes=_slack_routes, body_limits=_slack_limits),
        PlatformEntry("email", ("email_address", "email_password", "email_imap_host", "email_smtp_host"),
                      "set EMAIL_ADDRESS, EMAIL_PASSWORD, EMAIL_IMAP_HOST and EMAIL_SMTP_HOST in .env (see docs/email.md)",
                      _build_email),
        PlatformEntry("whatsapp", ("whatsapp_token", "whatsapp_phone_number_id", "meta_app_secret", "meta_verify_token"),
                      "set WHATSAPP_TOKEN, WHATSAPP_PHONE_NUMBER_ID, META_APP_SECRET and META_VERIFY_TOKEN in .env "
                      "(see docs/meta.md)", _build_meta("whatsapp"), "on: messages arrive at /meta/webhook in `socialdesk serve`",
                      routes=_meta_routes, body_limits=_meta_limits, shared=_META_SHARED),
        PlatformEntry("messenger", ("messenger_page_token", "meta_app_secret", "meta_verify_token"),
                      "set MESSENGER_PAGE_TOKEN, META_APP_SECRET and META_VERIFY_TOKEN in .env (see docs/meta.md)",
                      _build_meta("messenger"), "on: messages arrive at /meta/webhook in `socialdesk serve`",
                      routes=_meta_routes, body_limits=_meta_limits, shared=_META_SHARED),
        PlatformEntry("instagram", ("instagram_token", "meta_app_secret", "meta_verify_token"),
                      "set INSTAGRAM_TOKEN, META_APP_SECRET and META_VERIFY_TOKEN in .env (see docs/meta.md)",
                      _build_meta("instagram"), "on: messages arrive at /meta/webhook in `socialdesk serve`",
                      routes=_meta_routes, body_limits=_meta_limits, shared=_META_SHARED),
        # Needs no credentials: visitors write through `socialdesk serve`; here replies are delivered.
        PlatformEntry("webchat", (), "", lambda ports: WebChatChannel(),
                      "on in `socialdesk serve` at /webchat", routes=_webchat_routes, body_limits=_webchat_limits),
    ]


def customer_channels(ports: HandlerPorts, only: Collection[str] | None = None) -> list[ChannelStatus]:
    """Each platform's channel, built when it is on and set up; `only`: just these platforms."""
    settings, profile = ports.settings, ports.profile
    statuses = []
    for entry in _entries():
        if only is not None and entry.name not in only:
            continue
        if not profile.channels.enabled(entry.name):
            statuses.append(ChannelStatus(entry.name, None, f"off: disabled in {settings.socialdesk_config}"))
        elif not settings.configured(*entry.needs):
            statuses.append(ChannelStatus(entry.name, None, f"off: {entry.how_to_enable}"))
        elif entry.build is None:
            statuses.append(ChannelStatus(entry.name, None, "off: not available in this version"))
        else:
            statuses.append(ChannelStatus(entry.name, entry.build(ports), entry.note_when_on))
    return statuses


def missing_settings(settings: Settings, profile: BusinessProfile) -> list[str]:
    """For each enabled channel that is set up in part, the variables it still needs (a channel with none
    of its variables set is simply off, as `socialdesk run` says)."""
    problems = []
    for entry in _entries():
        if not profile.channels.enabled(entry.name) or not entry.needs:
            continue
        missing = [name.upper() for name in entry.needs if not settings.configured(name)]
        started = any(settings.configured(name) for name in entry.needs if name not in entry.shared)
        if missing and started:
            problems.append(f"{entry.name} is set up in part: set {_and(missing)} in .env, or unset the rest")
    return problems


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def slack_desk(desk: DeskPorts) -> SlackDesk | None:
    """The owner's Slack when SLACK_BOT_TOKEN is set; None means the console is the owner's desk."""
    if not desk.ports.settings.configured("slack_bot_token"):
        return None
    from bot.handlers.slack.bolt_app import build_slack_desk

    return build_slack_desk(desk)


def platform_routes() -> list[RouteProvider]:
    """Every platform's route provider, once each (Meta's three platforms share one webhook)."""
    return list(dict.fromkeys(entry.routes for entry in _entries() if entry.routes is not None))


def platform_body_limits() -> dict[str, int]:
    """The most bytes each platform route that takes a body may receive."""
    limits: dict[str, int] = {}
    for provider in dict.fromkeys(entry.body_limits for entry in _entries() if entry.body_limits is not None):
        limits.update(provider())
    return limits
