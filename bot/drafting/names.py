"""Customer names as the bot may repeat them: a display name is chosen by its owner, and in public it
could be a link, a mention or markup that the business would be seen posting."""

from __future__ import annotations

import re

NO_NAME = "there"  # "Hi there!" reads naturally where a name would go
LONGEST_NAME = 30
# Letters (any script), joined by single spaces, hyphens or apostrophes: "Zoë", "O'Brien", "Anne-Marie".
_PLAIN = re.compile(r"[^\W\d_]+(?:[ '’-][^\W\d_]+)*")


def is_plain_name(name: str) -> bool:
    return len(name) <= LONGEST_NAME and _PLAIN.fullmatch(name) is not None


def greeting_name(display_name: str, public: bool) -> str:
    """The first name to greet with. In public only a plain name is repeated; otherwise no name at all."""
    first = display_name.split()[0] if display_name.strip() else NO_NAME
    if public and not is_plain_name(first):
        return NO_NAME
    return first

