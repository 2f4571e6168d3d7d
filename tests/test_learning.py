"""The owner teaches the bot: a corrected message is understood the next time it is asked."""

from bot.app import App
from bot.messages import Action
from bot.runner import learn_from_owner
from tests.factories import inbound

QUESTION = "do you sell loaves of bread to take home"


async def test_a_message_the_owner_marks_out_of_scope_goes_to_the_owner_next_time(app: App) -> None:
    first = await app.router.handle(inbound(QUESTION))
    assert first.intent is not None and first.intent.name == "menu"
    known = await learn_from_owner(app, None)
    assert (await app.approvals.teach(first.draft_id or 0, "U0123SAM", None)).done
    assert await learn_from_owner(app, known) == known + 1
    again = await app.router.handle(inbound(QUESTION))
    assert again.intent is not None and again.intent.out_of_scope
    assert again.decision is not None and again.decision.action is Action.ESCALATE


async def test_nothing_is_retrained_when_the_owner_taught_nothing(app: App) -> None:
    known = await learn_from_owner(app, None)
    assert await learn_from_owner(app, known) == known
    handled = await app.router.handle(inbound("what time do you open on saturday?"))
    assert handled.decision is not None and handled.decision.action is Action.AUTO
