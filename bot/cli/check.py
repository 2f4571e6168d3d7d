"""`socialdesk check`: render every intent's template on every platform, and say what fails."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from bot.app import owner_templates_dir
from bot.drafting.context import EventBrief, reply_context
from bot.drafting.drafter import Drafter, over_limit_reason
from bot.drafting.facts import is_missing_fact, with_facts
from bot.platforms import names as platform_names
from bot.profile.model import BusinessProfile
from bot.router import FALLBACK_TEMPLATE

SAMPLE_MESSAGES = ("are you open on saturday?", "hi")


def template_problems(profile: BusinessProfile, profile_path: Path, now: datetime) -> list[str]:
    drafter = Drafter(owner_templates_dir(profile, profile_path))
    event = EventBrief(0, "Sample event", now + timedelta(days=3), now + timedelta(days=3, hours=2),
                       profile.business.address or profile.business.name, "A sample description.", 5)
    problems: list[str] = []
    templates = {spec.template for spec in profile.active_intents().values() if spec.template} | {FALLBACK_TEMPLATE}
    for template in sorted(templates):
        for platform in platform_names():
            for message in SAMPLE_MESSAGES:
                for next_event in (event, None):
                    context = reply_context(profile, now, customer_name="Alex", message=message,
                                            platform=platform, next_event=next_event)
                    draft = drafter.render(template, platform, with_facts(context, profile))
                    if is_missing_fact(draft.error):
                        continue  # such questions go to the owner until the fact is given
                    problem = draft.error or over_limit_reason(platform, draft.text)
                    if problem:
                        problems.append(f"{platform}: {problem}")
    return sorted(set(problems))


def intents_without_templates(profile: BusinessProfile) -> list[str]:
    return [f"intents.{name}: has no template (add `template: <name>` or `silent: true`)"
            for name, spec in profile.active_intents().items() if not spec.template and not spec.silent]
