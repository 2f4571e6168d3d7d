"""The business profile (business.yaml), typed. Loading and error messages live in bot/profile/load.py."""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import cached_property
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.profile.hours import WEEKDAYS, MonthDay, OpeningHours, parse_ranges

_MONTH_DAY = re.compile(r"^(\d{1,2})-(\d{1,2})$")


class _Strict(BaseModel):
    # Unknown keys are usually typos ("adress"): reject them so the owner finds out at start.
    model_config = ConfigDict(extra="forbid", frozen=True)


class BusinessInfo(_Strict):
    name: str
    timezone: str = "UTC"
    address: str | None = None
    map_link: str | None = None
    website: str | None = None
    menu_link: str | None = None
    booking_link: str | None = None
    email: str | None = None
    phone: str | None = None

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f'"{value}" is not an IANA time zone such as "Europe/London"') from None
        return value


def _exception_day(text: str) -> date | MonthDay:
    """"2027-04-02" is that day; "12-25" is 25 December every year. Raises ValueError otherwise."""
    match = _MONTH_DAY.match(text)
    try:
        if match:
            month, day = int(match[1]), int(match[2])
            date(2000, month, day)  # a leap year, so 02-29 is allowed
            return month, day
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f'"{text}" is not a date like 2027-04-02 (that day only) or 12-25 (every year)') from None


class HoursException(_Strict):
    date: str
    closed: bool = False
    hours: str | None = None
    note: str | None = None

    @field_validator("date", mode="before")
    @classmethod
    def _valid_date(cls, value: object) -> str:
        text = value.isoformat() if isinstance(value, date) else str(value).strip()
        _exception_day(text)
        return text

    @property
    def day(self) -> date | MonthDay:
        """A date for a one-off exception, (month, day) for one that repeats every year."""
        return _exception_day(self.date)

    @field_validator("hours")
    @classmethod
    def _valid_hours(cls, value: str | None) -> str | None:
        if value is not None:
            parse_ranges(value)
        return value

    @model_validator(mode="after")
    def _closed_or_hours(self) -> "HoursException":
        if not self.closed and self.hours is None:
            raise ValueError("give either closed: true or hours: HH:MM-HH:MM")
        return self


class HoursConfig(_Strict):
    mon: str = "closed"
    tue: str = "closed"
    wed: str = "closed"
    thu: str = "closed"
    fri: str = "closed"
    sat: str = "closed"
    sun: str = "closed"
    exceptions: list[HoursException] = Field(default_factory=list)

    @field_validator(*WEEKDAYS, mode="before")
    @classmethod
    def _valid_day(cls, value: object) -> str:
        parse_ranges(str(value))
        return str(value)


class OwnerConfig(_Strict):
    name: str = "the owner"
    slack_channel: str | None = None
    approvers: list[str] = Field(default_factory=list)
    quiet_period_minutes: int = Field(default=120, ge=1)
    # A held message gets a short "Sam will reply personally" at once (template held_ack), once per wait.
    acknowledge_held: bool = True


class PolicyConfig(_Strict):
    auto_send_threshold: float = Field(default=0.6, ge=0.0, le=1.0)
    long_message_chars: int = Field(default=500, ge=20)
    repeat_window_minutes: int = Field(default=10, ge=1)
    repeats_before_escalation: int = Field(default=2, ge=1)
    # Added to the shipped lists in bot/policy.py; they never replace them.
    risk_words: list[str] = Field(default_factory=list)
    negative_words: list[str] = Field(default_factory=list)
    # Intents the owner must always answer personally (not just approve).
    escalate_intents: list[str] = Field(default_factory=lambda: [
        "complaint", "refund", "human", "dietary", "booking_change", "lost_property"])


class UnderstandingConfig(_Strict):
    backend: Literal["default", "embeddings"] = "default"
    model_name: str | None = None
    # Requests the business does not serve ("book me a hotel room"): added to the shipped list
    # (bot/defaults/not_offered.yaml), they teach the bot to hand such messages to the owner.
    not_offered: list[str] = Field(default_factory=list)


