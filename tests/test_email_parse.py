"""Email's pure half: what counts as the customer's words, and which mail is never answered."""

from __future__ import annotations

from datetime import datetime, timezone
from email.message import EmailMessage

from bot.handlers.email.compose import build_reply, split_subject
from bot.handlers.email.parse import ThreadHeaders, to_inbound
from bot.handlers.email.quotes import html_to_text, strip_quoted
from bot.messages import Outbound

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=timezone.utc)
OURS = frozenset({"inbox@cafe.test"})


def mail(body: str = "Are you open on Sunday?", **headers: str) -> bytes:
    message = EmailMessage()
    message["From"] = headers.pop("From", "Ann <ann@customer.test>")
    message["Subject"] = headers.pop("Subject", "Sunday")
    message["Message-ID"] = headers.pop("Message_ID", "<m1@customer.test>")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return bytes(message)


def test_outlook_original_message_block_is_cut() -> None:
    text = "Can I book for 4 on Friday?\n\nFrom: Corner Bean <inbox@cafe.test>\nSent: Monday\nTo: Ann\n\nWe open at 9."
    assert strip_quoted(text) == "Can I book for 4 on Friday?"


def test_signature_is_cut() -> None:
    assert strip_quoted("Do you have oat milk?\n-- \nAnn Lee\nAcme Ltd") == "Do you have oat milk?"


def test_two_line_gmail_attribution_is_cut() -> None:
    text = "Perfect, thanks\n\nOn Tue, 1 Dec 2026 at 10:00, Corner Bean <\ninbox@cafe.test> wrote:\n> old"
    assert strip_quoted(text) == "Perfect, thanks"


def test_html_drops_styles_and_quoted_thread() -> None:
    html = "<style>p{color:red}</style><p>Hello&nbsp;there</p><blockquote>old answer</blockquote><p>Bye</p>"
    assert html_to_text(html) == "Hello there\n\nBye"


def test_our_own_mail_is_not_a_customer_message() -> None:
    assert to_inbound(mail(From="Corner Bean <INBOX@cafe.test>"), ours=OURS, fallback_id="1", now=NOW) is None


def test_thread_is_named_by_its_first_message() -> None:
    inbound = to_inbound(mail(In_Reply_To="<b@cafe.test>", References="<a@customer.test> <b@cafe.test>"),
                         ours=OURS, fallback_id="1", now=NOW)
    assert inbound is not None and inbound.thread_key == "<a@customer.test>"
    assert inbound.external_id == "<m1@customer.test>" and inbound.text == "Are you open on Sunday?"


def test_first_message_is_read_with_its_subject() -> None:
    inbound = to_inbound(mail("see subject", Subject="Dog friendly?"), ours=OURS, fallback_id="1", now=NOW)
    assert inbound is not None and inbound.text == "Dog friendly?\n\nsee subject"


def test_reply_goes_to_the_reply_to_address() -> None:
    inbound = to_inbound(mail(Reply_To="ann.private@customer.test"), ours=OURS, fallback_id="1", now=NOW)
    assert inbound is not None and inbound.raw["reply_address"] == "ann.private@customer.test"
    assert inbound.sender.platform_user_id == "ann@customer.test"


def test_empty_return_path_is_a_bounce() -> None:
    assert to_inbound(mail(Return_Path="<>"), ours=OURS, fallback_id="1", now=NOW) is None


def test_a_signature_logo_is_not_an_attachment() -> None:
    message = EmailMessage()
    message["From"], message["Subject"], message["Message-ID"] = "ann@customer.test", "Hi", "<logo@customer.test>"
    message.set_content("Are you open today?")
    message.add_alternative("<p>Are you open today?</p><img src='cid:logo'>", subtype="html")
    message.get_payload()[1].add_related(b"\x89PNG", maintype="image", subtype="png", cid="<logo>")
    inbound = to_inbound(bytes(message), ours=OURS, fallback_id="1", now=NOW)
    assert inbound is not None and not inbound.has_attachment


def test_the_same_outbox_row_always_makes_the_same_message_id() -> None:
    parent = ThreadHeaders("<m1@customer.test>", "Sunday", ("<a@customer.test>",), "ann@customer.test")
    outbound = Outbound("email", "<a@customer.test>", "We open at 10.", "reply:1")
    first, second = (build_reply(outbound, parent, sender="inbox@cafe.test", sender_name="Corner Bean",
                                 recipient="ann@customer.test", timestamp=0.0) for _ in range(2))
    assert first["Message-ID"] == second["Message-ID"] and first["Message-ID"].endswith("@cafe.test>")
    assert first["Subject"] == "Re: Sunday" and first["References"] == "<a@customer.test> <m1@customer.test>"


def test_a_subject_line_comes_off_the_body() -> None:
    assert split_subject("Subject: Our hours\nWe open at 9.") == ("Our hours", "We open at 9.")
    assert split_subject("We open at 9.") == (None, "We open at 9.")
