"""Drafting: render the intent's template for a platform, in Jinja's sandbox with strict undefined.

Templates are looked up as `<name>.<platform>.j2` then `<name>.j2`, in the owner's folder first and
then in the packaged bot/templates. A failure never raises: it comes back as `Draft.error`, and the
router escalates the message with that error as the reason.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from jinja2 import ChoiceLoader, meta, FileSystemLoader, PackageLoader, StrictUndefined, TemplateError, TemplateNotFound
from jinja2.sandbox import SandboxedEnvironment

from bot.markup import ESCAPES
from bot.messages import Draft
from bot.textlimits import fits, too_long_reason

# How each platform marks text up; customer-supplied values are escaped for it.
_MARKUP = ESCAPES


class Drafter:
    """Owns the Jinja environments: one plain, one per markup, all sandboxed and strict."""

    def __init__(self, owner_templates: Path | None = None, filters: dict[str, Callable[..., Any]] | None = None) -> None:
        loaders = [FileSystemLoader(str(owner_templates))] if owner_templates else []
        self._loader = ChoiceLoader([*loaders, PackageLoader("bot", "templates")])
        self._plain = self._environment(None, filters or {})
        self._marked = {p: self._environment(esc, filters or {}) for p, esc in _MARKUP.items()}
        self._variables: dict[tuple[str, str], frozenset[str] | None] = {}

    def _environment(self, escape: Callable[[str], str] | None, filters: dict[str, Callable[..., Any]]) -> SandboxedEnvironment:
        env = SandboxedEnvironment(
            loader=self._loader, undefined=StrictUndefined, autoescape=False,
            trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False,
            finalize=(lambda value: escape(str(value))) if escape else None,
        )
        env.filters.update(filters)
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
        escape = _MARKUP.get(platform)
        variant_env = self._marked.get(platform, self._plain)
        try:
            # A platform variant is written in that platform's markup; only its variables are escaped.
            return variant_env.get_template(f"{template}.{platform}.j2").render(context).strip()
        except TemplateNotFound:
            pass
        plain = self._plain.get_template(f"{template}.j2").render(context).strip()
        return escape(plain) if escape else plain

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
