"""Email against a real IMAP server (Dovecot on loopback) and an SMTP sink (aiosmtpd): the customer's mail
is read from the inbox, answered in its thread, and never answered twice."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator
from email.message import EmailMessage
from email.utils import formatdate

import aioimaplib
import pytest
from aiosmtpd.controller import Controller

from bot.app import App
from bot.handlers.email.channel import EmailChannel, Identity, SmtpSettings
from bot.handlers.email.mailbox import ImapSettings
from bot.handlers.email.parse import read_message
from storage import conversations, cursors, drafts
from tests.fakes.dovecot import ImapServer, dovecot, free_port

CAFE = "inbox@cafe.test"


class Sink:
    """aiosmtpd's handler: keeps every message it is given."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.recipients: list[list[str]] = []

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        self.messages.append(read_message(envelope.original_content))  # type: ignore[attr-defined]
        self.recipients.append(list(envelope.rcpt_tos))  # type: ignore[attr-defined]
        return "250 OK"


@pytest.fixture(scope="module")
def imap_server() -> Iterator[ImapServer]:
    with dovecot() as server:
        yield server


@pytest.fixture
def smtp_sink() -> Iterator[tuple[Sink, int]]:
    sink = Sink()
    # aiosmtpd logs every session at INFO from its own thread, also as it stops after the test's log
    # capture has closed; only its warnings matter here.
    smtp_log = logging.getLogger("mail.log")
    level = smtp_log.level
    smtp_log.setLevel(logging.WARNING)
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield sink, controller.port
    finally:
        controller.stop()
        smtp_log.setLevel(level)


@pytest.fixture
async def inbox(imap_server: ImapServer) -> AsyncIterator[aioimaplib.IMAP4]:
    """A second connection, as the customer's mail arriving: it appends to a fresh mailbox per test."""
    client = aioimaplib.IMAP4(imap_server.host, imap_server.port)
    await client.wait_hello_from_server()
    await client.login(imap_server.user, imap_server.password)
    await client.select("INBOX")
    await client.uid("store", "1:*", "+FLAGS.SILENT", r"(\Deleted)")
    await client.expunge()
    yield client
    await client.logout()


def make_email(app: App, imap: ImapServer, smtp_port: int) -> EmailChannel:
    return EmailChannel(ImapSettings(imap.host, imap.port, imap.user, imap.password, use_ssl=False),
                        SmtpSettings("127.0.0.1", smtp_port, "", "", security="none"),
                        Identity(CAFE, app.profile.business.name), app.db, app.clock, poll_seconds=5)


def customer_mail(body: str, *, subject: str = "Opening hours", message_id: str = "<q1@customer.test>",
                  sender: str = "Ann Lee <ann@customer.test>", **headers: str) -> bytes:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, CAFE, subject
    message["Message-ID"], message["Date"] = message_id, formatdate(1796000000.0, usegmt=True)
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return bytes(message)


async def arrive(inbox: aioimaplib.IMAP4, data: bytes) -> int:
    """Put a message in the inbox, as the customer's mail arriving; returns its UID (from APPENDUID)."""
    response = await inbox.append(data, "INBOX")
    assert response.result == "OK"
    line = next(line for line in response.lines if b"APPENDUID " in line)
    return int(line.split(b"APPENDUID ")[1].split(b"]")[0].split()[1])


async def read_and_send(app: App, channel: EmailChannel) -> None:
    await channel.read_new(app.router.handle)
    await app.worker.drain()


@pytest.fixture
async def email(app: App, imap_server: ImapServer, smtp_sink, inbox) -> AsyncIterator[EmailChannel]:
    channel = make_email(app, imap_server, smtp_sink[1])
    await channel._mailbox.open()
    await channel.read_new(app.router.handle)  # the first start: begins after the newest message
    app.worker.channels["email"] = channel
    yield channel
    await channel.stop()


async def test_reply_lands_in_the_customers_thread(app: App, email: EmailChannel, inbox, smtp_sink) -> None:
    sink, _ = smtp_sink
    await arrive(inbox, customer_mail("Hi! What time do you open on Saturday?", message_id="<q1@customer.test>",
                                      References="<start@customer.test>", In_Reply_To="<start@customer.test>",
                                      subject="Re: Saturday"))
    await read_and_send(app, email)
    assert len(sink.messages) == 1
    reply = sink.messages[0]
    assert sink.recipients == [["ann@customer.test"]]
    assert reply["In-Reply-To"] == "<q1@customer.test>"
    assert reply["References"] == "<start@customer.test> <q1@customer.test>"
    assert reply["Subject"] == "Re: Saturday"  # a new subject would start a new conversation in Gmail
    body = reply.get_content()
    assert "Saturday" in body and "Subject:" not in body and app.profile.business.name in body


async def test_a_message_without_a_subject_gets_the_email_templates_subject_line(app: App, email: EmailChannel, inbox,
                                                                               smtp_sink) -> None:
    sink, _ = smtp_sink
    await arrive(inbox, customer_mail("What time do you open on Saturday?", subject="", message_id="<q2@customer.test>"))
    await read_and_send(app, email)
    assert [m["Subject"] for m in sink.messages] == ["Our opening hours"]  # hours.email.j2's first line
    assert "Subject:" not in sink.messages[0].get_content()


async def test_reply_to_a_first_message_keeps_its_subject(app: App, email: EmailChannel, inbox, smtp_sink) -> None:
    sink, _ = smtp_sink
    await arrive(inbox, customer_mail("Hello there!", subject="Hello", message_id="<hi@customer.test>"))
    await read_and_send(app, email)
    assert [m["Subject"] for m in sink.messages] == ["Re: Hello"]
    assert sink.messages[0]["References"] == "<hi@customer.test>"


