"""`collectguard qa scan / eval / transcribe` through the real Typer app."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from collectguard.cli import app

runner = CliRunner()

GOOD = {
    "id": "cli-1", "audience": "debtor", "labels": ["insult"],
    "turns": [
        {"speaker": "agent", "start": 0.0, "end": 6.0,
         "text": "您好，这里是长风消费金融，本次通话全程录音，请问是刘先生本人吗？"},
        {"speaker": "debtor", "start": 6.5, "end": 7.0, "text": "是我。"},
        {"speaker": "agent", "start": 7.5, "end": 9.0, "text": "你这个废物，钱都还不上。"},
    ],
}
CLEAN = {**GOOD, "id": "cli-2", "labels": [], "turns": GOOD["turns"][:2]}


def write(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "calls.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_scan_json_prints_one_object_per_call_in_order(tmp_path: Path) -> None:
    path = write(tmp_path, [json.dumps(GOOD, ensure_ascii=False), json.dumps(CLEAN, ensure_ascii=False)])
    result = runner.invoke(app, ["qa", "scan", str(path), "--json"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["id"] for r in rows] == ["cli-1", "cli-2"]
    assert rows[1]["findings"] == []
    finding = rows[0]["findings"][0]
    assert set(finding) == {"category", "rule", "turn", "start", "end", "evidence", "severity"}
    assert finding == {"category": "insult", "rule": "art16-etiquette", "turn": 2, "start": 7.5, "end": 9.0,
                       "evidence": "废物", "severity": "major"}


def test_bad_lines_are_reported_with_line_numbers_and_exit_non_zero(tmp_path: Path) -> None:
    bad_type = {**CLEAN, "id": "cli-3", "audience": "neighbour"}
    missing = {k: v for k, v in CLEAN.items() if k != "turns"}
    lines = [json.dumps(GOOD, ensure_ascii=False), "{not json", json.dumps(bad_type), json.dumps(missing),
             json.dumps(CLEAN, ensure_ascii=False)]
    path = write(tmp_path, lines)
    result = runner.invoke(app, ["qa", "scan", str(path), "--json"])
    assert result.exit_code == 1
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["id"] for r in rows] == ["cli-1", "cli-2"]  # bad lines skipped, good ones kept in order
    err = result.stderr
    assert f"{path}:2:" in err and "JSON" in err
    assert f"{path}:3:" in err and "audience" in err
    assert f"{path}:4:" in err and "turns" in err


def test_wrong_types_inside_turns_are_invalid(tmp_path: Path) -> None:
    bad = {**CLEAN, "turns": [{"speaker": "agent", "text": 42}]}
    result = runner.invoke(app, ["qa", "scan", str(write(tmp_path, [json.dumps(bad)])), "--json"])
    assert result.exit_code == 1
    assert ":1:" in result.stderr and "turns.0.text" in result.stderr


def test_scan_table_is_bilingual(tmp_path: Path) -> None:
    path = write(tmp_path, [json.dumps(GOOD, ensure_ascii=False)])
    result = runner.invoke(app, ["qa", "scan", str(path)])
    assert result.exit_code == 0
    assert "侮辱谩骂" in result.stdout and "insult" in result.stdout and "废物" in result.stdout


def test_eval_prints_per_category_table_and_overall(tmp_path: Path) -> None:
    path = write(tmp_path, [json.dumps(GOOD, ensure_ascii=False), json.dumps(CLEAN, ensure_ascii=False)])
    result = runner.invoke(app, ["qa", "eval", str(path)])
    assert result.exit_code == 0, result.output
    out = result.stdout
    for word in ("TP", "FP", "FN", "Precision", "Recall", "FPR", "insult", "extra-fee"):
        assert word in out
    assert "Overall" in out and "precision 1.000" in out and "recall" in out and "false-positive rate 0.000" in out


def test_transcribe_without_model_explains_how_to_configure(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("COLLECTGUARD_ASR_MODEL_DIR", raising=False)
    result = runner.invoke(app, ["qa", "transcribe", str(tmp_path / "a.wav")])
    assert result.exit_code != 0
    assert "未配置语音识别模型" in result.stderr and "COLLECTGUARD_ASR_MODEL_DIR" in result.stderr
    assert "--model-dir" in result.stderr
