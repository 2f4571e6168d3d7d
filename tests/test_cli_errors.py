"""Every command, given what a new owner gets wrong (no profile, a broken one, a database that is not
there, an id that does not exist), says so in one `error: ...` line and exits non-zero: no traceback.

The commands run as real processes, all at once (each takes a second or two to start). One
command stands for each way in: the profile loader, build_app, the contacts and events sub-commands.."""

from __future__ import annotations

import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.conftest import init_folder
from tests.test_cli import run

UNREACHABLE = "postgresql+asyncpg://nobody:hunter2secret@127.0.0.1:1/x"
# `chat`, `worker` and `serve` build the app the way `run` does, so `run` stands for them here.
NEEDS_PROFILE = ["check", "run", "events list"]
NEEDS_DATABASE = ["chat", "run", "db upgrade", "events list", "contacts list"]
UNKNOWN_IDS = ["events show 99", "events edit 99 --title Tasting", "contacts show 99", "contacts link 99 98",
               "contacts forget 99"]
# (case id, folder kind, command, environment, what the error line says)
CASES = ([(f"no-profile:{c}", "empty", c, {}, "business.yaml: not found") for c in NEEDS_PROFILE]
         + [(f"bad-yaml:{c}", "bad", c, {}, "business.yaml:3: not valid YAML") for c in ("check", "run")]
         + [(f"no-database:{c}", "good", c, {"DATABASE_URL": UNREACHABLE}, "127.0.0.1:1") for c in NEEDS_DATABASE]
         + [(f"unknown-id:{c}", "good", c, {}, "99") for c in UNKNOWN_IDS]
         + [("missing-config-file:chat", "good", "chat --config nope.yaml", {}, "nope.yaml: not found"),
            ("mistyped-database-url:chat", "good", "chat", {"DATABASE_URL": "postgres:/sam:hunter2secret@db/x"},
             "is not a database URL"),
            ("bad-log-level:run", "good", "run", {"LOG_LEVEL": "verbose"}, "LOG_LEVEL 'verbose' is not one of")])


def _folders(root: Path, model: Path) -> dict[str, Path]:
    folders = {kind: root / kind for kind in ("empty", "bad", "good")}
    for folder in folders.values():
        folder.mkdir()
    (folders["bad"] / "business.yaml").write_text("business:\n  name: [oops\n", encoding="utf-8")
    # Migrated once up front: the commands below then share the SQLite file without racing to create it.
    init_folder(folders["good"], model, migrate=True)
    return folders


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory,
            example_model: Path) -> dict[str, subprocess.CompletedProcess[str]]:
    folders = _folders(tmp_path_factory.mktemp("cli"), example_model)

    def one(case: tuple[str, str, str, dict[str, str], str]) -> subprocess.CompletedProcess[str]:
        _, kind, command, env, _ = case
        return run(*command.split(), cwd=folders[kind], env=env)

    with ThreadPoolExecutor(max_workers=6) as pool:
        return dict(zip([case[0] for case in CASES], pool.map(one, CASES)))


@pytest.mark.parametrize("case", CASES, ids=[case[0] for case in CASES])
def test_bad_input_is_one_error_line_and_a_failing_exit(case, results) -> None:
    name, _, _, _, expected = case
    result = results[name]
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and expected in errors[0], result.stderr
    assert "hunter2secret" not in result.stderr + result.stdout and "AAsecretsecret" not in result.stderr
