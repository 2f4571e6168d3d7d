"""Secrets and deployment settings: from the environment or .env, never from business.yaml."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.errors import ConfigError

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///socialdesk.db"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    database_url: str = DEFAULT_DATABASE_URL
    socialdesk_config: str = "business.yaml"
    log_level: str = "INFO"
    public_base_url: str | None = None
    # Pretend it is this moment now (the clock then runs on): rehearse replies for another day.
    socialdesk_now: AwareDatetime | None = None

    telegram_bot_token: SecretStr | None = None
    telegram_api_url: str | None = None
    telegram_webhook_secret: SecretStr | None = None

    slack_bot_token: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_api_url: str | None = None

    x_api_key: SecretStr | None = None
    x_api_secret: SecretStr | None = None
    x_access_token: SecretStr | None = None
    x_access_secret: SecretStr | None = None
    x_bearer_token: SecretStr | None = None
    x_api_url: str | None = None

    # The business inbox: IMAP to read it, SMTP to answer from it (docs/email.md).
    email_address: str | None = None
    email_password: SecretStr | None = None
    email_user: str | None = None  # the login, when it is not the address itself
    email_imap_host: str | None = None
    email_imap_port: int = 993
    email_imap_security: Literal["ssl", "none"] = "ssl"
    email_smtp_host: str | None = None
    email_smtp_port: int = 587
    email_smtp_security: Literal["starttls", "ssl", "none"] = "starttls"

    # Meta's platforms (docs/meta.md): one app's secret and webhook token, a token per platform.
    meta_app_secret: SecretStr | None = None
    meta_verify_token: SecretStr | None = None
    graph_api_url: str | None = None
    whatsapp_token: SecretStr | None = None
    whatsapp_phone_number_id: str | None = None
    messenger_page_token: SecretStr | None = None
    instagram_token: SecretStr | None = None

    worker_id: str = Field(default="")

    def secret_values(self) -> list[str]:
        """Every secret that is set, for the log formatter to blank out."""
        values = [v.get_secret_value() for v in vars(self).values() if isinstance(v, SecretStr)]
        return [v for v in values if v]

    def configured(self, *names: str) -> bool:
        """True when every named secret is set to something non-empty."""
        for name in names:
            value = getattr(self, name)
            raw = value.get_secret_value() if isinstance(value, SecretStr) else value
            if not raw:
                return False
        return True


def load_settings() -> Settings:
    """Settings from the environment and .env; a bad value is one line naming the variable."""
    try:
        return Settings()
    except ValidationError as exc:
        error = exc.errors()[0]
        name = str(error["loc"][0]).upper() if error["loc"] else "the environment"
        example = " (for example 2026-12-24T10:00:00+00:00)" if name == "SOCIALDESK_NOW" else ""
        raise ConfigError(f"{name}: {error['msg'][0].lower()}{error['msg'][1:]}{example}") from None
