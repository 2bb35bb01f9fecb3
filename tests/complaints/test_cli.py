"""`collectguard complaints …` end to end on SQLite and PostgreSQL: register, a refused assignment (exit 1 naming
both rules and their article), assign, extend, resolve, then list (exit 1 while one is overdue) and show — masked,
in Chinese and English, or as JSON."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from collectguard.cli import app as cli
from tests.factories import build, world

run = CliRunner().invoke


def test_a_complaint_from_the_command_line(store, db_url):
    build(store, world(staff=[{"id": "s-zhou", "org": "bank", "role": "compliance"}]))
    db = ["--db", db_url]
    made = run(cli, ["complaints", "register", "--institution", "bank", "--channel", "phone", "--debtor", "d1",
                     "--agency", "agA", "--collector", "c1", "--name", "张三", "--phone", "13800138000",
                     "--text", "晚上十一点来电", "--id", "cp1", "--at", "2026-05-20T10:00:00+08:00", *db])
    assert made.exit_code == 0, made.output
    assert "cp1" in made.output and "2026-06-04" in made.output
    proxy = run(cli, ["complaints", "register", "--institution", "bank", "--channel", "letter", "--proxy", "某代理",
                      "--id", "cp2", "--at", "2026-05-20T11:00:00+08:00", "--json", *db])
    assert proxy.exit_code == 0 and json.loads(proxy.output)["detail"]["proxy_warning"] is True
    refused = run(cli, ["complaints", "assign", "cp1", "--institution", "bank", "--investigator", "c1",
                        "--at", "2026-05-21T10:00:00+08:00", *db])
    assert refused.exit_code == 1
    assert "art22-recusal" in refused.output and "art22-institution-handles" in refused.output
    assert "第22条" in refused.output
    early = run(cli, ["complaints", "resolve", "cp1", "--institution", "bank", *db])
    assert early.exit_code == 1 and "art22-complaints" in early.output
    for args in (["assign", "cp1", "--investigator", "s-zhou", "--at", "2026-05-21T10:05:00+08:00"],
                 ["extend", "cp1", "--to", "2026-06-10", "--reason", "需调取录音", "--at", "2026-05-22T10:00:00+08:00"],
                 ["resolve", "cp1", "--root-cause", "art9-quiet-hours", "--result", "已致歉",
                  "--at", "2026-06-08T10:00:00+08:00"]):
        done = run(cli, ["complaints", *args, "--institution", "bank", *db])
        assert done.exit_code == 0, done.output
    bad = run(cli, ["complaints", "extend", "cp2", "--institution", "bank", "--to", "2026-05-01", "--reason", "x",
                    "--at", "2026-05-22T10:00:00+08:00", *db])
    assert bad.exit_code == 2 and "must be after" in bad.output, bad.output
    listed = run(cli, ["complaints", "list", "--institution", "bank", "--at", "2026-06-08T12:00:00+08:00", "--json",
                       *db])
    assert listed.exit_code == 1  # cp2 is overdue
    body = json.loads(listed.output)
    assert body["total"] == 2 and {i["id"]: i["overdue"] for i in body["items"]} == {"cp1": False, "cp2": True}
    assert "13800138000" not in listed.output and "张三" not in listed.output
    shown = run(cli, ["complaints", "show", "cp1", "--institution", "bank", "--at", "2026-06-08T12:00:00+08:00", *db])
    assert shown.exit_code == 0, shown.output
    assert "138****8000" in shown.output and "需调取录音" in shown.output and "resolved" in shown.output
    assert [line.split()[4] for line in shown.output.splitlines() if line.strip()[:2] in ("1.", "2.", "3.", "4.")] \
        == ["registered", "assigned", "extended", "resolved"]
    other = run(cli, ["complaints", "show", "cp1", "--institution", "bank2", *db])
    assert other.exit_code == 1 and "not found" in other.output
