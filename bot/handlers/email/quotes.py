"""The customer's own words in an email: HTML as plain text, and the quoted history cut off.

Mail clients append the whole thread to a reply. Classifying that would read our own earlier answer
as the customer's question, so everything from the first mark of quoted history on is dropped: a
`>` line, an attribution ("On Tue, 1 Dec 2026, Ann wrote:"), Outlook's "-----Original Message-----"
or its From:/Sent: header block, and the signature separator "-- ".
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_ATTRIBUTION = re.compile(
    r"^(on\b.{0,200}\bwrote:|le\b.{0,200}\ba écrit\s?:|am\b.{0,200}\bschrieb\b.{0,80}:|el\b.{0,200}\bescribió:)\s*$",
    re.IGNORECASE)
_ORIGINAL = re.compile(r"^-{2,}\s*(original message|forwarded message)\s*-{2,}\s*$", re.IGNORECASE)
_OUTLOOK_HEADER = re.compile(r"^(from|von|de):\s.+", re.IGNORECASE)
_OUTLOOK_NEXT = re.compile(r"^(sent|date|gesendet|envoyé|to|subject):\s", re.IGNORECASE)
_SIGNATURE = "-- "


def strip_quoted(text: str) -> str:
    """The text above the quoted history and the signature."""
    lines = text.replace("\r\n", "\n").split("\n")
    kept: list[str] = []
    for index, line in enumerate(lines):
        if _starts_history(line, lines[index + 1:index + 3]):
            break
        kept.append(line)
    return "\n".join(kept).strip()


def _starts_history(line: str, following: list[str]) -> bool:
    stripped = line.strip()
    if line.startswith(">") or line == _SIGNATURE or _ORIGINAL.match(stripped) or _ATTRIBUTION.match(stripped):
        return True
    # Gmail wraps a long attribution over two lines: "On Tue, 1 Dec 2026 at 10:00, Ann <ann@x>" / "wrote:".
    if following and stripped.lower().startswith("on ") and following[0].strip().lower().endswith("wrote:"):
        return True
    return bool(_OUTLOOK_HEADER.match(stripped) and any(_OUTLOOK_NEXT.match(n.strip()) for n in following))


class _TextOf(HTMLParser):
    """HTML's visible text, without what a reader never sees (style, script) or the quoted thread
    (<blockquote>, Gmail's div.gmail_quote, Outlook's #divRplyFwdMsg / #appendonsend)."""

    _HIDDEN = {"style", "script", "head", "title", "blockquote"}
    _QUOTE_MARKS = ("gmail_quote", "divrplyfwdmsg", "appendonsend", "moz-cite-prefix", "yahoo_quoted")
    _BREAKS = {"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "table"}
    _VOID = {"br", "img", "hr", "meta", "link", "input", "col", "area", "base", "wbr", "source"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden: list[str] = []  # open tags whose content is dropped
        self._quoted = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._quoted:
            return
        marks = " ".join(v or "" for k, v in attrs if k in ("class", "id")).lower()
        if any(mark in marks for mark in self._QUOTE_MARKS):
            self._quoted = True  # the rest of the document is the thread
            return
        if tag in self._BREAKS:
            self.parts.append("\n")
        if tag in self._HIDDEN and tag not in self._VOID:
            self._hidden.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if self._hidden and self._hidden[-1] == tag:
            self._hidden.pop()
        elif tag in self._BREAKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._hidden and not self._quoted:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    parser = _TextOf()
    parser.feed(html)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).split("\n"))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
