"""socialdesk: a chat-bot for a small business's social channels."""

__version__ = "0.1.0"
