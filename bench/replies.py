"""What the bot would do with the café's evaluation sets: one row per set and backend.

    python bench/replies.py [SET.csv ...] [--backend default|embeddings|all] [--json] [--mistakes]

Each set goes through `socialdesk eval replies` logic (the real router, the example café's profile, a
new customer per message) with the clock at 1 December 2026, 11:00 UTC, as in bench/data/README.md.
Prints per cent of all messages answered right, answered WRONG, held needlessly and silenced, and the
share of routine questions answered right. `--mistakes` lists them too: leave it off for a set whose
messages must stay unseen by whoever tunes the intents.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.cli.evaluate_replies import evaluate_replies, load_cases  # noqa: E402
from bot.clock import FrozenClock  # noqa: E402
from bot.profile.load import example_profile_text  # noqa: E402

DATA = ROOT / "bench" / "data"
SETS = ["cafe_replies.csv", "cafe_replies_holdout.csv", "cafe_replies_fresh.csv", "cafe_replies_blind.csv",
        "cafe_replies_unseen.csv", "cafe_replies_later.csv",
        "cafe_replies_winter.csv", "cafe_replies_spring.csv"]
NOW = datetime(2026, 12, 1, 11, 0, tzinfo=timezone.utc)
KEYS = ("answered_right", "answered_wrong", "held", "silenced", "routine_answered_right")


def profile_folder() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="socialdesk-replies-"))
    (folder / "business.yaml").write_text(example_profile_text(NOW.date()), encoding="utf-8")
    templates = folder / "templates"
    templates.mkdir()
    defaults = ROOT / "bot" / "defaults" / "owner_templates"
    for template in defaults.glob("*.j2"):
        (templates / template.name).write_text(template.read_text(encoding="utf-8"), encoding="utf-8")
    return folder


async def one(path: Path, backend: str, profile: Path) -> dict[str, object]:
    report = await evaluate_replies(load_cases(path), profile, backend=backend, clock=FrozenClock(NOW))
    return report.as_dict()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("sets", nargs="*", type=Path)
    parser.add_argument("--backend", default="all", choices=["default", "embeddings", "all"])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--mistakes", action="store_true")
    args = parser.parse_args()
    paths = args.sets or [DATA / name for name in SETS]
    backends = ["default", "embeddings"] if args.backend == "all" else [args.backend]
    profile = profile_folder() / "business.yaml"
    rows = []
    for backend in backends:
        for path in paths:
            summary = asyncio.run(one(path, backend, profile))
            row = {"set": path.name, "backend": backend, **{key: summary[key] for key in KEYS}}
            rows.append(row)
            if args.json:
                continue
            print(f"{path.name:28} {backend:10} right {row['answered_right']:5.1f}  WRONG {row['answered_wrong']:4.1f}  "
                  f"held {row['held']:4.1f}  silenced {row['silenced']:3.1f}  routine right {row['routine_answered_right']:5.1f}",
                  flush=True)
            if args.mistakes:
                for result in summary["results"]:  # type: ignore[union-attr]
                    if result["verdict"] != "right":
                        print(f"    {result['verdict']:8} {result['expected']:13} {result['action']:8} "
                              f"{result['intent'] or '-':13} {result['confidence']:.2f}  {result['text'][:90]}")
                        print(f"             {'; '.join(result['reasons'])[:160]}")
    if args.json:
        print(json.dumps(rows))


if __name__ == "__main__":
    main()
