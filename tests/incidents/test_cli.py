"""`collectguard incidents …` end to end on a fresh database: a major risk reported, its countdown listed, a report
to the SRO missing a part refused (exit 1), the complete report accepted, the written report written as PDF and
DOCX, and the calendar agreeing."""

from __future__ import annotations

import io
import json

import pytest
from typer.testing import CliRunner

from collectguard.cli import app as cli

run = CliRunner().invoke


@pytest.fixture
def db(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'incidents.db'}"
    out = run(cli, ["init", "--institution", "bank", "--name", "示例消费金融公司", "--db", url])
    assert out.exit_code == 0, out.output
    return url


def test_a_major_risk_end_to_end(db, tmp_path):
    out = run(cli, ["incidents", "report", "--institution", "bank", "--id", "mr1", "--kind", "major_risk",
                    "--category", "anti_collection", "--discovered-at", "2026-12-03T08:30:00+08:00",
                    "--at", "2026-12-03T09:00:00+08:00", "--json", "--db", db])
    assert out.exit_code == 0, out.output
    made = json.loads(out.output)["deadline"]
    assert made["obligation"] == "art24-major-risk-48h" and made["due_at"].startswith("2026-12-05T00:30:00")
    shown = run(cli, ["incidents", "show", "mr1", "--at", "2026-12-03T09:00:00+08:00", "--db", db])
    assert shown.exit_code == 0 and "待履行" in shown.output and "mr1" in shown.output
    listed = run(cli, ["incidents", "list", "--institution", "bank", "--at", "2026-12-04T20:00:00+08:00", "--json",
                       "--db", db])
    assert listed.exit_code == 0, listed.output
    assert json.loads(listed.output)[0]["deadline"]["remaining_seconds"] == 12 * 3600 + 30 * 60
    refused = run(cli, ["incidents", "notify", "mr1", "--to", "sro", "--cause", "批量代理投诉", "--state", "已识别",
                        "--measures", "报案", "--at", "2026-12-04T21:00:00+08:00", "--db", db])
    assert refused.exit_code == 1 and "art24-major-risk-48h" in refused.output and "可能影响" in refused.output
    report = tmp_path / "report.yaml"
    report.write_text("cause: 批量代理投诉\nstate: 已识别四十余件\nimpact: 干扰投诉处理\nmeasures: 向公安机关报案\n",
                      encoding="utf-8")
    late = run(cli, ["incidents", "notify", "mr1", "--to", "sro", "--report", str(report),
                     "--at", "2026-12-05T10:30:00+08:00", "--db", db])
    assert late.exit_code == 0, late.output
    assert "LATE by 2.0 h" in late.output
    overdue_before = run(cli, ["incidents", "list", "--institution", "bank", "--at", "2026-12-05T09:00:00+08:00",
                               "--db", db])
    assert overdue_before.exit_code == 1 and "已逾期" in overdue_before.output
    shown = run(cli, ["incidents", "show", "mr1", "--json", "--at", "2026-12-06T09:00:00+08:00", "--db", db])
    assert json.loads(shown.output)["deadline"]["late_seconds"] == 7200
    calendar = run(cli, ["obligations", "--institution", "bank", "--at", "2026-12-05T12:00:00+08:00", "--json",
                         "--db", db])
    items = {i["key"]: i["status"] for i in json.loads(calendar.output)["items"]}
    assert items["art24-major-risk-48h:mr1"] == "met"
    for fmt in ("pdf", "docx"):
        target = tmp_path / f"mr1.{fmt}"
        written = run(cli, ["incidents", "report-file", "mr1", "--format", fmt, "--out", str(target), "--db", db])
        assert written.exit_code == 0, written.output
        assert target.stat().st_size > 1000
    pypdf = pytest.importorskip("pypdf")
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO((tmp_path / "mr1.pdf").read_bytes())).pages)
    assert "向公安机关报案" in text and "四、应对措施" in text


def test_bad_input_exits_2(db):
    for args in (["incidents", "report", "--institution", "bank", "--kind", "meteor", "--discovered-at",
                  "2026-12-03T08:30:00+08:00"],
                 ["incidents", "report", "--institution", "bank", "--kind", "pi_breach", "--discovered-at",
                  "2026-12-03T08:30:00"],
                 ["incidents", "show", "nope"],
                 ["incidents", "report-file", "nope", "--format", "odt"]):
        out = run(cli, [*args, "--db", db])
        assert out.exit_code == 2, (args, out.output)
