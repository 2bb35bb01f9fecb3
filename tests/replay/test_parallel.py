"""Replay across processes gives exactly the verdicts of one process; the synthetic data is deterministic."""

from __future__ import annotations

import csv
from pathlib import Path
from types import SimpleNamespace

import pytest

from collectguard.replay import parallel, synthetic
from collectguard.replay.judge import judge
from collectguard.replay.logs import parse_rows
from collectguard.replay.mapping import parse_map
from collectguard.replay.world import load_world


@pytest.fixture(scope="module")
def replay_input(tmp_path_factory: pytest.TempPathFactory):
    directory = tmp_path_factory.mktemp("synthetic")
    world_path, _, log = synthetic.write(directory, n_calls=3_000, n_debtors=150, days=5, seed=3)
    world = load_world(world_path)
    errors: list[tuple[str, int, str]] = []
    with open(log, encoding="utf-8", newline="") as fh:
        calls = list(parse_rows(csv.reader(fh), parse_map(synthetic.MAP), str(log), errors=errors))
    assert errors == [] and len(calls) == 3_000
    return world, calls


def _flat(verdicts):
    return [
        (v.call.line, v.judged, v.unmatched_reason, tuple(v.rules), v.agency, v.collector, v.debtor_id,
         v.debt_id, v.local_day, v.local_hour)
        for v in verdicts
    ]


def test_parallel_equals_one_process(replay_input) -> None:
    world, calls = replay_input
    ordered = sorted(calls, key=lambda c: (c.start, c.order))
    alone = {id(v.call): v for v in judge(world, ordered)}
    expected = _flat(alone[id(c)] for c in calls)
    two = parallel.run(world, calls, workers=2, progress=False)
    one = parallel.run(world, calls, workers=1, progress=False)
    assert _flat(two.verdicts) == expected
    assert _flat(one.verdicts) == expected
    assert [v.call for v in two.verdicts] == calls  # the input order, the same call objects
    summary = two.summary()
    assert summary == one.summary()
    # the log breaks rules on purpose and has numbers that match nothing
    assert summary["denied"] > 0 and summary["unmatched"] > 0
    assert {"art9-quiet-hours", "art17-agency-listed"} <= set(summary["by_rule"])
    assert "unknown-party-number" in summary["unmatched_reasons"]


def test_progress_leaves_non_tty_output_alone(replay_input, capsys: pytest.CaptureFixture[str]) -> None:
    world, calls = replay_input
    done: list[int] = []
    result = parallel.run(world, calls[:500], workers=2, on_done=done.append)  # auto: stderr is no terminal
    out, err = capsys.readouterr()
    assert out == "" and err == ""
    assert sum(done) == 500 and len(result.verdicts) == 500
    forced = parallel.run(world, calls[:500], workers=1, progress=True)  # a bar on a non-terminal: no crash
    assert _flat(forced.verdicts) == _flat(result.verdicts)
    capsys.readouterr()


def test_errors_pass_through(replay_input) -> None:
    world, calls = replay_input
    result = parallel.run(world, calls[:10], workers=2, progress=False, errors=[("x.csv", 3, "bad time")])
    assert result.errors == [("x.csv", 3, "bad time")]


def test_partition_keys_join_guarantors_and_contacts() -> None:
    world = SimpleNamespace(
        rows=SimpleNamespace(debts={"L1": SimpleNamespace(debtor_id="d2")}, guarantors={"L1": ["d9"]}),
        party_kind={"d2": (None, "d2", None), "d9": (None, "d9", None), "k1": (None, "d9", object()),
                    "d5": (None, "d5", None)},
        parties_by_number={"100": ["d2"], "109": ["d9"], "201": ["k1"], "105": ["d5"]},
    )
    keys = parallel.partition_keys(world)
    assert keys["100"] == keys["109"] == keys["201"] == "d2"
    assert keys["105"] == "d5"


def test_synthetic_is_deterministic(tmp_path: Path) -> None:
    a = "".join(synthetic.rows(synthetic.world(50, seed=9), 400, days=3, seed=9))
    b = "".join(synthetic.rows(synthetic.world(50, seed=9), 400, days=3, seed=9))
    assert a == b and a.count("\n") == 400
    assert synthetic.world_yaml(synthetic.world(50, seed=9)) == synthetic.world_yaml(synthetic.world(50, seed=9))
    w, m, log = synthetic.write(tmp_path, n_calls=100, n_debtors=20, days=2)
    assert w.exists() and m.exists() and len(log.read_text(encoding="utf-8").splitlines()) == 100


def test_read_logs_streams_the_same_calls(tmp_path: Path) -> None:
    _, _, log = synthetic.write(tmp_path, n_calls=300, n_debtors=20, days=2, seed=5)
    second = tmp_path / "second.csv"
    second.write_text(log.read_text(encoding="utf-8").splitlines(keepends=True)[0] + "bad,row\n", encoding="utf-8")
    mapping = parse_map(synthetic.MAP)
    plain_errors: list[tuple[str, int, str]] = []
    with open(log, encoding="utf-8", newline="") as fh:
        plain = list(parse_rows(csv.reader(fh), mapping, str(log), errors=plain_errors))
    errors: list[tuple[str, int, str]] = []
    got = parallel.read_logs([log, second], mapping, errors)
    assert got[:300] == plain and plain_errors == []
    assert len(got) == 301 and got[300].order > got[299].order and got[300].file == str(second)
    assert [(e[0], e[1]) for e in errors] == [(str(second), 2)]
    assert len({id(c.extra) for c in got}) < len(got)  # shared extras
    barred = parallel.read_logs([log], mapping, [], progress=True)  # a bar on a non-terminal: same calls
    assert barred == plain
