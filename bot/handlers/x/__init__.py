"""X: the API v2 translated to messages (parse), polling mentions and direct messages and sending (channel), its OAuth session."""
