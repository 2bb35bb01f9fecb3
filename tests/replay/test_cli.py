"""`collectguard replay` end to end: --db, --workers, --report, the text summary, map errors, numbers."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from collectguard.replay.cli import app
from collectguard.replay.world import normalise_number

EXAMPLE = Path(__file__).parent / "golden" / "shared-example"
ARGS = ["--world", str(EXAMPLE / "world.yaml"), "--map", str(EXAMPLE / "map.yaml"), str(EXAMPLE / "log.csv")]


def run(*args: str) -> dict:  # type: ignore[type-arg]
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


@pytest.mark.parametrize(("raw", "want"), [
    ("+86 138 0000 0001", "13800000001"), ("86-138-0000-0001", "13800000001"), ("0086 13800000001", "13800000001"),
    ("138-0000-0001", "13800000001"), ("021-5000-1111", "02150001111"), ("4008001000", "4008001000"), ("", ""),
])
def test_normalise_number(raw: str, want: str) -> None:
    assert normalise_number(raw) == want


def test_two_workers_give_the_same_summary() -> None:
    assert run(*ARGS, "--workers", "2") == run(*ARGS)


def test_text_summary() -> None:
    result = CliRunner().invoke(app, ARGS)
    assert result.exit_code == 0, result.output
    assert "denied: 29" in result.stdout and "art17-agency-listed: 15" in result.stdout


def test_db_world_matches_numbers_through_the_keyed_hash(tmp_path: Path) -> None:
    from collectguard.replay.world import _read_world_yaml
    from collectguard.scenario.runner import FreshStores, _setup
    from collectguard.scenario.schema import Scenario

    setup, tz, _, numbers = _read_world_yaml(EXAMPLE / "world.yaml")
    stores = FreshStores(None)
    try:
        with stores.fresh() as store:
            _setup(store, Scenario.model_validate({"scenario": "db", "timezone": tz, "setup": setup, "steps": []}),
                   "sm3")
            url = str(store.engine.url)
            mp = tmp_path / "map.yaml"
            mp.write_text((EXAMPLE / "map.yaml").read_text(encoding="utf-8")
                          + "tool_numbers:\n" + "".join(f"  '{n}': {t}\n" for n, t in numbers.items()),
                          encoding="utf-8")
            got = run("--db", url, "--map", str(mp), str(EXAMPLE / "log.csv"))
    finally:
        stores.close()
    want = run(*ARGS)
    assert (got["calls"], got["judged"], got["unmatched"]) == (want["calls"], want["judged"], want["unmatched"])
    # the database stamps a settled debt with the time it was loaded (after the log): no art. 11 there
    want_rules = {k: v for k, v in want["by_rule"].items() if k != "art11-stop-after-repayment"}
    assert got["by_rule"] == want_rules


@pytest.mark.skipif(importlib.util.find_spec("collectguard.replay.report") is None, reason="no HTML report yet")
def test_report_is_written_without_party_numbers(tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    result = CliRunner().invoke(app, [*ARGS, "--report", str(out)])
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert "<html" in html.lower()
    assert not re.search(r"1007000\d{4}", html)


def test_csv_log_without_the_maps_columns_names_the_file(tmp_path: Path) -> None:
    mp = tmp_path / "map.yaml"
    mp.write_text("format: csv\ncollector: agent\ntool: caller\nparty: callee\nstart: at\n"
                  "connected: {column: result, equals: ok}\nduration_s: secs\n", encoding="utf-8")
    log = tmp_path / "calls.csv"
    log.write_text("agent,caller,callee,at,result\nh1,1,2,2026-05-18 10:00:00,ok\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["--world", str(EXAMPLE / "world.yaml"), "--map", str(mp), str(log)])
    assert result.exit_code == 2
    assert str(log) in result.output and "secs" in result.output


def test_unknown_map_key_and_bad_zone_are_named(tmp_path: Path) -> None:
    mp = tmp_path / "map.yaml"
    mp.write_text("format: asterisk-cdr\ntimezone: Mars/Olympus\ncolour: red\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["--world", str(EXAMPLE / "world.yaml"), "--map", str(mp),
                                      str(EXAMPLE / "log.csv")])
    assert result.exit_code == 2
    assert "colour" in result.output and "Mars/Olympus" in result.output and str(mp) in result.output


def test_several_logs_keep_file_order_across_files(tmp_path: Path) -> None:
    """Two files, the first ending in a malformed row: every call keeps a distinct order, the file's own lines."""
    lines = (EXAMPLE / "log.csv").read_text(encoding="utf-8").splitlines()
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_text("\n".join([*lines[:30], '"x","y"']) + "\n", encoding="utf-8")
    second.write_text("\n".join(lines[30:]) + "\n", encoding="utf-8")
    got = run("--world", str(EXAMPLE / "world.yaml"), "--map", str(EXAMPLE / "map.yaml"), str(first), str(second))
    want = run(*ARGS)
    assert {k: got[k] for k in ("calls", "judged", "unmatched", "denied", "by_rule")} == \
        {k: want[k] for k in ("calls", "judged", "unmatched", "denied", "by_rule")}
    from collectguard.replay.mapping import load_map
    from collectguard.replay.parallel import read_logs

    errors: list[tuple[str, int, str]] = []
    calls = read_logs([first, second], load_map(EXAMPLE / "map.yaml"), errors, progress=False)
    assert errors == [(str(first), 31, errors[0][2])]
    assert len({c.order for c in calls}) == len(calls) == 60


def test_progress_forced_on_a_non_terminal_still_prints_the_same_summary() -> None:
    """--progress shows a spinner while the world loads and a bar while judging (on stderr); --json's object
    on stdout is the same."""
    result = CliRunner().invoke(app, [*ARGS, "--progress", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == run(*ARGS)
