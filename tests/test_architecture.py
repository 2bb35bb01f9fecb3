"""The rulebook stays a pure library: no database, web framework or wall-clock reads."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

RULEBOOK = Path(__file__).resolve().parents[1] / "src" / "collectguard" / "rulebook"
CLOCK = re.compile(r"\b(datetime|date)\.(now|today|utcnow)\(|\btime\.(time|monotonic|perf_counter)\(|^\s*import time\b")


def test_import_contract_holds():
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or "lint-imports"
    result = subprocess.run([exe], capture_output=True, text=True, cwd=RULEBOOK.parents[2])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "KEPT" in result.stdout


def test_rules_never_read_the_clock():
    offenders = [
        f"{path.relative_to(RULEBOOK)}:{n}: {line.strip()}"
        for path in RULEBOOK.rglob("*.py")
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if CLOCK.search(line)
    ]
    assert not offenders, offenders
