"""`collectguard complaints report` end to end on SQLite and PostgreSQL: the agency's complaint report (art. 22) as
text and JSON, exit 1 while a complaint is overdue, and `--submit` recording its figures in the ledger."""

from __future__ import annotations

import json

from sqlalchemy import select
from typer.testing import CliRunner

from collectguard.cli import app as cli
from collectguard.ledger.models import LedgerRecord
from tests.factories import build, world

run = CliRunner().invoke


def test_the_agency_report_from_the_command_line(store, db_url):  # type: ignore[no-untyped-def]
    build(store, world(staff=[{"id": "s-zhou", "org": "bank", "role": "compliance"}]))
    db = ["--db", db_url]
    for ident, at, extra in (("cp1", "2026-05-20T10:00:00+08:00", ["--agency", "agA"]),
                             ("cp2", "2026-05-21T10:00:00+08:00", ["--collector", "c1"])):
        made = run(cli, ["complaints", "register", "--institution", "bank", "--channel", "phone", "--id", ident,
                         "--at", at, "--name", "张三", *extra, *db])
        assert made.exit_code == 0, made.output
    for args in (["assign", "cp1", "--investigator", "s-zhou", "--at", "2026-05-21T10:05:00+08:00"],
                 ["resolve", "cp1", "--root-cause", "art9-quiet-hours", "--at", "2026-05-25T10:00:00+08:00"]):
        assert run(cli, ["complaints", *args, "--institution", "bank", *db]).exit_code == 0
    period = ["--institution", "bank", "--agency", "agA", "--from", "2026-05-01", "--to", "2026-05-31"]
    early = run(cli, ["complaints", "report", *period, "--at", "2026-05-26T12:00:00+08:00", *db])
    assert early.exit_code == 0, early.output
    assert "投诉 complaints 2" in early.output and "art9-quiet-hours (第9条" in early.output
    assert "按期 on time 1" in early.output and "已逾期 overdue 0" in early.output
    late = run(cli, ["complaints", "report", *period, "--at", "2026-06-08T12:00:00+08:00", "--json", *db])
    assert late.exit_code == 1  # cp2 is overdue
    body = json.loads(late.output)
    assert (body["complaints"], body["overdue"], body["recusals"], body["from"]) == (2, 1, 1, "2026-05-01")
    assert "张三" not in late.output
    sent = run(cli, ["complaints", "report", *period, "--at", "2026-06-01T09:00:00+08:00", "--submit",
                     "--note", "五月", *db])
    assert sent.exit_code == 0 and "已提交 submitted: 账本 ledger #" in sent.output, sent.output
    with store.read() as session:
        payload = json.loads(session.execute(select(LedgerRecord.body).where(
            LedgerRecord.kind == "complaint:agency-report:made")).scalar_one())["payload"]
    assert payload["figures"]["complaints"] == 2 and payload["by"] == "cli" and payload["note"] == "五月"
    unknown = run(cli, ["complaints", "report", "--institution", "bank", "--agency", "nobody", "--from",
                        "2026-05-01", "--to", "2026-05-31", *db])
    assert unknown.exit_code == 2 and "nobody" in unknown.output
    bad = run(cli, ["complaints", "report", *period[:4], "--from", "2026-05", "--to", "2026-05-31", *db])
    assert bad.exit_code == 2
