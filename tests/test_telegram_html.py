"""Splitting long Telegram HTML replies: every piece fits and is valid HTML on its own."""

from __future__ import annotations

import re

import pytest

from bot.handlers.telegram.html import split_html
from tests.fakes.telegram_api import html_problem


def visible_words(pieces: list[str]) -> list[str]:
    return " ".join(re.sub(r"<[^<>]*>", "", piece) for piece in pieces).split()


def assert_valid(pieces: list[str], limit: int) -> None:
    for piece in pieces:
        assert len(piece) <= limit, piece
        assert html_problem(piece) is None, piece


def test_plain_text_splits_between_words_like_before() -> None:
    text = "Our seasonal menu. " * 30
    pieces = split_html(text, 100)
    assert_valid(pieces, 100)
    assert visible_words(pieces) == text.split() and len(pieces) == 6


def test_a_paragraph_break_is_preferred_to_a_space() -> None:
    text = "Opening hours are posted below for the week.\n\nMonday to Friday we open at nine."
    assert split_html(text, 60) == ["Opening hours are posted below for the week.",
                                    "Monday to Friday we open at nine."]


@pytest.mark.parametrize("offset", range(0, 12))
def test_an_entity_near_the_cut_is_never_broken(offset: int) -> None:
    text = "x" * (40 + offset) + " Fish &amp; chips &lt;today&gt; only"
    pieces = split_html(text, 50)
    assert_valid(pieces, 50)
    assert "".join(pieces).count("&amp;") == 1 and "&lt;today&gt;" in "".join(pieces)


@pytest.mark.parametrize("offset", range(0, 40, 2))
def test_a_link_near_the_cut_stays_whole_and_is_reopened(offset: int) -> None:
    link = '<a href="https://cornerbean.example/menu?day=sat">see the full menu here</a>'
    text = "Menu" + "." * offset + " " + link + " ok"
    pieces = split_html(text, 70)
    assert_valid(pieces, 70)
    linked = [piece for piece in pieces if "menu" in re.sub(r"<[^<>]*>", "", piece)]
    assert all('<a href="https://cornerbean.example/menu?day=sat">' in piece for piece in linked)
    assert visible_words(pieces) == re.sub(r"<[^<>]*>", "", text).split()


def test_bold_across_many_pieces_is_closed_and_reopened_in_each() -> None:
    text = "<b>" + "important news " * 20 + "</b>and the end"
    pieces = split_html(text, 60)
    assert_valid(pieces, 60)
    assert all(piece.startswith("<b>") for piece in pieces)
    assert pieces[-1].endswith("</b>and the end")


def test_nested_formatting_is_reopened_in_order() -> None:
    text = "<i>Menu: <b>" + "soup " * 20 + "</b> and bread</i>"
    pieces = split_html(text, 50)
    assert_valid(pieces, 50)
    assert pieces[1].startswith("<i><b>") and pieces[0].endswith("</b></i>")


def test_preformatted_code_with_a_language_keeps_its_attributes() -> None:
    text = '<pre><code class="language-text">' + "line of the order\n" * 12 + "</code></pre>"
    pieces = split_html(text, 120)
    assert_valid(pieces, 120)
    assert all(p.startswith('<pre><code class="language-text">') and p.endswith("</code></pre>") for p in pieces)


def test_a_word_longer_than_a_message_is_cut_but_not_inside_a_tag() -> None:
    text = "<u>" + "a" * 90 + "</u>"
    pieces = split_html(text, 40)
    assert_valid(pieces, 40)
    assert "".join(re.sub(r"<[^<>]*>", "", p) for p in pieces) == "a" * 90


def test_a_cut_right_after_an_opening_tag_leaves_no_empty_formatting() -> None:
    text = "a" * 37 + "<b>bold</b>"
    pieces = split_html(text, 40)
    assert_valid(pieces, 40)
    assert "<b></b>" not in "".join(pieces)


def test_a_reply_that_fits_is_one_message_as_written() -> None:
    text = '\n <b>Open</b> 9am–5pm &amp; <a href="https://example.com/menu?a=1&amp;b=2">menu</a> \n'
    assert split_html(text, 4096) == [text.strip()]


def test_formatting_left_open_in_a_short_reply_is_closed() -> None:
    assert split_html("<b>open late <i>tonight", 4096) == ["<b>open late <i>tonight</i></b>"]


def test_a_reply_that_fits_only_without_its_closing_tags_is_split() -> None:
    text = "<b>" + "word " * 7 + "end"  # 41 characters; with "</b>" it would be 45
    pieces = split_html(text, 42)
    assert len(pieces) == 2
    assert_valid(pieces, 42)
    assert visible_words(pieces) == ["word"] * 7 + ["end"]
