"""催收员 pages per role: the list with its filters, sorts and paging, a collector's page, flags suspended or
dismissed by the institution's administrator or compliance officer only (CSRF, confirmation), an agency's people
kept to their own agency (another's collector by URL is not found), and an agency's own administrator shown its
people's shared record without any institution's figures."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from collectguard.collectors.models import CollectorAcceptance
from collectguard.gate import daily
from collectguard.ledger.models import LedgerRecord
from collectguard.monitoring.models import CollectorFlag
from collectguard.oversight import calendar
from collectguard.registry.repository import institution_zone
from collectguard.registry.unit import Units
from tests.console.conftest import DAY, Console

ROW_ID = re.compile(r'<td class="collectors-nowrap"><a href="/console/collectors/([^"]+)"><code>')


def _ids(html: str) -> list[str]:
    return ROW_ID.findall(html)


def _units(console: Console) -> Units:
    return console.app.state.units  # type: ignore[attr-defined,no-any-return]


def _flag(console: Console, collector: str = "qinghe-c01", agency: str | None = "qinghe",
          metric: str = "denials") -> int:
    now = console.clock.now
    with _units(console).write(now) as unit:
        row = CollectorFlag(institution_id="lender", collector_id=collector, agency_id=agency, day=DAY,
                            metric=metric, value=9, threshold=2, evidence={"attempts": ["lender/call-7", "call-8"]},
                            status="open", raised_at=now, changed_at=now)
        unit.session.add(row)
        unit.session.flush()
        return row.id


def _figures(console: Console, rows: dict[str, tuple[int, int, str]]) -> None:
    """Daily figures as the gate counts them: per collector (allowed, denied, failing rule), on the world's day."""
    at = console.clock.now
    tally = daily.Tally()
    with _units(console).write(at) as unit:
        tz = institution_zone(unit.session, "lender")
        for collector, (allowed, denied, rule) in rows.items():
            org = collector.rsplit("-c", 1)[0] if "-ai-" not in collector else "lender"
            for n in range(allowed + denied):
                tally.add(daily.Counted("lender", at, org, collector, "voice", n < allowed,
                                        () if n < allowed else (rule,), None, False), tz, decision=True,
                          outcome=False)
        daily.write(unit.session.connection(), tally)


# -- the list -----------------------------------------------------------------------------------------------------
def test_the_institution_sees_its_own_and_its_agencies_collectors(console: Console) -> None:
    client = console.client("demo-compliance")
    page = client.get("/console/collectors?sort=id&order=asc")
    assert page.status_code == 200, page.text
    ids = _ids(page.text)
    assert ids[0] == "hengyuan-c01" and len(ids) == 25 and ids == sorted(ids)
    assert "共 50 条" in page.text and "第 1 / 2 页" in page.text
    second = _ids(client.get("/console/collectors?sort=id&order=asc&page=2").text)
    assert len(second) == 25 and not set(ids) & set(second)
    every = set(ids) | set(second)
    assert {"lender-c01", "lender-ai-01", "qinghe-c01", "hengyuan-c01", "qiming-c01"} <= every
    for header in ("被拒", "拒绝率", "质检问题", "未处理标记", "培训到期"):
        assert header in page.text


def test_filters_by_organisation_kind_and_status(console: Console) -> None:
    client = console.client("demo-compliance")
    hengyuan = _ids(client.get("/console/collectors?org=hengyuan").text)
    assert len(hengyuan) == 12 and all(i.startswith("hengyuan-") for i in hengyuan)
    ai = _ids(client.get("/console/collectors?kind=ai_agent").text)
    assert len(ai) == 10 and all(i.startswith("lender-ai-") for i in ai)
    assert _ids(client.get("/console/collectors?status=removed").text) == []
    assert "没有符合条件的催收员" in client.get("/console/collectors?status=removed").text


def test_training_overdue_is_the_calendars_answer(console: Console) -> None:
    """The filter lists what the obligations calendar holds overdue (art6-annual-training), and more: a
    subcontractor's people, whom the calendar leaves out (no agreement of their own), judged by the same rule."""
    client = console.client("demo-compliance")
    page = client.get("/console/collectors?training=overdue&sort=id&order=asc")
    shown = set(_ids(page.text))
    units = _units(console)
    with units.read() as session:
        items = calendar.obligations(session, "lender", console.clock.now)
    overdue = {i.subject for i in items if i.obligation == "art6-annual-training" and i.status == "overdue"}
    assert overdue and overdue <= shown
    assert {"lender-c10", "qinghe-c12", "hengyuan-c12"} <= shown  # the demo's stale trainings
    assert all(i.startswith(("lender-c", "qinghe-c", "hengyuan-c", "qiming-c")) for i in shown)
    due_dates = {i.subject: i.due_date for i in items if i.obligation == "art6-annual-training"}
    for subject in overdue:
        assert re.search(f'title="art6-annual-training">{due_dates[subject]}</span><br><span class="small '
                         f'collectors-bad">已逾期', page.text), subject


