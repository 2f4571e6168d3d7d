"""Contacts on the real database: link two identities, export everything, forget on request."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import func, select
from typer.testing import CliRunner

from bot.cli import app as cli
from bot.messages import Action, Decision, Draft, Inbound, Intent, Sender
from storage import audit, contact_data, contacts, conversations, drafts, examples, outbox
from storage.engine import Database
from storage.migrate import upgrade
from storage.models import EventRow, IdentityRow, MessageRow, OutboxRow, OwnerExampleRow, RsvpRow

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=timezone.utc)
PRIYA_TG = Sender("123456789", "Priya Shah", "priya_s")
PRIYA_X = Sender("2244994945", "Priya S", "priyashah")
TOM_TG = Sender("222333444", "Tom Baker", "tomb")


def inbound(platform: str, sender: Sender, external_id: str, text: str, minutes: int = 0) -> Inbound:
    return Inbound(platform, "dm", external_id, f"{platform}-{sender.platform_user_id}", sender, text,
                   NOW + timedelta(minutes=minutes))


async def seed(db: Database) -> dict[str, int]:
    """Priya on Telegram (with a draft, a queued reply, a learned example and an RSVP), Priya on X, Tom."""
    async with db.session() as session:
        tg = await conversations.record_inbound(session, inbound("telegram", PRIYA_TG, "1:41", "do you do oat milk?"), NOW)
        x = await conversations.record_inbound(session, inbound("x", PRIYA_X, "dm:9", "table for 4 friday?", 5), NOW)
        tom = await conversations.record_inbound(session, inbound("telegram", TOM_TG, "2:7", "open sunday?", 9), NOW)
        draft = await drafts.add_draft(session, message_id=tg.message_id, conversation_id=tg.conversation.id,
                                       intent=Intent("menu", 0.9), decision=Decision(Action.AUTO),
                                       draft=Draft("Yes, oat milk at no extra cost.", "menu"), status="auto", now=NOW)
        await outbox.enqueue(session, key=f"reply:{draft.id}", kind="reply", platform="telegram",
                             payload={"thread_key": "telegram-123456789", "text": "Yes, oat milk.",
                                      "conversation_id": tg.conversation.id}, due_at=NOW, now=NOW, draft_id=draft.id)
        await examples.add(session, text="do you do oat milk?", intent="menu", source="approved", now=NOW)
        event = EventRow(key="latte", uid="latte@cafe", title="Latte art night", starts_at=NOW + timedelta(days=1),
                         timezone="Europe/London", created_at=NOW, updated_at=NOW)
        session.add(event)
        await session.flush()
        for contact_id in (tg.contact.id, x.contact.id):
            session.add(RsvpRow(event_id=event.id, contact_id=contact_id, status="going", party_size=2,
                                platform="telegram", created_at=NOW, updated_at=NOW))
        return {"priya_tg": tg.contact.id, "priya_x": x.contact.id, "tom": tom.contact.id}


async def test_linking_two_identities_makes_one_contact_with_both(db: Database) -> None:
    ids = await seed(db)
    async with db.session() as session:
        keep = await contacts.find_contact(session, "telegram:123456789")
        other = await contacts.find_contact(session, "x:@PriyaShah")
        assert keep is not None and other is not None and keep.id != other.id
        await contacts.link(session, keep.id, other.id)
    async with db.session() as session:
        assert await contacts.get_contact(session, ids["priya_x"]) is None
        merged = await contacts.summary(session, ids["priya_tg"])
        assert merged is not None and merged.messages == 2
        assert {(i.platform, i.handle) for i in merged.identities} == {("telegram", "priya_s"), ("x", "priyashah")}
        assert await session.scalar(select(func.count(RsvpRow.id)).where(RsvpRow.contact_id == ids["priya_tg"])) == 1
        assert len(await contacts.list_contacts(session)) == 2


async def test_export_holds_identities_conversations_messages_and_rsvps(db: Database) -> None:
    ids = await seed(db)
    async with db.session() as session:
        exported = await contact_data.export_contact(session, ids["priya_tg"])
    assert exported is not None
    data = json.loads(json.dumps(exported))  # plain JSON all the way down
    assert data["contact"]["display_name"] == "Priya Shah"
    assert data["identities"] == [{"platform": "telegram", "platform_user_id": "123456789", "handle": "priya_s",
                                   "unreachable": False}]
    assert [m["text"] for c in data["conversations"] for m in c["messages"]] == ["do you do oat milk?"]
    assert data["rsvps"][0]["event"] == "Latte art night" and data["rsvps"][0]["party_size"] == 2


async def test_forget_removes_their_words_and_ids_and_leaves_others_alone(db: Database) -> None:
    ids = await seed(db)
    async with db.session() as session:
        counts = await contact_data.forget_contact(session, ids["priya_tg"])
    assert counts == {"identities": 1, "conversations": 1, "messages": 1, "drafts": 1, "rsvps": 1,
                      "queued_replies": 1, "examples": 1}
    async with db.session() as session:
        texts = list((await session.scalars(select(MessageRow.text))).all())
        assert "do you do oat milk?" not in texts and "open sunday?" in texts
        assert await session.scalar(select(IdentityRow.id).where(IdentityRow.platform_user_id == "123456789")) is None
        assert await session.scalar(select(func.count(OwnerExampleRow.id))) == 0
        assert await session.scalar(select(func.count(OutboxRow.id))) == 0
        assert await contacts.get_contact(session, ids["tom"]) is not None


def _cli_env(tmp_path: Path, profile_dir: Path) -> dict[str, str]:
    return {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}",
            "SOCIALDESK_CONFIG": str(profile_dir / "business.yaml"), "LOG_LEVEL": "WARNING"}


def test_cli_links_exports_and_forgets_with_counts_only_in_the_audit_log(tmp_path: Path, profile_dir: Path) -> None:
    env = _cli_env(tmp_path, profile_dir)

    async def prepare() -> None:
        await upgrade(env["DATABASE_URL"])
        database = Database(env["DATABASE_URL"])
        await seed(database)
        await database.close()

    asyncio.run(prepare())
    runner = CliRunner()
    linked = runner.invoke(cli, ["contacts", "link", "telegram:123456789", "x:@priyashah"], env=env)
    assert linked.exit_code == 0, linked.output
    listed = runner.invoke(cli, ["contacts", "list"], env=env)
    assert "telegram:@priya_s, x:@priyashah" in listed.output and "Tom Baker" in listed.output
    target = tmp_path / "priya.json"
    assert runner.invoke(cli, ["contacts", "export", "@priya_s", "--out", str(target)], env=env).exit_code == 0
    exported = json.loads(target.read_text(encoding="utf-8"))
    assert {i["platform"] for i in exported["identities"]} == {"telegram", "x"}
    forgot = runner.invoke(cli, ["contacts", "forget", "@priya_s", "--yes"], env=env)
    assert forgot.exit_code == 0 and "2 identities" in forgot.output and "2 messages" in forgot.output

    async def audit_log() -> list:
        database = Database(env["DATABASE_URL"])
        async with database.session() as session:
            entries = await audit.entries(session)
        await database.close()
        return entries

    forget_entry = [e for e in asyncio.run(audit_log()) if e.action == "forget_contact"][0]
    assert forget_entry.subject == "contact:forgotten"
    assert all(isinstance(value, int) for value in forget_entry.detail.values())


def test_cli_names_a_contact_it_cannot_find(tmp_path: Path, profile_dir: Path) -> None:
    result = CliRunner().invoke(cli, ["contacts", "show", "x:@nobody"], env=_cli_env(tmp_path, profile_dir))
    assert result.exit_code == 1 and "no contact 'x:@nobody'" in result.output


def test_a_whatsapp_and_an_email_customer_are_named_by_phone_number_and_address_and_linked(
        tmp_path: Path, profile_dir: Path) -> None:
    # As the WhatsApp and email handlers record them: the number's digits with "+" as the handle; the address.
    whatsapp = Sender("447700900111", "Priya Shah", "+447700900111")
    email = Sender("priya@example.org", "Priya", "priya@example.org")
    env = _cli_env(tmp_path, profile_dir)

    async def prepare() -> None:
        await upgrade(env["DATABASE_URL"])
        database = Database(env["DATABASE_URL"])
        async with database.session() as session:
            await conversations.record_inbound(session, inbound("whatsapp", whatsapp, "wamid.1", "open sunday?"), NOW)
            await conversations.record_inbound(session, inbound("email", email, "<a@example.org>", "table for 2?"), NOW)
        await database.close()

    asyncio.run(prepare())
    runner = CliRunner()
    listed = runner.invoke(cli, ["contacts", "list"], env=env)
    assert "whatsapp:+447700900111" in listed.output and "email:priya@example.org" in listed.output
    linked = runner.invoke(cli, ["contacts", "link", "+44 7700 900111", "Priya@Example.org"], env=env)
    assert linked.exit_code == 0, linked.output
    shown = runner.invoke(cli, ["contacts", "show", "whatsapp:+44 (7700) 900-111"], env=env)
    assert "[email:priya@example.org, whatsapp:+447700900111]" in shown.output
