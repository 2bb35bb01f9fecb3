"""Replay across processes gives exactly the verdicts of one process; the synthetic data is deterministic."""

from __future__ import annotations

import csv
from pathlib import Path
from types import SimpleNamespace

import pytest

from collectguard.replay import parallel, synthetic
from collectguard.replay.judge import judge
from collectguard.replay.logs import parse_rows
from collectguard.replay.mapping import MapError, parse_map
from collectguard.replay.model import ReplayResult
from collectguard.replay.world import WorldError, load_world, load_world_apart


@pytest.fixture(scope="module")
def replay_input(tmp_path_factory: pytest.TempPathFactory):
    directory = tmp_path_factory.mktemp("synthetic")
    world_path, _, log = synthetic.write(directory, n_calls=3_000, n_debtors=150, days=5, seed=3)
    world = load_world(world_path)
    errors: list[tuple[str, int, str]] = []
    with open(log, encoding="utf-8", newline="") as fh:
        calls = list(parse_rows(csv.reader(fh), parse_map(synthetic.MAP), str(log), errors=errors))
    assert errors == [] and len(calls) == 3_000
    return world, calls, log


def _flat(verdicts):
    return [
        (v.call.line, v.call.uniqueid, v.call.start, v.judged, v.unmatched_reason, tuple(v.rules), v.agency,
         v.collector, v.debtor_id, v.debt_id, v.local_day, v.local_hour)
        for v in verdicts
    ]


def test_workers_give_exactly_what_one_process_gives(replay_input) -> None:
    world, calls, log = replay_input
    alone = ReplayResult.of(judge(world, calls))
    mapping = parse_map(synthetic.MAP)
    two = parallel.replay_logs(world, [log], mapping, workers=2, progress=False)
    three = parallel.replay_logs(world, [log], mapping, workers=3, progress=False)
    one = parallel.replay_logs(world, [log], mapping, workers=1, progress=False)
    for got in (two, three, one):
        assert got.summary() == alone.summary()
        assert _flat(got.denied) == _flat(alone.denied)
        assert got.tally == alone.tally
    summary = two.summary()
    # the log breaks rules on purpose and has numbers that match nothing
    assert summary["calls"] == 3_000 and summary["denied"] > 0 and summary["unmatched"] > 0
    assert {"art9-quiet-hours", "art17-agency-listed"} <= set(summary["by_rule"])
    assert "unknown-party-number" in summary["unmatched_reasons"]
    assert [v.call.line for v in two.denied] == sorted(v.call.line for v in two.denied)  # file order


def test_each_malformed_row_is_reported_once_in_file_order(replay_input, tmp_path: Path) -> None:
    world, _, log = replay_input
    lines = log.read_text(encoding="utf-8").splitlines(keepends=True)[:400]
    lines[10] = "too,few,columns\n"
    lines[20] = lines[20].replace("2026-", "20x6-", 1)  # a bad time, in some worker's own row
    lines[30] = "\n"  # blank: skipped, not an error
    broken = tmp_path / "broken.csv"
    broken.write_text("".join(lines), encoding="utf-8")
    second = tmp_path / "second.csv"
    second.write_text(lines[0] + "bad,row\n", encoding="utf-8")
    mapping = parse_map(synthetic.MAP)
    for workers in (1, 2, 3):
        got = parallel.replay_logs(world, [broken, second, tmp_path / "missing.csv"], mapping, workers=workers,
                                   progress=False)
        assert [(Path(f).name, n) for f, n, _ in got.errors] == [
            ("broken.csv", 11), ("broken.csv", 21), ("second.csv", 2), ("missing.csv", 0)], workers
        assert got.tally.calls == 400 - 3 + 1


def test_a_log_without_the_maps_columns_is_a_map_error(replay_input, tmp_path: Path) -> None:
    world, _, _ = replay_input
    log = tmp_path / "plain.csv"
    log.write_text("who,number\nc1,13800138000\n", encoding="utf-8")
    mapping = parse_map({"format": "csv", "collector": "who", "party": "number", "tool": None,
                         "connected": {"column": "status", "equals": "ok"}, "start": "at", "duration_s": "secs"})
    for workers in (1, 2):
        with pytest.raises(MapError, match="lacks the map's columns"):
            parallel.replay_logs(world, [log], mapping, workers=workers, progress=False)


