"""Structured logs: one line per record, `key=value` pairs from `extra`, never message bodies or secrets."""

from __future__ import annotations

import hashlib
import logging
import re
import sys
from collections.abc import Iterable

from bot.errors import ConfigError

# Record attributes that are not `extra` fields (uvicorn adds a coloured copy of its message too).
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName", "color_message"}
# Tokens that libraries put in URLs and error texts: Telegram's /bot<token>/ path, Slack's xox*/xapp tokens.
_TOKEN_SHAPES = re.compile(r"(?<=/bot)\d+:[\w-]+|\bxox[abposr]-[\w-]+|\bxapp-[\w-]+")
LIBRARIES = ("httpx", "httpcore", "telegram", "slack_bolt", "slack_sdk", "tweepy", "aiosqlite", "alembic",
             "aiohttp", "websockets", "requests_oauthlib", "oauthlib", "urllib3")
SLACK_LOGGER = "socialdesk.slack"
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def fingerprint(value: str) -> str:
    """A short stand-in for an id that may be a credential (a web chat visitor's id is the key to their
    replies): the same id always gives the same fingerprint, so log lines still correlate."""
    return hashlib.sha256(value.encode()).hexdigest()[:12]


class KeyValueFormatter(logging.Formatter):
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets = sorted({s for s in secrets if len(s) >= 6}, key=len, reverse=True)

    def format(self, record: logging.LogRecord) -> str:
        fields = {k: v for k, v in vars(record).items() if k not in _STANDARD}
        parts = [f"{self.formatTime(record, '%Y-%m-%dT%H:%M:%S')}", f"level={record.levelname.lower()}",
                 f"logger={record.name}", f'msg="{record.getMessage()}"']
        parts += [f"{key}={_quote(value)}" for key, value in fields.items()]
        line = " ".join(parts)
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return self.redact(line)

    def redact(self, line: str) -> str:
        """Whatever a library wrote, the secrets we hold and anything shaped like a token become ***."""
        for secret in self._secrets:
            line = line.replace(secret, "***")
        return _TOKEN_SHAPES.sub("***", line)


class NoRequestBodies(logging.Filter):
    """Bolt logs an unhandled request with its whole body (a customer's words among it): keep only the fact.
    Its warning that SLACK_BOT_TOKEN in the environment goes unused (we hand it a client) is dropped."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = str(record.msg)
        if message.startswith("Unhandled request"):
            record.msg, record.args = "Unhandled Slack request (body not logged)", ()
        return not message.startswith("As you gave `client` as well")


class NoQueryStrings(logging.Filter):
    """uvicorn's access lines keep the path but not the query: a web chat visitor's id is their key to
    their replies."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and len(record.args) == 5 and isinstance(record.args[2], str):
            args = list(record.args)
            path, query, _ = args[2].partition("?")
            args[2] = f"{path}?..." if query else path
            record.args = tuple(args)
        return True


def slack_logger() -> logging.Logger:
    """The logger Bolt writes to, with request bodies kept out."""
    logger = logging.getLogger(SLACK_LOGGER)
    if not any(isinstance(f, NoRequestBodies) for f in logger.filters):
        logger.addFilter(NoRequestBodies())
    return logger


def _quote(value: object) -> str:
    text = str(value)
    return f'"{text}"' if (" " in text or not text) else text


def configure(level: str = "INFO", secrets: Iterable[str] = ()) -> None:
    """Log to stderr at `level`; `secrets` are blanked wherever they would appear."""
    if level.upper() not in LEVELS:
        raise ConfigError(f"LOG_LEVEL {level!r} is not one of {', '.join(LEVELS)}")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(KeyValueFormatter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, NoQueryStrings) for f in access.filters):
        access.addFilter(NoQueryStrings())
    # Library chatter (HTTP requests carry tokens in URLs for Telegram) stays at WARNING.
    for noisy in LIBRARIES:
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
