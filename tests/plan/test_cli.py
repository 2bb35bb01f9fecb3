"""`plan` end to end: the worklist CSV in, the dialer's CSV and the summary out."""

from __future__ import annotations

import csv
import json
from datetime import datetime
from pathlib import Path

from typer.testing import CliRunner

from collectguard.db.store import Store
from collectguard.plan.cli import app
from tests.factories import build


def _built(tmp_path: Path, sqlite_template: Path) -> Path:
    """A database file with the factories' world: agency agA (collector c1) holds loan1 of debtor d1."""
    db = tmp_path / "cg.db"
    db.write_bytes(sqlite_template.read_bytes())
    store = Store(f"sqlite:///{db}")
    build(store)
    store.dispose()
    return db


def test_plan_writes_the_dialers_list(tmp_path: Path, sqlite_template: Path) -> None:
    db = _built(tmp_path, sqlite_template)
    worklist = tmp_path / "work.csv"
    worklist.write_text("debt,priority,channel\nloan1,5,voice\nloan1,3,sms\nghost,1,voice\n", encoding="utf-8")
    out = tmp_path / "dialer.csv"
    res = CliRunner().invoke(app, [str(worklist), "--date", "2026-05-20", "--db", f"sqlite:///{db}",
                                   "--out", str(out), "--json"])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.output)
    assert (summary["planned"], summary["not_plannable"], summary["priority_reached"]) == (2, 1, 8)
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [r["channel"] for r in rows] == ["voice", "sms"]
    assert all(datetime.fromisoformat(r["start"]).utcoffset() is not None for r in rows)


def test_a_bad_worklist_row_names_its_line(tmp_path: Path, sqlite_template: Path) -> None:
    db = tmp_path / "cg.db"
    db.write_bytes(sqlite_template.read_bytes())
    worklist = tmp_path / "work.csv"
    worklist.write_text("debt,priority,channel\nloan1,5,voice\nloan1,x,voice\n", encoding="utf-8")
    res = CliRunner().invoke(app, [str(worklist), "--date", "2026-05-20", "--db", f"sqlite:///{db}"])
    assert res.exit_code == 2
    assert "line 3" in res.output


def test_a_collectors_own_shift_bounds_its_slots(tmp_path: Path, sqlite_template: Path) -> None:
    """The agency's collector c1 works 14:00–15:00 at 2 calls an hour: three voice contacts of one debtor fit in
    its two slots only (14:00 and 14:30), and the third cannot be planned that day."""
    db = _built(tmp_path, sqlite_template)
    worklist = tmp_path / "work.csv"
    worklist.write_text("debt,priority,channel\nloan1,5,voice\nloan1,4,voice\nloan1,3,voice\n", encoding="utf-8")
    shifts = tmp_path / "shifts.csv"
    shifts.write_text("collector,from,to,calls_per_hour\nc1,14:00,15:00,2\n", encoding="utf-8")
    out = tmp_path / "dialer.csv"
    res = CliRunner().invoke(app, [str(worklist), "--date", "2026-05-20", "--db", f"sqlite:///{db}", "--out", str(out),
                                   "--shifts", str(shifts), "--json"])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.output)
    assert (summary["planned"], summary["not_plannable"]) == (2, 1)
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [(r["collector"], datetime.fromisoformat(r["start"]).strftime("%H:%M")) for r in rows] == \
        [("c1", "14:00"), ("c1", "14:30")]


def test_a_bad_shift_row_names_its_line(tmp_path: Path, sqlite_template: Path) -> None:
    db = tmp_path / "cg.db"
    db.write_bytes(sqlite_template.read_bytes())
    worklist = tmp_path / "work.csv"
    worklist.write_text("debt,priority,channel\nloan1,5,voice\n", encoding="utf-8")
    shifts = tmp_path / "shifts.csv"
    shifts.write_text("collector,from,to\nc1,09:00,18:00\nc2,18:00,09:00\n", encoding="utf-8")
    res = CliRunner().invoke(app, [str(worklist), "--date", "2026-05-20", "--db", f"sqlite:///{db}",
                                   "--shifts", str(shifts)])
    assert res.exit_code == 2
    assert "shifts line 3" in res.output and "before it starts" in res.output