def test_sorts_by_training_due_and_english(console: Console) -> None:
    client = console.client("demo-compliance")
    page = client.get("/console/collectors?sort=training_due&order=asc&lang=en")
    assert page.status_code == 200 and "Training due" in page.text and "Annual training" in page.text
    dues = re.findall(r'title="art6-annual-training">(\d{4}-\d{2}-\d{2})', page.text)
    assert dues and dues == sorted(dues)
    client.get("/console/collectors?lang=zh")


def test_figures_flags_and_sorts_by_denials(fresh_console: Console) -> None:
    # Far above what the world's two weeks of history gave any collector, so these three lead the sorts.
    _figures(fresh_console, {"qinghe-c02": (100, 9_000, "art9-quiet-hours"),
                             "hengyuan-c03": (3_000, 7_000, "art10-registered-tool"),
                             "lender-c04": (0, 50_000, "art9-quiet-hours")})
    flag = _flag(fresh_console, "hengyuan-c03", "hengyuan")
    client = fresh_console.client("demo-compliance")
    by_denied = _ids(client.get("/console/collectors?sort=denied&order=desc").text)
    assert by_denied[:3] == ["lender-c04", "qinghe-c02", "hengyuan-c03"]
    by_rate = [i for page in (1, 2) for i in _ids(client.get(f"/console/collectors?sort=rate&order=desc&page={page}").text)]
    mine = [i for i in by_rate if i in {"lender-c04", "qinghe-c02", "hengyuan-c03"}]
    assert mine == ["lender-c04", "qinghe-c02", "hengyuan-c03"]  # about 100 %, 98.9 %, 70 %
    flagged = client.get("/console/collectors?flag=open")
    assert _ids(flagged.text) == ["hengyuan-c03"]
    assert 'href="/console/collectors/hengyuan-c03#flags"' in flagged.text
    one = client.get("/console/collectors/hengyuan-c03")
    assert one.status_code == 200
    assert 'data-chart="' in one.text and "art10-registered-tool" in one.text and f'id="flag-{flag}"' in one.text
    assert "<code>call-7</code>" in one.text and "lender/call-7" not in one.text  # ids as the dialer sent them
    chart = re.search(r'data-chart="([^"]+)"', one.text)
    assert chart is not None and "[8" not in chart.group(1)
    assert '/console/qa?collector=hengyuan-c03' in one.text
    # An agency operator sees its own agency's figures and flags only.
    agency = fresh_console.client("demo-agency-2")
    mine = client.get("/console/collectors?flag=open")
    assert _ids(agency.get("/console/collectors?flag=open").text) == ["hengyuan-c03"] == _ids(mine.text)
    assert _ids(fresh_console.client("demo-agency").get("/console/collectors?flag=open").text) == []


# -- one collector ------------------------------------------------------------------------------------------------
def test_a_collectors_page(console: Console) -> None:
    client = console.client("demo-compliance")
    page = client.get("/console/collectors/qinghe-c12")
    assert page.status_code == 200, page.text
    text = page.text
    assert "岗前培训考试" in text and "个人信息保密承诺" in text and "培训记录" in text and "记录历史" in text
    assert "已逾期" in text and "art6-annual-training" in text
    assert "登记" in text  # the ledger's registry:collector:created
    assert 'id="flags"' in text and "近 30 天每日询问与决定" in text
    ai = client.get("/console/collectors/lender-ai-01")
    assert ai.status_code == 200 and "机构审批" in ai.text and "已审批" in ai.text
    assert client.get("/console/collectors/nobody").status_code == 404


@pytest.mark.parametrize("user,own,other", [
    ("demo-agency", ["qinghe-c01", "qiming-c01"], ["hengyuan-c01", "lender-c01", "lender-ai-01"]),
    ("demo-agency-2", ["hengyuan-c01"], ["qinghe-c01", "qiming-c01", "lender-c01"]),
])
def test_an_agency_sees_its_own_people_only(console: Console, user: str, own: list[str], other: list[str]) -> None:
    client = console.client(user)
    listed = set(_ids(client.get("/console/collectors?sort=id").text)) | set(
        _ids(client.get("/console/collectors?sort=id&page=2").text))
    assert set(own) <= listed and not set(other) & listed
    for ident in own:
        assert client.get(f"/console/collectors/{ident}").status_code == 200
    for ident in other:
        page = client.get(f"/console/collectors/{ident}")
        assert page.status_code == 404 and "未找到" in page.text
    assert client.get(f"/console/collectors?org={other[0].split('-')[0]}").status_code == 200
    assert _ids(client.get(f"/console/collectors?org={other[0].split('-')[0]}").text) == []


def test_an_agencys_admin_sees_its_staffs_shared_record(console: Console) -> None:
    client = console.client("demo-agency-admin")
    page = client.get("/console/collectors?sort=id")
    assert page.status_code == 200, page.text
    ids = _ids(page.text)
    assert ids and all(i.startswith(("qinghe-", "qiming-")) for i in ids)
    assert "拒绝率" not in page.text and "未处理标记" not in page.text  # no institution's figures
    one = client.get("/console/collectors/qinghe-c01")
    assert one.status_code == 200 and "培训记录" in one.text
    assert 'id="flags"' not in one.text and "data-chart" not in one.text
    assert client.get("/console/collectors/hengyuan-c01").status_code == 404
    assert client.get("/console/collectors/lender-c01").status_code == 404