@pytest.mark.parametrize("headers", [
    {"Auto_Submitted": "auto-replied"},
    {"Precedence": "bulk"},
    {"List_Id": "<news.customer.test>"},
])
async def test_auto_replies_and_lists_are_never_answered(app: App, email: EmailChannel, inbox, smtp_sink,
                                                         headers: dict[str, str]) -> None:
    sink, _ = smtp_sink
    await arrive(inbox, customer_mail("I am out of the office until Monday. What time do you open?", **headers))
    await read_and_send(app, email)
    assert sink.messages == []
    async with app.db.session() as session:
        assert await conversations.count_messages(session, "in") == 0


async def test_a_bounce_from_the_mailer_daemon_is_never_answered(app: App, email: EmailChannel, inbox,
                                                                 smtp_sink) -> None:
    sink, _ = smtp_sink
    await arrive(inbox, customer_mail("Delivery failed. What time do you open?",
                                      sender="Mail Delivery System <MAILER-DAEMON@customer.test>"))
    await read_and_send(app, email)
    assert sink.messages == []


async def test_no_message_is_answered_twice_or_missed_across_a_restart(any_app: App, inbox, smtp_sink,
                                                                       imap_server) -> None:
    """On SQLite and (with TEST_DATABASE_URL) on Postgres: the cursor is a database row."""
    app = any_app
    sink, port = smtp_sink
    email = make_email(app, imap_server, port)
    await email._mailbox.open()
    await email.read_new(app.router.handle)
    app.worker.channels["email"] = email
    await arrive(inbox, customer_mail("What time do you open on Saturday?", message_id="<a@customer.test>"))
    await read_and_send(app, email)
    await email.stop()
    last = await arrive(inbox, customer_mail("And what time do you open on Sunday?", message_id="<b@customer.test>",
                                      subject="Sunday"))
    restarted = make_email(app, imap_server, port)
    await restarted._mailbox.open()
    app.worker.channels["email"] = restarted
    await read_and_send(app, restarted)
    await read_and_send(app, restarted)
    await restarted.stop()
    assert [m["In-Reply-To"] for m in sink.messages] == ["<a@customer.test>", "<b@customer.test>"]
    async with app.db.session() as session:
        validity, _, uid = (await cursors.get(session, "email:INBOX") or "").partition(":")
    assert uid == str(last) and int(validity) > 0


async def test_quoted_history_is_not_read_as_the_question(app: App, email: EmailChannel, inbox, smtp_sink) -> None:
    body = ("Thanks, that's all I needed!\n\nOn Tue, 1 Dec 2026 at 10:00, Corner Bean <inbox@cafe.test> wrote:\n"
            "> We're open 8:00-18:00 on Saturday. Would you like to book a table?\n> What time do you open?\n")
    await arrive(inbox, customer_mail(body, subject="Re: Opening hours", In_Reply_To="<ours@cafe.test>",
                                      References="<q0@customer.test> <ours@cafe.test>"))
    await read_and_send(app, email)
    async with app.db.session() as session:
        recorded = await conversations.recent_inbound_texts(session, 1, app.clock.now().replace(year=2000), 0)
    assert recorded == ["Thanks, that's all I needed!"]


async def test_an_attachment_holds_the_message_for_the_owner(app: App, email: EmailChannel, inbox,
                                                             smtp_sink) -> None:
    sink, _ = smtp_sink
    message = read_message(customer_mail("What time do you open on Saturday? My booking is attached."))
    message.add_attachment(b"%PDF-1.4 booking", maintype="application", subtype="pdf", filename="booking.pdf")
    await arrive(inbox, bytes(message))
    await read_and_send(app, email)
    async with app.db.session() as session:
        held = await drafts.pending_drafts(session)
    assert len(held) == 1 and held[0].action != "auto"
    assert any("attach" in reason for reason in held[0].reasons)
    assert all("Saturday" not in m.get_content() for m in sink.messages)  # at most the short acknowledgement


async def test_running_channel_answers_new_mail_as_the_server_announces_it(app: App, imap_server, inbox,
                                                                          smtp_sink) -> None:
    sink, port = smtp_sink
    channel = make_email(app, imap_server, port)
    app.worker.channels["email"] = channel
    await channel.start(app.router.handle)
    try:
        await asyncio.wait_for(channel.caught_up.wait(), 10)
        channel.caught_up.clear()
        await arrive(inbox, customer_mail("What time do you open on Saturday?", message_id="<idle@customer.test>"))
        await asyncio.wait_for(channel.caught_up.wait(), 10)  # IDLE told us: no poll interval passed
        await app.worker.drain()
    finally:
        await channel.stop()
    assert [m["In-Reply-To"] for m in sink.messages] == ["<idle@customer.test>"]


async def test_html_only_mail_is_read_as_its_text(app: App, email: EmailChannel, inbox, smtp_sink) -> None:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "ann@customer.test", CAFE, "Re: hours"
    message["Message-ID"], message["In-Reply-To"] = "<html@customer.test>", "<ours@cafe.test>"
    message.set_content("<div>What time do you open on <b>Saturday</b>?</div>"
                        "<div class='gmail_quote'>On Mon, Corner Bean wrote:<blockquote>We open at 9</blockquote></div>",
                        subtype="html")
    await arrive(inbox, bytes(message))
    await read_and_send(app, email)
    async with app.db.session() as session:
        recorded = await conversations.recent_inbound_texts(session, 1, app.clock.now().replace(year=2000), 0)
    assert recorded == ["What time do you open on Saturday?"]
