"""Drafting: render the intent's template for a platform, in Jinja's sandbox with strict undefined.

Templates are looked up as `<name>.<platform>.j2` then `<name>.j2`, in the owner's folder first and
then in the packaged bot/templates. A failure never raises: it comes back as `Draft.error`, and the
router escalates the message with that error as the reason.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any, Callable

from jinja2 import (ChoiceLoader, Environment, FileSystemLoader, PackageLoader, StrictUndefined, TemplateError,
                    TemplateNotFound, meta)
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment

from bot.drafting.context import Deferred
from bot.messages import Draft
from bot.platforms import fits, too_long_reason, traits_of, where

# How each platform marks text up; customer-supplied values are escaped for it.
# A folder's modification time is trusted to show the next change once it is this old (file times are
# coarser than their nanoseconds suggest).
_SETTLED_NS = 2_000_000_000


class PackagedTemplates(PackageLoader):
    """The templates shipped in bot/templates: they change only with a new release, so Jinja need not
    look at their files for changes each time one is used (the owner's folder is still looked at)."""

    def get_source(self, environment: Environment, template: str) -> tuple[str, str | None, Callable[[], bool] | None]:
        source, filename, _ = super().get_source(environment, template)
        return source, filename, _unchanged


def _unchanged() -> bool:
    return True


class DeferringContext(Context):
    """Works out a `Deferred` value when a template reads it (Jinja's documented lookup hook)."""

    def resolve_or_missing(self, key: str) -> Any:
        value = super().resolve_or_missing(key)
        return value.value() if isinstance(value, Deferred) else value


class Drafter:
    """Owns the Jinja environments: one plain, one per markup, all sandboxed and strict.

    Jinja checks a template it has loaded for changes each time it is used, so the owner's edits take
    effect at once. A platform variant that does not exist is remembered as missing until the owner's
    folder changes (a file added or removed there changes the folder's modification time)."""

    def __init__(self, owner_templates: Path | None = None, filters: dict[str, Callable[..., Any]] | None = None) -> None:
        loaders = [FileSystemLoader(str(owner_templates))] if owner_templates else []
        self._owner_templates = str(owner_templates) if owner_templates else None
        self._loader = ChoiceLoader([*loaders, PackagedTemplates("bot", "templates")])
        self._plain = self._environment(None, filters or {})
        self._marked = {p: self._environment(traits_of(p).escape, filters or {}) for p in where(lambda t: t.escape is not None)}
        self._variables: dict[tuple[str, str], frozenset[str] | None] = {}
        self._missing: set[str] = set()
        self._missing_as_of: int | None = self._folder_version()

    def _environment(self, escape: Callable[[str], str] | None, filters: dict[str, Callable[..., Any]]) -> SandboxedEnvironment:
        env = SandboxedEnvironment(
            loader=self._loader, undefined=StrictUndefined, autoescape=False,
            trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False,
            finalize=(lambda value: escape(str(value))) if escape else None,
        )
        env.filters.update(filters)
        env.context_class = DeferringContext
        return env

    def render(self, template: str, platform: str, context: dict[str, Any]) -> Draft:
        try:
            text = self._render(template, platform, context)
        except TemplateNotFound:
            return Draft("", template, f"template {template!r} not found (looked for {template}.{platform}.j2 and {template}.j2)")
        except TemplateError as exc:
            return Draft("", template, f"template {template!r} failed: {exc}")
        except Exception as exc:  # an owner's template can raise anything ({{ 1/0 }}, a helper given a bad value)
            return Draft("", template, f"template {template!r} failed: {type(exc).__name__}: {exc}")
        if not text:
            return Draft("", template, f"template {template!r} rendered an empty reply")
        return Draft(text, template)

    def _render(self, template: str, platform: str, context: dict[str, Any]) -> str:
        escape = traits_of(platform).escape
        variant_env = self._marked.get(platform, self._plain)
        variant = f"{template}.{platform}.j2"
        if not self._known_missing(variant):
            try:
                # A platform variant is written in that platform's markup; only its variables are escaped.
                found = variant_env.get_template(variant)
            except TemplateNotFound:
                self._missing.add(variant)
            else:
                return found.render(context).strip()
        plain = self._plain.get_template(f"{template}.j2").render(context).strip()
        return escape(plain) if escape else plain

    def _known_missing(self, name: str) -> bool:
        version = self._folder_version()
        if version != self._missing_as_of or (version is not None and time.time_ns() - version < _SETTLED_NS):
            # Changed, or changed so lately that a second change could share its timestamp: look again.
            self._missing.clear()
            self._missing_as_of = version
        return name in self._missing

    def _folder_version(self) -> int | None:
        if self._owner_templates is None:
            return None  # the packaged templates change only with a new release
        try:
            return os.stat(self._owner_templates).st_mtime_ns
        except OSError:
            return -1

    def uses(self, template: str, platform: str, variable: str) -> bool:
        """Whether rendering `template` may read `variable`, so callers fetch costly values only when needed."""
        key = (template, platform)
        if key not in self._variables:
            self._variables[key] = self._referenced(template, platform)
        found = self._variables[key]
        return found is None or variable in found

    def _referenced(self, template: str, platform: str) -> frozenset[str] | None:
        """Names a template reads; None when it includes or extends others (then assume it reads all)."""
        for name in (f"{template}.{platform}.j2", f"{template}.j2"):
            try:
                source, _, _ = self._loader.get_source(self._plain, name)
            except TemplateNotFound:
                continue
            try:
                parsed = self._plain.parse(source)
            except TemplateError:
                return None
            if any(True for _ in meta.find_referenced_templates(parsed)):
                return None
            return frozenset(meta.find_undeclared_variables(parsed))
        return frozenset()


def over_limit_reason(platform: str, text: str) -> str | None:
    """Why a draft cannot go out as is on this platform, or None when it fits."""
    if fits(platform, text):
        return None
    return too_long_reason(platform)