def test_the_auditor_reads_and_sees_no_action(console: Console) -> None:
    client = console.client("demo-auditor")
    assert client.get("/console/collectors").status_code == 200
    page = client.get("/console/collectors/qinghe-c01")
    assert page.status_code == 200 and "/suspend" not in page.text and "/dismiss" not in page.text


# -- flags: suspend and dismiss -----------------------------------------------------------------------------------
def test_a_flag_is_suspended_by_compliance_with_csrf(fresh_console: Console) -> None:
    flag = _flag(fresh_console)
    client = fresh_console.client("demo-compliance")
    page = client.get("/console/collectors/qinghe-c01")
    assert f"/console/collectors/qinghe-c01/flags/{flag}/suspend" in page.text
    assert 'data-confirm="确认暂停 qinghe-c01' in page.text
    url = f"/console/collectors/qinghe-c01/flags/{flag}/suspend"
    refused = client.post(url, data={"note": "x"}, follow_redirects=False)
    assert refused.status_code == 403 and "CSRF" in refused.text
    wrong = client.post(url, data={"note": "x", "csrf_token": "not-the-token"}, follow_redirects=False)
    assert wrong.status_code == 403
    # the auditor and an agency operator may not, even with their own token
    for user in ("demo-auditor", "demo-agency"):
        other = fresh_console.client(user)
        answer = other.post(url, data={"csrf_token": fresh_console.csrf(other)}, follow_redirects=False)
        assert answer.status_code in (403, 404), (user, answer.status_code)
    with _units(fresh_console).read() as session:
        assert session.get(CollectorFlag, flag).status == "open"  # type: ignore[union-attr]
    done = client.post(url, data={"note": "反复夜间外呼", "csrf_token": fresh_console.csrf(client)},
                       follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].startswith("/console/collectors/qinghe-c01?done=suspend")
    with _units(fresh_console).read() as session:
        row = session.get(CollectorFlag, flag)
        assert row is not None and row.status == "suspended" and row.note == "反复夜间外呼"
        acceptance = session.get(CollectorAcceptance, ("lender", "qinghe-c01"))
        assert acceptance is not None and acceptance.status == "suspended"
        kinds = set(session.execute(select(LedgerRecord.kind).where(
            LedgerRecord.subject.in_([str(flag), "qinghe-c01"]))).scalars())
    assert {"monitoring:flag:suspended", "collector:acceptance:changed"} <= kinds
    after = client.get("/console/collectors/qinghe-c01?done=suspend")
    assert "已按标记暂停" in after.text and "本机构准入" in after.text and "本机构准入变更" in after.text
    assert "qinghe-c01" in _ids(client.get("/console/collectors?status=suspended").text)
    again = client.post(url, data={"csrf_token": fresh_console.csrf(client)}, follow_redirects=False)
    assert again.status_code == 409


def test_a_flag_is_dismissed_with_a_note_only(fresh_console: Console) -> None:
    flag = _flag(fresh_console, "lender-c03", None)
    client = fresh_console.client("demo-compliance")
    url = f"/console/collectors/lender-c03/flags/{flag}/dismiss"
    token = fresh_console.csrf(client)
    empty = client.post(url, data={"note": "  ", "csrf_token": token}, follow_redirects=False)
    assert empty.status_code == 422 and "驳回标记须说明理由" in empty.text
    # a flag reached through another collector's page is not found
    assert client.post(f"/console/collectors/lender-c04/flags/{flag}/dismiss",
                       data={"note": "n", "csrf_token": token}, follow_redirects=False).status_code == 404
    hx = client.post(url, data={"note": "已核实为系统误报", "csrf_token": token},
                     headers={"HX-Request": "true"}, follow_redirects=False)
    assert hx.status_code == 204 and hx.headers["HX-Redirect"].startswith("/console/collectors/lender-c03?done=dismiss")
    with _units(fresh_console).read() as session:
        row = session.get(CollectorFlag, flag)
        assert row is not None and row.status == "dismissed" and row.note == "已核实为系统误报"
        assert session.get(CollectorAcceptance, ("lender", "lender-c03")) is None
    page = client.get("/console/collectors/lender-c03")
    assert "已驳回" in page.text and "已核实为系统误报" in page.text


def test_an_agency_operator_cannot_reach_another_agencys_flag(fresh_console: Console) -> None:
    flag = _flag(fresh_console, "hengyuan-c01", "hengyuan")
    client = fresh_console.client("demo-agency")
    assert client.get("/console/collectors/hengyuan-c01").status_code == 404
    answer = client.post(f"/console/collectors/hengyuan-c01/flags/{flag}/suspend",
                         data={"csrf_token": fresh_console.csrf(client)}, follow_redirects=False)
    assert answer.status_code in (403, 404)
    with _units(fresh_console).read() as session:
        assert session.get(CollectorFlag, flag).status == "open"  # type: ignore[union-attr]
