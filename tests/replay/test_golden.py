"""Every tests/replay/golden/<name>/{world.yaml,map.yaml,log.csv,expected.json}: the replay's summary has the
expected values for every key expected.json names (plus `violation_lines` and `error_lines`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from collectguard.replay.mapping import load_map
from collectguard.replay.parallel import replay_logs
from collectguard.replay.world import load_world

GOLDEN = Path(__file__).parent / "golden"
CASES = sorted(p.name for p in GOLDEN.iterdir() if (p / "expected.json").is_file())


def test_enough_golden_logs() -> None:
    assert len(CASES) >= 20


@pytest.mark.parametrize("name", CASES)
def test_golden(name: str) -> None:
    d = GOLDEN / name
    expected = json.loads((d / "expected.json").read_text(encoding="utf-8"))
    mapping = load_map(d / "map.yaml")
    result = replay_logs(load_world(d / "world.yaml"), [d / "log.csv"], mapping, workers=1, progress=False)
    summary = result.summary()
    got = {k: summary[k] for k in expected if k in summary}
    if "violation_lines" in expected:
        got["violation_lines"] = [v["line"] for v in summary["violations"]]
    if "error_lines" in expected:
        got["error_lines"] = [line for _, line, _ in result.errors]
    assert got == expected
