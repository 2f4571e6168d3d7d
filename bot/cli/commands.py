"""The `socialdesk` command. Errors become one clear line and a non-zero exit, never a traceback."""

from __future__ import annotations

import asyncio
import shutil
import sys
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from bot.cli.common import ConfigOption, bot_migrates, command_settings, friendly_errors
from bot.cli.contacts import contacts_app
from bot.cli.evaluate import eval_app
from bot.cli.events import events_app
from bot import eventloop
from bot.errors import ConfigError

if TYPE_CHECKING:
    from bot.app import App

app = typer.Typer(help="socialdesk: your business's chat-bot on every channel.", no_args_is_help=True,
                  pretty_exceptions_enable=False, add_completion=False)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(contacts_app, name="contacts")
app.add_typer(events_app, name="events")
app.add_typer(eval_app, name="eval", help="Score the intent classifier on a labelled data set (CLINC150 or CSV).")




@app.command()
@friendly_errors
def init(directory: Path = typer.Argument(Path("."), help="Where to write the files."),
         force: bool = typer.Option(False, help="Overwrite existing files.")) -> None:
    """Write an example business.yaml (a neighbourhood café), .env.example and a templates folder."""
    from bot.clock import clock_starting_at
    from bot.profile.load import EXAMPLE_ZONE, example_profile_text

    today = clock_starting_at(command_settings(None).socialdesk_now).now().astimezone(EXAMPLE_ZONE).date()
    defaults = resources.files("bot.defaults")
    directory.mkdir(parents=True, exist_ok=True)
    targets = {directory / "business.yaml": example_profile_text(today),
               directory / ".env.example": defaults.joinpath("env.example").read_text(encoding="utf-8")}
    for name in ("wifi.j2", "dogs.j2"):
        targets[directory / "templates" / name] = defaults.joinpath("owner_templates", name).read_text(encoding="utf-8")
    for path, text in targets.items():
        if path.exists() and not force:
            typer.echo(f"kept {path} (exists; --force overwrites)")
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {path}")
    command = this_command()
    typer.echo(f"next: `{command} chat` to try it as a customer; edit business.yaml, then `{command} check`; "
               f"copy .env.example to .env for Telegram, X or Slack; `{command} run` starts everything")


def this_command() -> str:
    """How the user can run socialdesk again from here: a bare `socialdesk` only when that is on PATH
    and is this installation (a checkout's .venv/bin usually is not on PATH)."""
    program = Path(sys.executable).parent / "socialdesk"
    on_path = shutil.which("socialdesk")
    if on_path and Path(on_path).resolve() == program.resolve():
        return "socialdesk"
    try:
        return str(program.relative_to(Path.cwd()))
    except ValueError:
        return str(program)


@app.command()
@friendly_errors
def check(config: Path | None = ConfigOption) -> None:
    """Validate the business profile and render every template for every intent and platform."""
    from bot.app import owner_templates_dir
    from bot.cli.check import intents_without_templates, template_problems
    from bot.clock import clock_starting_at
    from bot.drafting.drafter import Drafter
    from bot.events.checks import event_problems
    from bot.handlers.meta.build import setup_notes
    from bot.profile.load import load_profile
    from bot.profile.warnings import date_warnings
    from bot.registry import missing_settings

    settings = command_settings(config)
    path = Path(settings.socialdesk_config)
    profile = load_profile(path)
    now = clock_starting_at(settings.socialdesk_now).now()
    problems = intents_without_templates(profile) + template_problems(profile, path, now)
    problems += event_problems(Drafter(owner_templates_dir(profile, path)), profile, now)
    for warning in date_warnings(profile, now):
        typer.echo(f"warning: {path.name}: {warning}", err=True)
    for missing in missing_settings(settings, profile) + setup_notes(settings, profile):
        typer.echo(f"warning: {missing}", err=True)
    if problems:
        raise ConfigError("\n".join(f"{path.name}: {p}" for p in problems))
    typer.echo(f"{path}: ok ({len(profile.active_intents())} intents, every template renders on every platform)")


@db_app.command("upgrade")
@friendly_errors
def db_upgrade() -> None:
    """Apply database migrations (the Procfile's release step)."""
    from storage.migrate import upgrade_sync

    settings = command_settings(None)
    upgrade_sync(settings.database_url)
    typer.echo("database is up to date")


