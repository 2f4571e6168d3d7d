"""Platform payload samples, shaped as the platforms' documentation shows them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent


def payload(platform: str, name: str) -> dict[str, Any]:
    return json.loads((HERE / platform / f"{name}.json").read_text(encoding="utf-8"))
