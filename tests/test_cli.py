"""The socialdesk command as a user runs it: real processes, real files, one clear line on error."""

import os
import signal
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

SOCIALDESK = str(Path(sys.executable).parent / "socialdesk")
# The checkout under test comes first on the path, whatever else is installed.
REPO = str(Path(__file__).resolve().parent.parent)
# Every process under test starts its clock here, the same Wednesday morning as the `clock` fixture,
# so what it answers never depends on the day the suite runs.
PROCESS_NOW = datetime(2026, 11, 25, 10, 0, tzinfo=timezone.utc)


# Every platform's variables: a test's socialdesk process sees none of the machine's own.
PLATFORM_VARIABLES = ("TELEGRAM_", "SLACK_", "X_", "EMAIL_", "META_", "WHATSAPP_", "MESSENGER_", "INSTAGRAM_", "GRAPH_",
                      "DATABASE_")


def clean_environment() -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(PLATFORM_VARIABLES)}
    environment["PYTHONPATH"] = REPO
    environment["SOCIALDESK_NOW"] = PROCESS_NOW.isoformat()
    return environment


def run(*args: str, cwd: Path, stdin: str = "", env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = clean_environment()
    environment.update(env or {})
    return subprocess.run([SOCIALDESK, *args], cwd=cwd, input=stdin, capture_output=True, text=True,
                          env=environment, timeout=120)


def test_init_then_piped_chat_answers_saturday_hours(tmp_path: Path) -> None:
    assert run("init", cwd=tmp_path).returncode == 0
    assert (tmp_path / "business.yaml").exists() and (tmp_path / ".env.example").exists()
    result = run("chat", cwd=tmp_path, stdin="what time do you open on saturday?\n")
    assert result.returncode == 0, result.stderr
    assert "Corner Bean Café: We're open 9am–5pm on Saturday 28 November." in result.stdout
    assert (tmp_path / "socialdesk.db").exists()


def test_init_does_not_overwrite_an_existing_profile(tmp_path: Path) -> None:
    (tmp_path / "business.yaml").write_text("business:\n  name: Mine\n", encoding="utf-8")
    result = run("init", cwd=tmp_path)
    assert "kept" in result.stdout
    assert (tmp_path / "business.yaml").read_text(encoding="utf-8") == "business:\n  name: Mine\n"


def test_check_passes_on_the_example(initialised: Path) -> None:
    result = run("check", cwd=initialised)
    assert result.returncode == 0, result.stderr
    assert "every template renders on every platform" in result.stdout


def test_check_names_the_settings_a_half_set_up_channel_still_needs(initialised: Path) -> None:
    result = run("check", cwd=initialised, env={"EMAIL_ADDRESS": "hello@cafe.test", "EMAIL_IMAP_HOST": "imap.cafe.test"})
    assert result.returncode == 0, result.stderr
    assert ("warning: email is set up in part: set EMAIL_PASSWORD and EMAIL_SMTP_HOST in .env, or unset the rest"
            in result.stderr)
    assert "telegram" not in result.stderr  # a channel with nothing set is simply off


def test_check_names_what_whatsapp_still_needs_and_leaves_the_other_meta_platforms_alone(initialised: Path) -> None:
    whatsapp = {"WHATSAPP_TOKEN": "token", "WHATSAPP_PHONE_NUMBER_ID": "106540352242922", "META_APP_SECRET": "secret"}
    half = run("check", cwd=initialised, env=whatsapp)
    assert "warning: whatsapp is set up in part: set META_VERIFY_TOKEN in .env" in half.stderr
    whole = run("check", cwd=initialised, env={**whatsapp, "META_VERIFY_TOKEN": "verify"})
    assert whole.returncode == 0, whole.stderr
    assert "messenger" not in whole.stderr and "instagram" not in whole.stderr  # one Meta app, only WhatsApp on
    assert "whatsapp has no approved template (channels.whatsapp.template)" in whole.stderr


def test_init_dates_the_example_event_two_weeks_ahead_with_closures_that_repeat(tmp_path: Path) -> None:
    later = {"SOCIALDESK_NOW": "2031-06-10T09:00:00+00:00"}
    assert run("init", cwd=tmp_path, env=later).returncode == 0
    written = (tmp_path / "business.yaml").read_text(encoding="utf-8")
    assert "starts_at: 2031-06-24T18:30:00+01:00" in written and "title: Summer coffee tasting" in written
    assert 'date: "12-25"' in written
    result = run("check", cwd=tmp_path, env=later)
    assert result.returncode == 0 and result.stderr == "", result.stderr


def test_check_warns_about_dates_gone_by_and_two_closures_on_one_day(initialised: Path) -> None:
    profile = initialised / "business.yaml"
    profile.write_text(profile.read_text(encoding="utf-8").replace(
        '  exceptions:\n', '  exceptions:\n    - {date: 2026-11-02, closed: true}\n    - {date: 2026-12-25, closed: true}\n'),
        encoding="utf-8")
    result = run("check", cwd=initialised, env={"SOCIALDESK_NOW": "2026-12-20T09:00:00+00:00"})
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [
        'warning: business.yaml: hours.exceptions[0]: 2026-11-02 has passed; write "11-02" to repeat it every year, '
        "or remove it",
        "warning: business.yaml: hours.exceptions[1] and hours.exceptions[3] are both for 2026-12-25; "
        "only hours.exceptions[1] applies",
        "warning: business.yaml: events[0] (winter-tasting-2026): starts_at 2026-12-09T18:30:00+00:00 has passed; "
        "move it or remove it, or no invite goes out",
    ]


def test_a_bad_socialdesk_now_is_one_line(initialised: Path) -> None:
    result = run("check", cwd=initialised, env={"SOCIALDESK_NOW": "next tuesday"})
    assert result.returncode == 1 and len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("error: SOCIALDESK_NOW: ") and "2026-12-24T10:00:00+00:00" in result.stderr


def test_check_fails_with_the_key_and_line_and_no_traceback(tmp_path: Path) -> None:
    (tmp_path / "business.yaml").write_text('business:\n  name: Cafe\nhours:\n  mon: "8-18"\n', encoding="utf-8")
    result = run("check", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip() == 'error: business.yaml:4: hours.mon: "8-18" is not HH:MM-HH:MM (or "closed")'


def test_check_reports_an_intent_whose_template_is_missing(initialised: Path) -> None:
    (initialised / "templates" / "wifi.j2").unlink()
    result = run("check", cwd=initialised)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "template 'wifi' not found" in result.stderr


def test_an_unreachable_database_is_one_line(initialised: Path) -> None:
    env = {"DATABASE_URL": "postgresql+asyncpg://nobody@127.0.0.1:1/none"}
    result = run("db", "upgrade", cwd=initialised, env=env)
    assert result.returncode == 1
    assert result.stderr.startswith("error: cannot migrate the database at postgresql+asyncpg://nobody@127.0.0.1:1/none")
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_a_nonsense_database_url_is_explained(initialised: Path) -> None:
    result = run("chat", cwd=initialised, stdin="hi\n", env={"DATABASE_URL": "not a url"})
    assert result.returncode == 1
    assert "is not a database URL" in result.stderr and "Traceback" not in result.stderr


def test_run_says_how_to_turn_each_channel_on_and_stops_cleanly(initialised: Path) -> None:
    environment = clean_environment()
    process = subprocess.Popen([SOCIALDESK, "run"], cwd=initialised, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=environment)
    assert process.stdout is not None
    lines = [process.stdout.readline() for _ in range(10)]
    process.send_signal(signal.SIGTERM)
    _, errors = process.communicate(timeout=30)
    assert process.returncode == 0, errors
    assert lines[0] == "socialdesk for Corner Bean Café; channels:\n"
    assert "telegram  off: set TELEGRAM_BOT_TOKEN in .env" in lines[1]
    assert "email     off: set EMAIL_ADDRESS, EMAIL_PASSWORD, EMAIL_IMAP_HOST and EMAIL_SMTP_HOST" in lines[4]
    assert "whatsapp  off: set WHATSAPP_TOKEN" in lines[5] and "messenger off: set MESSENGER_PAGE_TOKEN" in lines[6]
    assert "webchat   on in `socialdesk serve` at /webchat" in lines[8]
    assert "console   off: no terminal" in lines[9]