def test_progress_leaves_non_tty_output_alone(replay_input, capsys: pytest.CaptureFixture[str]) -> None:
    world, _, log = replay_input
    done: list[int] = []
    mapping = parse_map(synthetic.MAP)
    result = parallel.replay_logs(world, [log], mapping, workers=2, on_done=done.append)  # stderr: no terminal
    out, err = capsys.readouterr()
    assert out == "" and err == ""
    assert sum(done) == 3_000 and result.tally.calls == 3_000
    forced = parallel.replay_logs(world, [log], mapping, workers=1, progress=True)  # a bar on a non-terminal
    assert forced.summary() == result.summary()
    capsys.readouterr()


def test_debtor_groups_join_guarantors_and_shared_numbers() -> None:
    world = SimpleNamespace(
        rows=SimpleNamespace(debts={"L1": SimpleNamespace(debtor_id="d2")}, guarantors={"L1": ["d9"]}),
        party_kind={"d2": (None, "d2", None), "d9": (None, "d9", None), "k1": (None, "d9", object()),
                    "d5": (None, "d5", None), "d7": (None, "d7", None), "d8": (None, "d8", None)},
        parties_by_number={"100": ["d2"], "109": ["d9"], "201": ["k1"], "105": ["d5"], "177": ["d8", "d7"]},
    )
    groups = parallel.debtor_groups(world)
    assert groups["d9"] == groups["d2"] == "d2"
    assert groups["d8"] == groups["d7"] == "d7"
    assert "d5" not in groups  # alone: its own group
    buckets = parallel._Buckets(world, 7)
    assert buckets("100") == buckets("109") == buckets("201")  # borrower, guarantor, guarantor's contact


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


def test_a_world_loaded_apart_judges_exactly_as_one_loaded_here(replay_input, tmp_path: Path) -> None:
    """`load_world_apart` loads in a forked child and sends the world back pickled: the same world, the profile
    by reference (the same object), and a replay gives the same verdicts."""
    world, calls, log = replay_input
    apart = load_world_apart(log.parent / "world.yaml")
    assert apart.profile is world.profile
    assert apart.party_kind.keys() == world.party_kind.keys() and apart.tools_by_number == world.tools_by_number
    mapping = parse_map(synthetic.MAP)
    here = parallel.replay_logs(world, [log], mapping, workers=1, progress=False)
    there = parallel.replay_logs(apart, [log], mapping, workers=2, progress=False)
    assert there.summary() == here.summary() and _flat(there.denied) == _flat(here.denied)


def test_a_bad_world_loaded_apart_is_the_same_world_error(replay_input, tmp_path: Path) -> None:
    bad = tmp_path / "world.yaml"
    bad.write_text("setup:\n  institutions: [{id: bank}]\n  debtors: [{id: d1, phone: '13800138000', "
                   "debts: oops}]\n", encoding="utf-8")
    with pytest.raises(WorldError) as here:
        load_world(bad)
    with pytest.raises(WorldError) as there:
        load_world_apart(bad)
    assert str(there.value) == str(here.value) and str(bad) in str(there.value)
    # the parent's template for worlds loaded here survives the child
    load_world(replay_input[2].parent / "world.yaml")


def test_a_world_file_reads_the_same_through_libyaml_as_through_pure_python(replay_input) -> None:
    """world.py parses world files with libyaml's safe loader when PyYAML has it: the same data as the pure-
    Python safe loader, on the synthetic world and on the shared example."""
    import yaml

    from collectguard.replay import world as world_module

    _, _, log = replay_input
    for path in (log.parent / "world.yaml", Path(__file__).parent / "golden" / "shared-example" / "world.yaml"):
        text = path.read_text(encoding="utf-8")
        assert yaml.load(text, Loader=world_module._SAFE_YAML) == yaml.safe_load(text)  # noqa: S506
    assert yaml.__with_libyaml__ and world_module._SAFE_YAML is yaml.CSafeLoader  # the pinned wheel bundles it
