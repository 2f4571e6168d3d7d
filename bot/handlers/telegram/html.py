"""Splitting a Telegram HTML reply into messages that are each valid HTML on their own.

A cut never falls inside a tag (`<a href="...">`) or an entity (`&amp;`). Formatting open at a cut
(b, i, u, s, code, pre, a, spoilers, quotes) is closed at the end of one piece and opened again,
with the same attributes, at the start of the next. Cuts prefer a paragraph break, then a line
break, then a space; only a single unbroken word longer than a message is cut between characters.
"""

from __future__ import annotations

import re

from bot.textlimits import TELEGRAM_MESSAGE_LIMIT

# One atom is a whole tag, a whole entity, or one character of text: cuts fall between atoms.
_ATOM = re.compile(r"<[^<>]*>|&#?[A-Za-z0-9]+;|[\s\S]")
_TAG = re.compile(r"<[^<>]*>")
_TAG_NAME = re.compile(r"<\s*(/?)\s*([A-Za-z][\w-]*)")
PARAGRAPH, LINE, WORD = 3, 2, 1
Stack = tuple[tuple[str, str], ...]  # (tag name, the opening tag as written), outermost first


def split_html(text: str, limit: int = TELEGRAM_MESSAGE_LIMIT) -> list[str]:
    """Pieces of at most `limit` characters (markup included), each with balanced tags."""
    whole = _whole(text, limit)
    if whole is not None:
        return whole
    atoms = _ATOM.findall(text)
    pieces: list[str] = []
    start, opened = _skip_space(atoms, 0), ()
    while start < len(atoms):
        cut, closing = _next_cut(atoms, start, opened, limit)
        body = atoms[start:cut]
        while body and body[-1].isspace():
            body.pop()
        piece = "".join(raw for _, raw in opened) + "".join(body) + _closers(closing)
        if _visible(piece):
            pieces.append(piece)
        start, opened = _skip_space(atoms, cut), closing
    return pieces


def _whole(text: str, limit: int) -> list[str] | None:
    """The pieces of a reply that fits in one message, as the atom by atom walk would find them, or None
    when it might not fit. Nearly every reply is one message, and walking it costs about a millisecond.

    It fits when the text with a closer for every tag it opens is within `limit`: no point of the walk
    can then need more room than that."""
    if len(text) > limit:
        return None
    tags = _TAG.findall(text)
    stack: Stack = ()
    room = 0
    for tag in tags:
        after = _apply(stack, tag)
        if len(after) > len(stack):
            room += len(after[-1][0]) + 3  # "</name>"
        stack = after
    if len(text) + room > limit:
        return None
    piece = text.strip() + _closers(stack)
    return [piece] if _visible(piece) else []


def _next_cut(atoms: list[str], start: int, opened: Stack, limit: int) -> tuple[int, Stack]:
    """Where the piece starting at `start` ends, and which tags are open there."""
    stack, size = opened, sum(len(raw) for _, raw in opened)
    breaks: dict[int, tuple[int, Stack]] = {}
    for index in range(start, len(atoms)):
        rank = _break_rank(atoms, index)
        if rank and index > start:
            breaks[rank] = (index, stack)
        after = _apply(stack, atoms[index])
        if index > start and size + len(atoms[index]) + len(_closers(after)) > limit:
            return _best_break(breaks, start, index) or _hard_cut(atoms, start, index, stack)
        size, stack = size + len(atoms[index]), after
    return len(atoms), stack


def _best_break(breaks: dict[int, tuple[int, Stack]], start: int, end: int) -> tuple[int, Stack] | None:
    """The strongest break in the second half of the piece, else the latest break at all."""
    for rank in (PARAGRAPH, LINE, WORD):
        if rank in breaks and breaks[rank][0] - start >= (end - start) // 2:
            return breaks[rank]
    return max(breaks.values(), key=lambda found: found[0], default=None)


def _hard_cut(atoms: list[str], start: int, end: int, stack: Stack) -> tuple[int, Stack]:
    """Cut between characters, but never just after an opening tag (that would send empty formatting)."""
    while end - 1 > start and _is_opening(atoms[end - 1]) and stack:
        end, stack = end - 1, stack[:-1]
    return end, stack


def _break_rank(atoms: list[str], index: int) -> int:
    atom = atoms[index]
    if atom == "\n":
        return PARAGRAPH if index + 1 < len(atoms) and atoms[index + 1] == "\n" else LINE
    return WORD if atom.isspace() else 0


def _apply(stack: Stack, atom: str) -> Stack:
    """The open tags after `atom`: an opening tag is pushed, a closing one pops its match."""
    found = _TAG_NAME.match(atom) if atom.startswith("<") else None
    if found is None:
        return stack
    closing, name = found.group(1) == "/", found.group(2).lower()
    if not closing:
        return (*stack, (name, atom))
    for depth in range(len(stack) - 1, -1, -1):
        if stack[depth][0] == name:
            return stack[:depth] + stack[depth + 1:]
    return stack


def _is_opening(atom: str) -> bool:
    found = _TAG_NAME.match(atom) if atom.startswith("<") else None
    return found is not None and found.group(1) != "/"


def _closers(stack: Stack) -> str:
    return "".join(f"</{name}>" for name, _ in reversed(stack))


def _skip_space(atoms: list[str], index: int) -> int:
    while index < len(atoms) and atoms[index].isspace():
        index += 1
    return index


def _visible(piece: str) -> bool:
    return bool(re.sub(r"<[^<>]*>", "", piece).strip())
