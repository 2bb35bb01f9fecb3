"""`collectguard qa scan --record` and `qa stats` on a real (SQLite) ledger with real gate attempts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from collectguard.cli import app
from collectguard.db.migrate import upgrade
from collectguard.db.store import Store
from collectguard.gate.schemas import AttemptIn
from collectguard.gate.service import Gate
from collectguard.ledger.models import LedgerRecord
from collectguard.ledger.service import verify
from tests.factories import at, build

runner = CliRunner()

OPENING = "您好，这里是示例银行，本次通话全程录音，请问是张先生本人吗？"


def attempt(ident: str, **kw: object) -> AttemptIn:
    data: dict[str, object] = {"id": ident, "collector": "bot1", "debt": "loan1", "party": "d1", "channel": "voice",
                               "mode": "notification", "tool": "tel", "template": "t-voice"}
    data.update(kw)
    return AttemptIn.model_validate(data)


def human(ident: str) -> AttemptIn:
    """An interactive, recorded call by the agency's human collector c1."""
    return attempt(ident, collector="c1", mode="interactive", template=None, recording=True)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'qa.db'}"
    upgrade(url)
    store = Store(url)
    build(store)
    gate = Gate(store)
    gate.decide(attempt("a1"), at("2026-05-20 09:00"))
    gate.decide(human("a2"), at("2026-05-20 10:00"))
    gate.decide(human("a3"), at("2026-05-21 10:00"))
    gate.decide(human("a4"), at("2026-05-21 11:00"))
    store.dispose()
    yield url


def transcript(ident: str, *agent_lines: str, attempt_id: str | None = None) -> str:
    turns = [{"speaker": "agent", "start": 0.0, "end": 5.0, "text": OPENING},
             {"speaker": "debtor", "start": 5.5, "end": 6.0, "text": "是我。"}]
    t = 6.5
    for text in agent_lines:
        turns.append({"speaker": "agent", "start": t, "end": t + 3.0, "text": text})
        t += 3.5
    row: dict[str, object] = {"id": ident, "audience": "debtor", "turns": turns}
    if attempt_id is not None:
        row["attempt_id"] = attempt_id
    return json.dumps(row, ensure_ascii=False)


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def stats(db: str, *extra: str) -> list[dict[str, object]]:
    result = runner.invoke(app, ["qa", "stats", "--by", "collector", "--db", db, "--json", *extra])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def ledger_kinds(db: str) -> dict[str, int]:
    store = Store(db)
    try:
        with store.transaction() as session:
            assert verify(session).ok
            rows = session.execute(select(LedgerRecord.kind, func.count()).group_by(LedgerRecord.kind)).all()
            return {kind: n for kind, n in rows}
    finally:
        store.dispose()


def test_record_attaches_findings_to_attempts_and_counts_per_collector_and_day(db: str, tmp_path: Path) -> None:
    path = write(tmp_path / "calls.jsonl", [
        transcript("call-1", "好的，请您按时在官方App还款，再见。", attempt_id="a1"),
        transcript("call-2", "你就是个废物，再不还我们就派人到你家门口等你。", attempt_id="a2"),
        transcript("call-3", "好的，我这边记录一下您的还款时间。", attempt_id="a3"),
        transcript("call-4", "你这种老赖真不要脸。"),  # no attempt_id: scanned, not recorded
    ])
    result = runner.invoke(app, ["qa", "scan", str(path), "--json", "--record", "--db", db])
    assert result.exit_code == 0, result.output
    scanned = {row["id"]: row["findings"] for row in map(json.loads, result.stdout.splitlines())}
    assert list(scanned) == ["call-1", "call-2", "call-3", "call-4"]
    assert scanned["call-1"] == [] and scanned["call-3"] == []
    assert {f["category"] for f in scanned["call-2"]} == {"insult", "threat"}
    assert f"{path}:4:" in result.stderr and "call-4" in result.stderr and "not recorded" in result.stderr

    violations = len(scanned["call-2"])  # every finding counts
    assert stats(db) == [
        {"collector": "bot1", "day": "2026-05-20", "calls": 1, "violations": 0},
        {"collector": "c1", "day": "2026-05-20", "calls": 1, "violations": violations},
        {"collector": "c1", "day": "2026-05-21", "calls": 1, "violations": 0},
    ]
    assert stats(db, "--institution", "elsewhere") == []
    by_agency = runner.invoke(app, ["qa", "stats", "--by", "agency", "--db", db, "--json"])
    assert by_agency.exit_code == 0, by_agency.output
    assert {(r["agency"], r["day"], r["violations"]) for r in json.loads(by_agency.stdout)} == {
        ("bank", "2026-05-20", 0), ("agA", "2026-05-20", violations), ("agA", "2026-05-21", 0)}
    table = runner.invoke(app, ["qa", "stats", "--by", "collector", "--db", db])
    assert table.exit_code == 0 and "c1" in table.stdout and "2026-05-21" in table.stdout

    kinds = ledger_kinds(db)
    assert kinds["qa:call:inspected"] == 3


def test_unknown_attempt_and_re_record_are_reported_and_the_others_still_recorded(db: str, tmp_path: Path) -> None:
    first = write(tmp_path / "first.jsonl", [transcript("call-2", "你就是个废物。", attempt_id="a2")])
    done = runner.invoke(app, ["qa", "scan", str(first), "--record", "--db", db])
    assert done.exit_code == 0, done.output
    assert "recorded 1" in done.stderr

    second = write(tmp_path / "second.jsonl", [
        transcript("call-9", "好的，再见。", attempt_id="no-such-attempt"),
        transcript("call-2", "你就是个废物。", attempt_id="a2"),  # recorded already: a conflict
        transcript("call-4", "你这种老赖。", attempt_id="a4"),
    ])
    result = runner.invoke(app, ["qa", "scan", str(second), "--record", "--db", db])
    assert result.exit_code == 1, result.output
    errors = result.stderr.splitlines()
    assert any(line.startswith(f"{second}:1:") and "no-such-attempt" in line for line in errors), result.stderr
    assert any(line.startswith(f"{second}:2:") and "already recorded" in line for line in errors), result.stderr
    assert not any(line.startswith(f"{second}:3:") for line in errors), result.stderr

    assert stats(db) == [
        {"collector": "c1", "day": "2026-05-20", "calls": 1, "violations": 1},
        {"collector": "c1", "day": "2026-05-21", "calls": 1, "violations": 1},
    ]
    assert ledger_kinds(db)["qa:call:inspected"] == 2


def test_call_model_accepts_an_optional_attempt_id() -> None:
    from collectguard.qa.models import Call

    call = Call.model_validate_json(transcript("x", attempt_id="a9"))
    assert call.attempt_id == "a9"
    assert Call.model_validate_json(transcript("y")).attempt_id is None
