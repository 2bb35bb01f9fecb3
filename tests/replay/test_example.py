"""The shared example of shared/replay/: `collectguard replay ... --json` gives expected.json's keys exactly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from collectguard.replay.cli import app

EXAMPLES = Path(__file__).resolve().parents[3] / "shared" / "replay" / "examples"

pytestmark = pytest.mark.skipif(not (EXAMPLES / "world.yaml").is_file(), reason="shared/replay/examples absent")


def test_example_summary_matches_expected() -> None:
    result = CliRunner().invoke(app, ["--world", str(EXAMPLES / "world.yaml"), "--map", str(EXAMPLES / "map.yaml"),
                                      str(EXAMPLES / "Master.csv"), "--json"])
    assert result.exit_code == 0, result.output
    got = json.loads(result.stdout)
    expected = json.loads((EXAMPLES / "expected.json").read_text(encoding="utf-8"))
    assert {k: got[k] for k in expected} == expected
    assert set(got) == {"calls", "judged", "unmatched", "denied", "by_rule", "by_agency", "by_collector", "by_day",
                        "unmatched_reasons", "violations"}
    assert got["by_agency"]["in-house"]["judged"] > 0
    assert sum(v["judged"] for v in got["by_day"].values()) == got["judged"]
    assert len(got["violations"]) == got["denied"]


def test_both_world_and_db_refused() -> None:
    result = CliRunner().invoke(app, ["--map", str(EXAMPLES / "map.yaml"), str(EXAMPLES / "Master.csv")])
    assert result.exit_code == 2


def test_bad_map_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "map.yaml"
    bad.write_text("format: asterisk-cdr\ncollector: nosuchcolumn\nwhatever: 1\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["--world", str(EXAMPLES / "world.yaml"), "--map", str(bad),
                                      str(EXAMPLES / "Master.csv")])
    assert result.exit_code == 2
    assert str(bad) in result.output and "whatever" in result.output
