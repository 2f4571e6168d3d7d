"""BERT's uncased WordPiece tokenization, for looking words up in the static vector table.

The same splitting the sentence model was trained with (lower case, accents stripped,
punctuation on its own, then the longest known piece first, later pieces marked `##`), so a
word maps to the pieces whose vectors were distilled from that model. A word that cannot be
spelled from known pieces gives no pieces at all, as BERT's [UNK] would carry no meaning.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from functools import lru_cache

MAX_WORD_CHARS = 100
CONTINUATION = "##"
# Plain ASCII (most messages) splits the same way with one regular expression: runs of
# letters and digits, and each punctuation mark alone; spaces and control characters drop.
_ASCII_WORDS = re.compile(r"[a-z0-9]+|[!-/:-@\[-`{-~]")


def _is_punctuation(char: str) -> bool:
    code = ord(char)
    # BERT counts every non-alphanumeric ASCII symbol as punctuation, "$" and "^" included.
    if 33 <= code <= 47 or 58 <= code <= 64 or 91 <= code <= 96 or 123 <= code <= 126:
        return True
    return unicodedata.category(char).startswith("P")


def _is_cjk(char: str) -> bool:
    code = ord(char)
    return (0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0x20000 <= code <= 0x2A6DF
            or 0xF900 <= code <= 0xFAFF or 0x2F800 <= code <= 0x2FA1F)


def basic_words(text: str) -> list[str]:
    """Lower-cased, accent-free words with each punctuation mark and CJK character apart."""
    if text.isascii():
        return _ASCII_WORDS.findall(text.lower())
    return unicode_words(text)


def unicode_words(text: str) -> list[str]:
    """`basic_words` for any text, character by character."""
    decomposed = unicodedata.normalize("NFD", text.lower())
    words: list[str] = []
    current: list[str] = []
    for char in decomposed:
        category = unicodedata.category(char)
        if category == "Mn" or char == "\ufffd" or (category.startswith("C") and not char.isspace()):
            continue
        if char.isspace():
            if current:
                words.append("".join(current))
                current = []
        elif _is_punctuation(char) or _is_cjk(char):
            if current:
                words.append("".join(current))
                current = []
            words.append(char)
        else:
            current.append(char)
    if current:
        words.append("".join(current))
    return words


class WordPiece:
    """Splits text into the pieces of a vocabulary (piece -> row index)."""

    def __init__(self, vocabulary: Mapping[str, int]) -> None:
        self._vocabulary = vocabulary
        self.pieces_of = lru_cache(maxsize=50_000)(self._pieces_of)

    def ids(self, text: str) -> list[int]:
        """Row indices of the pieces of every word in `text`, in order."""
        return [index for word in basic_words(text) for index in self.pieces_of(word)]

    def _pieces_of(self, word: str) -> tuple[int, ...]:
        if len(word) > MAX_WORD_CHARS:
            return ()
        pieces: list[int] = []
        start = 0
        while start < len(word):
            end = len(word)
            while end > start:
                candidate = word[start:end] if start == 0 else CONTINUATION + word[start:end]
                index = self._vocabulary.get(candidate)
                if index is not None:
                    pieces.append(index)
                    break
                end -= 1
            else:
                return ()
            start = end
        return tuple(pieces)
