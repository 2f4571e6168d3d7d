"""`socialdesk contacts`: who the customers are across platforms; link, VIP, export and forget.

A contact is named by its number (from `contacts list`), by an identity (`telegram:123456789`) or
by a handle (`x:@priyashah`, or `@priyashah` when only one platform has it).
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypeVar

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli.common import bot_migrates, command_settings, friendly_errors
from bot.errors import DataError
from storage import audit, contact_data, contacts
from storage.engine import Database
from storage.migrate import upgrade
from storage.records import Contact, ContactSummary

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])
contacts_app = typer.Typer(help="Customers across platforms: list, show, link, VIP, export, forget.",
                           no_args_is_help=True)


def _actor() -> str:
    return f"cli:{os.environ.get('USER') or 'owner'}"


def _in_session(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    settings = command_settings(None)

    async def run() -> T:
        if bot_migrates(settings):
            await upgrade(settings.database_url)
        db = Database(settings.database_url)
        try:
            await db.ping()
            async with db.session() as session:
                return await work(session)
        finally:
            await db.close()

    return asyncio.run(run())


async def _require(session: AsyncSession, ref: str) -> Contact:
    found = await contacts.find_contact(session, ref)
    if found is None:
        raise DataError(f"no contact {ref!r} (see `socialdesk contacts list`)")
    return found


def _line(item: ContactSummary) -> str:
    contact = item.contact
    where = ", ".join(f"{i.platform}:{_handle(i.handle) if i.handle else i.platform_user_id}"
                      f"{' (unreachable)' if i.unreachable else ''}" for i in item.identities)
    vip = " VIP" if contact.vip else ""
    return (f"#{contact.id:<5} {contact.display_name}{vip}  [{where}]  {item.messages} messages, "
            f"last seen {contact.last_seen:%Y-%m-%d %H:%M} UTC")


def _handle(handle: str) -> str:
    """A handle as the platform shows it: "@priyashah", but a phone number or an email address as it is."""
    return handle if handle.startswith("+") or "@" in handle else f"@{handle}"


@contacts_app.command("list")
@friendly_errors
def list_(search: str | None = typer.Option(None, "--search", "-s", help="Part of a name or handle.")) -> None:
    """Contacts, most recently seen first."""
    found = _in_session(lambda s: contacts.list_contacts(s, search))
    for item in found:
        typer.echo(_line(item))
    if not found:
        typer.echo("no contacts yet" if not search else f"no contact matches {search!r}")


@contacts_app.command()
@friendly_errors
def show(ref: str = typer.Argument(..., help="Contact number, platform:user_id or platform:@handle.")) -> None:
    """One contact: identities, message count, VIP flag and notes."""
    async def work(session: AsyncSession) -> ContactSummary | None:
        return await contacts.summary(session, (await _require(session, ref)).id)

    item = _in_session(work)
    assert item is not None
    typer.echo(_line(item))
    typer.echo(f"first seen {item.contact.first_seen:%Y-%m-%d %H:%M} UTC")
    if item.contact.notes:
        typer.echo(f"notes: {item.contact.notes}")


@contacts_app.command()
@friendly_errors
def link(keep: str = typer.Argument(..., help="The contact to keep."),
         other: str = typer.Argument(..., help="The identity or contact that is the same person.")) -> None:
    """Link two identities to one contact (the same person on Telegram and X, say)."""
    async def work(session: AsyncSession) -> Contact:
        kept, merged = await _require(session, keep), await _require(session, other)
        result = await contacts.link(session, kept.id, merged.id)
        await audit.record(session, at=datetime.now(timezone.utc), actor=_actor(), action="link_contacts",
                           subject=f"contact:{kept.id}", detail={"merged": merged.id})
        return result

    contact = _in_session(work)
    typer.echo(f"linked: #{contact.id} {contact.display_name} now has both identities")


@contacts_app.command()
@friendly_errors
def vip(ref: str = typer.Argument(...), off: bool = typer.Option(False, "--off", help="Remove the VIP flag.")) -> None:
    """Mark a contact VIP: their messages always wait for the owner."""
    async def work(session: AsyncSession) -> Contact:
        contact = await _require(session, ref)
        await contacts.set_vip(session, contact.id, not off)
        await audit.record(session, at=datetime.now(timezone.utc), actor=_actor(), action="vip_off" if off else "vip_on",
                           subject=f"contact:{contact.id}")
        return contact

    contact = _in_session(work)
    typer.echo(f"#{contact.id} {contact.display_name} is {'no longer ' if off else ''}VIP")


@contacts_app.command()
@friendly_errors
def export(ref: str = typer.Argument(...),
           out: Path | None = typer.Option(None, "--out", "-o", help="Write to this file instead of the screen.")) -> None:
    """Everything held about a contact, as JSON: identities, conversations, messages, RSVPs."""
    async def work(session: AsyncSession) -> dict[str, object] | None:
        contact = await _require(session, ref)
        await audit.record(session, at=datetime.now(timezone.utc), actor=_actor(), action="export_contact",
                           subject=f"contact:{contact.id}")
        return await contact_data.export_contact(session, contact.id)

    text = json.dumps(_in_session(work), indent=2, ensure_ascii=False)
    if out is None:
        typer.echo(text)
    else:
        out.write_text(text + "\n", encoding="utf-8")
        typer.echo(f"wrote {out}")


@contacts_app.command()
@friendly_errors
def forget(ref: str = typer.Argument(...), yes: bool = typer.Option(False, "--yes", help="Do not ask to confirm.")) -> None:
    """Delete a contact's messages, identities, RSVPs and drafts; the audit log keeps only counts."""
    if not yes:
        name = _in_session(lambda session: _require(session, ref)).display_name
        typer.confirm(f"Forget {name or ref} and delete everything they wrote?", abort=True)

    async def work(session: AsyncSession) -> dict[str, int]:
        contact = await _require(session, ref)
        counts = await contact_data.forget_contact(session, contact.id) or {}
        await audit.record(session, at=datetime.now(timezone.utc), actor=_actor(), action="forget_contact",
                           subject="contact:forgotten", detail=counts)
        return counts

    counts = _in_session(work)
    typer.echo("forgotten: " + ", ".join(f"{n} {what.replace('_', ' ')}" for what, n in counts.items()))
