"""The router end to end on a SQLite file: dedupe, drafts, outbox rows and decisions."""

from pathlib import Path

from bot.app import App
from bot.messages import Action
from storage import drafts, outbox
from storage.contacts import set_vip
from tests.factories import inbound
from tests.support.channels import RecordingChannel


async def test_the_same_inbound_twice_gives_one_reply(app: App, shell: RecordingChannel) -> None:
    channel = shell
    message = inbound("what time do you open on saturday?", external_id="tg-42")
    first = await app.router.handle(message)
    second = await app.router.handle(message)
    await app.worker.drain()
    assert first.decision is not None and first.decision.action is Action.AUTO
    assert second.duplicate
    assert len(channel.sent) == 1


async def test_a_broken_template_escalates_instead_of_crashing(app: App, profile_dir: Path) -> None:
    (profile_dir / "templates").mkdir(exist_ok=True)
    (profile_dir / "templates" / "hours.j2").write_text("We open at {{ opening_time }}", encoding="utf-8")
    handled = await app.router.handle(inbound("what time do you open on saturday?"))
    assert handled.decision is not None
    assert handled.decision.action is Action.ESCALATE
    assert any("'opening_time' is undefined" in reason for reason in handled.decision.reasons)
    async with app.db.session() as session:  # the owner's card and the customer's acknowledgement
        assert [i.idempotency_key for i in await outbox.items(session)] == ["card:1", "ack:1"]


async def test_a_template_that_reaches_for_python_internals_is_stopped(app: App, profile_dir: Path) -> None:
    (profile_dir / "templates").mkdir(exist_ok=True)
    (profile_dir / "templates" / "hours.j2").write_text("{{ business.__class__.__mro__ }}", encoding="utf-8")
    handled = await app.router.handle(inbound("what time do you open on saturday?"))
    assert handled.decision is not None and handled.decision.action is Action.ESCALATE
    assert any("unsafe" in reason or "__class__" in reason for reason in handled.decision.reasons)


async def test_spam_is_recorded_but_gets_no_reply_and_no_card(app: App) -> None:
    handled = await app.router.handle(inbound("invest in crypto now, guaranteed returns"))
    assert handled.decision is not None and handled.decision.action is Action.SILENT
    async with app.db.session() as session:
        assert await outbox.items(session) == []
        draft = await drafts.get_draft(session, handled.draft_id or 0)
    assert draft is not None and draft.status == "silent"


async def test_the_same_question_again_goes_to_the_owner(app: App) -> None:
    await app.router.handle(inbound("where are you located?"))
    again = await app.router.handle(inbound("Where are you located??"))
    assert again.decision is not None and again.decision.action is Action.ESCALATE
    assert "sent the same message 2 times" in again.decision.reasons


async def test_a_vip_contact_gets_a_draft_for_approval(app: App) -> None:
    first = await app.router.handle(inbound("what time do you open on saturday?"))
    async with app.db.session() as session:
        await set_vip(session, 1, True)
    second = await app.router.handle(inbound("and on sunday?"))
    assert first.decision is not None and first.decision.action is Action.AUTO
    assert second.decision is not None and "VIP contact" in second.decision.reasons
    assert second.decision.action is not Action.AUTO


async def test_an_x_reply_over_280_characters_is_held_not_cut(app: App, profile_dir: Path) -> None:
    (profile_dir / "templates").mkdir(exist_ok=True)
    (profile_dir / "templates" / "thanks.j2").write_text("Thank you! " * 30, encoding="utf-8")
    handled = await app.router.handle(inbound("thanks so much!", platform="x", thread_key="x:1"))
    assert handled.decision is not None and handled.decision.action is Action.APPROVE
    assert handled.decision.reasons == ("reply is longer than X's 280 characters",)


async def test_customer_text_in_a_telegram_reply_is_escaped(app: App) -> None:
    from bot.messages import Sender

    sender = Sender("7", "<b>Eve</b> & co")
    handled = await app.router.handle(inbound("thank you", platform="telegram", thread_key="7", sender=sender))
    async with app.db.session() as session:
        draft = await drafts.get_draft(session, handled.draft_id or 0)
    assert draft is not None
    assert "&lt;b&gt;Eve&lt;/b&gt;" in draft.text and "<b>" not in draft.text
