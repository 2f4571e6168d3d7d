"""The business every benchmark runs: the example café as `socialdesk init` writes it, templates folder included."""

from __future__ import annotations

import tempfile
from datetime import date
from importlib import resources
from pathlib import Path

from bot.profile.load import example_profile_text


def cafe_folder(prefix: str, with_event: bool = True) -> Path:
    """A new folder holding business.yaml and templates/ (the owner's wifi and dogs replies);
    `with_event=False` leaves out the example's coffee tasting."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    profile = example_profile_text(date.today())
    if not with_event:
        profile = profile.split("\nevents:")[0] + "\n"
    (folder / "business.yaml").write_text(profile, encoding="utf-8")
    (folder / "templates").mkdir()
    for template in resources.files("bot.defaults").joinpath("owner_templates").iterdir():
        if template.name.endswith(".j2"):
            (folder / "templates" / template.name).write_text(template.read_text(encoding="utf-8"), encoding="utf-8")
    return folder
