"""Telegram: the Bot API translated to messages (parse), its HTML (html), polling and sending (channel), the webhook route."""
