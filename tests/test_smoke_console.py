from io import StringIO

from bot.app import App
from bot.approvals import Approvals
from bot.handlers.shell import Console, ConsoleDesk, ShellChannel


async def test_saturday_hours_are_answered_from_the_profile(app: App) -> None:
    out = StringIO()
    app.worker.channels["shell"] = ShellChannel(out, app.profile.business.name)
    app.worker.owner = ConsoleDesk(out)
    console = Console(app.router, Approvals(app.db, app.clock, None), app.worker, app.clock, out)
    await console.say("what time do you open on saturday?")
    assert "On Saturday 28 November we're open 9am–5pm" in out.getvalue()