class FactsConfig(_Strict):
    """What the day-one replies may say. A reply that needs a fact left out here goes to the owner instead."""

    payment: str | None = None
    parking: str | None = None
    accessibility: str | None = None
    takeaway: str | None = None
    delivery: str | None = None
    gift_cards: str | None = None
    jobs: str | None = None


class IntentConfig(_Strict):
    examples: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)
    # Messages close to this intent that its reply does not answer ("change my booking" for booking).
    near_misses: list[str] = Field(default_factory=list)
    template: str | None = None
    auto_send: bool = False
    disabled: bool = False
    # SILENT intents (spam) get no reply and no owner card; they are only recorded.
    silent: bool = False


class ChannelToggle(_Strict):
    enabled: bool = True


class WebChatConfig(_Strict):
    enabled: bool = True
    # Websites (besides business.website) whose pages may embed the chat widget.
    allowed_origins: list[str] = Field(default_factory=list)


class XChannelConfig(_Strict):
    enabled: bool = True
    poll_seconds: int = Field(default=60, ge=5)
    read_budget: int = Field(default=100, ge=1)
    write_budget: int = Field(default=50, ge=1)
    budget_window_minutes: int = Field(default=15, ge=1)


class EmailChannelConfig(_Strict):
    enabled: bool = True
    mailbox: str = "INBOX"
    # How often to look for mail when the server cannot tell us (no IMAP IDLE).
    poll_seconds: int = Field(default=60, ge=5)


class WhatsAppChannelConfig(_Strict):
    enabled: bool = True
    # An approved template with one body variable ({{1}}) that carries a reply after the 24-hour window.
    template: str | None = None
    template_language: str = "en_US"


class ChannelsConfig(_Strict):
    shell: ChannelToggle = ChannelToggle()
    webchat: WebChatConfig = WebChatConfig()
    telegram: ChannelToggle = ChannelToggle()
    slack: ChannelToggle = ChannelToggle()
    x: XChannelConfig = XChannelConfig()
    email: EmailChannelConfig = EmailChannelConfig()
    whatsapp: WhatsAppChannelConfig = WhatsAppChannelConfig()
    messenger: ChannelToggle = ChannelToggle()
    instagram: ChannelToggle = ChannelToggle()

    def enabled(self, platform: str) -> bool:
        """A platform business.yaml has no switch for (one added to the registry) is on when its settings are."""
        toggle = getattr(self, platform, None)
        return toggle is None or bool(toggle.enabled)


class EventConfig(_Strict):
    key: str
    title: str
    starts_at: datetime
    ends_at: datetime | None = None
    description: str = ""
    place: str | None = None
    capacity: int | None = Field(default=None, ge=1)
    image_url: str | None = None
    channels: list[str] = Field(default_factory=list)
    announce_at: datetime | None = None
    reminders: list[str] = Field(default_factory=lambda: ["7d", "1d", "2h"])
    attendee_reminder: str | None = "1d"


class BusinessProfile(_Strict):
    business: BusinessInfo
    facts: FactsConfig = FactsConfig()
    hours: HoursConfig = HoursConfig()
    owner: OwnerConfig = OwnerConfig()
    policy: PolicyConfig = PolicyConfig()
    understanding: UnderstandingConfig = UnderstandingConfig()
    intents: dict[str, IntentConfig] = Field(default_factory=dict)
    channels: ChannelsConfig = ChannelsConfig()
    templates_dir: str | None = None
    events: list[EventConfig] = Field(default_factory=list)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.business.timezone)

    def opening_hours(self) -> OpeningHours:
        return self._parsed_hours

    @cached_property
    def _parsed_hours(self) -> OpeningHours:
        # Parsed once per profile: every reply asks for the hours.
        weekly = {day: parse_ranges(getattr(self.hours, day)) for day in WEEKDAYS}
        exceptions: dict[date, Any] = {}
        yearly: dict[MonthDay, Any] = {}
        for ex in self.hours.exceptions:
            day = ex.day
            target: dict[Any, Any] = yearly if isinstance(day, tuple) else exceptions
            target[day] = (() if ex.closed else parse_ranges(ex.hours or "closed"), ex.note)
        return OpeningHours(self.zone, weekly, exceptions, yearly)

    def active_intents(self) -> dict[str, IntentConfig]:
        return {name: spec for name, spec in self.intents.items() if not spec.disabled}