@app.command()
@friendly_errors
def chat(config: Path | None = ConfigOption,
         customer: str = typer.Option("Alex", "--as", help="Who you are, as a customer.")) -> None:
    """Talk to the bot as a customer in this terminal; act on held drafts as the owner."""
    from bot.app import build_app
    from bot.console import console_lines
    from bot.events.profile_sync import sync_profile_events
    from bot.handlers.shell import HELP, Console, ConsoleDesk, ShellChannel
    from bot.owner import Approvals
    from bot.runner import console_history

    settings = command_settings(config, quiet=True)

    async def session() -> None:
        bot = await build_app(settings)
        try:
            if bot.events is not None:  # the profile's events, as `socialdesk run` has them: RSVPs need them
                await sync_profile_events(bot.events, bot.profile)
            bot.worker.channels["shell"] = ShellChannel(sys.stdout, bot.profile.business.name)
            bot.worker.owner = ConsoleDesk(sys.stdout)
            interactive = sys.stdin.isatty()
            if interactive:
                typer.echo(f"Chatting with {bot.profile.business.name}. {HELP}")
            console = Console(bot.router, Approvals(bot.db, bot.clock, None), bot.worker, bot.clock, sys.stdout,
                              customer=customer, intents=bot.profile.active_intents(), retrain=bot.retrain)
            await console.run(console_lines(console_history(bot.profile_path)))
        finally:
            await bot.close()

    asyncio.run(session())


@app.command()
@friendly_errors
def run(config: Path | None = ConfigOption) -> None:
    """Run the bot: every configured channel, the outbox and the scheduler, in one process."""
    _run(config, console=sys.stdin.isatty())


@app.command()
@friendly_errors
def worker(config: Path | None = ConfigOption) -> None:
    """Run channels, outbox and scheduler without a console (the Procfile's worker)."""
    _run(config, console=False)


@app.command()
@friendly_errors
def serve(config: Path | None = ConfigOption, host: str = typer.Option("127.0.0.1", help="Address to listen on."),
          port: int = typer.Option(8000, help="Port to listen on."),
          deliver: bool = typer.Option(True, help="Deliver the web chat's replies from this process.")) -> None:
    """Run the web process: web chat, webhooks, Slack interactivity, health and metrics."""
    import uvicorn

    from bot.app import build_app
    from bot.runner import web_deliveries
    from bot.web import create_web_app, route_providers

    settings = command_settings(config)

    async def main() -> None:
        bot = await build_app(settings, migrate=bot_migrates(settings))
        # Closed after the web chat's worker has stopped, also when uvicorn exits because it cannot listen:
        # a database left open would be torn down by the interpreter mid-query, with a traceback.
        try:
            await warn_without_worker(bot)
            server = uvicorn.Server(uvicorn.Config(create_web_app(bot, route_providers()), host=host, port=port,
                                                   log_config=None))
            if not deliver:
                await server.serve()
                return
            async with web_deliveries(bot):
                await server.serve()
        finally:
            await bot.close()

    try:
        eventloop.run(main())
    except SystemExit as exc:  # uvicorn exits when it cannot listen; it has logged why just above
        if exc.code == 0:
            raise
        raise ConfigError(f"cannot serve on {host}:{port} (is another socialdesk serve running there?)") from None


async def warn_without_worker(bot: "App") -> None:
    """`serve` queues the owner's cards and every reply but Web chat's for a worker: say so when none runs."""
    from bot.heartbeat import worker_alive

    if not await worker_alive(bot.db, bot.clock):
        command = this_command()
        typer.echo(f"warning: no socialdesk worker is running: the owner's cards and Telegram, X and Slack "
                   f"replies wait until one starts (`{command} worker`, or `{command} run`); /health reports it "
                   "while they wait", err=True)


def _run(config: Path | None, console: bool) -> None:
    from bot.app import build_app
    from bot.runner import run_bot

    settings = command_settings(config, console=console)

    async def main() -> None:
        bot = await build_app(settings, migrate=bot_migrates(settings))
        try:
            await run_bot(bot, console=console)
        finally:
            await bot.close()

    eventloop.run(main())


def main() -> None:
    app()


if __name__ == "__main__":
    main()
