"""`socialdesk eval replies`: real messages through the real bot, scored the way the owner cares about."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli.evaluate import eval_app
from tests.fixtures.cafe import FIXTURES
from tests.test_cli import PROCESS_NOW

runner = CliRunner()
SMALL = FIXTURES / "replies_small.csv"


@pytest.fixture
def in_cafe(profile_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # The command uses the profile in the current folder, as the owner runs it, on the suite's own day.
    monkeypatch.chdir(profile_dir)
    monkeypatch.setenv("SOCIALDESK_NOW", PROCESS_NOW.isoformat())
    return profile_dir


def test_each_message_is_judged_against_what_the_owner_expects(in_cafe: Path) -> None:
    result = runner.invoke(eval_app, ["replies", str(SMALL), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["messages"] == 8
    by_text = {r["text"]: r for r in report["results"]}
    assert set(by_text["what time do you open on saturday?"]) >= {"text", "expected", "action", "intent",
                                                                   "confidence", "reply"}
    saturday = by_text["what time do you open on saturday?"]
    assert (saturday["action"], saturday["intent"], saturday["verdict"]) == ("auto", "hours", "right")
    assert "Saturday" in saturday["reply"]
    refund = by_text["I want a refund"]
    assert refund["action"] == "escalate" and refund["verdict"] == "right"
    assert by_text["buy cheap followers click here"]["action"] == "silent"
    # The last two rows expect the wrong thing on purpose: a greeting filed as hours is a wrong automatic
    # answer, and so is an hours question the owner wanted to see first.
    assert by_text["hello"]["verdict"] == "wrong"
    assert by_text["what are your opening hours"]["verdict"] == "wrong"
    assert report["answered_wrong"] == 25.0
    assert report["answered_right"] == 75.0
    assert report["held"] == 0.0


def test_the_table_lists_every_mistake(in_cafe: Path) -> None:
    result = runner.invoke(eval_app, ["replies", str(SMALL)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "answered WRONG (automatic and wrong)" in result.stdout
    assert "2 mistakes" in result.stdout
    assert "what are your opening hours" in result.stdout and "what time do you open on saturday" not in result.stdout


def test_a_held_routine_question_counts_as_held_needlessly(in_cafe: Path, tmp_path: Path) -> None:
    cases = tmp_path / "cases.csv"
    cases.write_text("text,expected\nI want a refund for my cake,menu\n", encoding="utf-8")
    report = json.loads(runner.invoke(eval_app, ["replies", str(cases), "--json"]).stdout)
    assert report["held"] == 100.0 and report["results"][0]["verdict"] == "held"


def test_an_expected_name_the_profile_lacks_is_warned_about(in_cafe: Path, tmp_path: Path) -> None:
    cases = tmp_path / "cases.csv"
    cases.write_text("text,expected\nwhat time do you open,hoursz\n", encoding="utf-8")
    result = runner.invoke(eval_app, ["replies", str(cases), "--json"])
    assert result.exit_code == 0
    assert "no intent of the profile is called hoursz" in result.stderr


def test_a_file_without_the_columns_is_refused(in_cafe: Path, tmp_path: Path) -> None:
    cases = tmp_path / "cases.csv"
    cases.write_text("message,label\nhi,greeting\n", encoding="utf-8")
    result = runner.invoke(eval_app, ["replies", str(cases)])
    assert result.exit_code == 1
    assert "needs the columns text,expected" in result.stderr
