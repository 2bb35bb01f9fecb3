"""投诉 The complaints pages per role: the list (filters, countdown, badges, chart data), one complaint (timeline
with ledger seqs, masked complainant data, recusal, forms through CSRF), the agency's report and its submission.
Complaints are registered through the complaints service into a world of the test's own (`fresh_console`)."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from sqlalchemy import select

from collectguard.collectors.models import Collector
from collectguard.complaints import report, service
from collectguard.complaints.schemas import ComplaintAssignIn, ComplaintIn, ComplaintResolvedIn
from collectguard.demo.organisations import HENGYUAN, LENDER, QINGHE
from collectguard.demo.world import SHANGHAI
from collectguard.ledger.models import LedgerRecord
from collectguard.registry.unit import Units
from tests.console.conftest import Console


def _collector(con: Console, org: str) -> str:
    with con.app.state.units.read() as session:  # type: ignore[attr-defined]
        found = session.execute(select(Collector.id).where(Collector.org_id == org, Collector.kind == "human")
                                .order_by(Collector.id)).scalars().first()
    assert found is not None, org
    return found


def _seed(con: Console) -> dict[str, str]:
    """zk-agency: about qinghe (the institution handles it), 20 days old: overdue; zk-coll: about a qinghe collector,
    by a proxy without authorisation; zk-done: about a hengyuan collector, assigned and resolved with a rule;
    zk-own: about no agency."""
    units: Units = con.app.state.units  # type: ignore[attr-defined]
    c_q, c_h = _collector(con, QINGHE), _collector(con, HENGYUAN)
    now = con.clock.now
    with units.write(now - timedelta(days=20)) as unit:
        service.register(unit, ComplaintIn(id="zk-agency", institution=LENDER, agency=QINGHE, channel="letter",
                                           complainant_name="张三丰", complainant_phone="13800138000",
                                           text="催收员多次在夜间来电，电话 13800138000"))
    with units.write(now - timedelta(days=3)) as unit:
        service.register(unit, ComplaintIn.model_validate({
            "id": "zk-coll", "institution": LENDER, "collector": c_q, "channel": "web",
            "proxy": {"name": "李代理", "authorisation": False}}))
        service.register(unit, ComplaintIn(id="zk-done", institution=LENDER, collector=c_h, channel="phone"))
        service.register(unit, ComplaintIn(id="zk-own", institution=LENDER, channel="email"))
    with units.write(now - timedelta(days=2)) as unit:
        service.assign(unit, ComplaintAssignIn(complaint="zk-done", investigator="lender-compliance-01"))
    with units.write(now - timedelta(days=1)) as unit:
        service.resolve(unit, ComplaintResolvedIn(complaint="zk-done", root_cause="art9-quiet-hours 夜间来电",
                                                  result="已核实并整改"))
    return {"qinghe_collector": c_q, "hengyuan_collector": c_h}


def _report(con: Console, agency: str):  # type: ignore[no-untyped-def]
    now = con.clock.now
    with con.app.state.units.read() as session:  # type: ignore[attr-defined]
        today = now.astimezone(SHANGHAI).date()
        return report.agency_report(session, LENDER, agency, today - timedelta(days=29), today, at=now)


def _kpi(html: str, name: str) -> int:
    found = re.search(rf'id="report-{name}">([\d,]+)<', html)
    assert found, name
    return int(found.group(1).replace(",", ""))


def _ids(html: str) -> list[str]:
    return re.findall(r'<tr id="row-([^"]+)" class="complaints-row', html)


def _count(html: str, name: str) -> int:
    found = re.search(rf'id="count-{name}">([\d,]+)<', html)
    assert found, name
    return int(found.group(1).replace(",", ""))


def test_the_list_per_role(fresh_console: Console) -> None:
    _seed(fresh_console)
    page = fresh_console.client("demo-compliance").get("/console/complaints?q=zk-")
    assert page.status_code == 200, page.text
    assert _ids(page.text) == ["zk-agency", "zk-coll", "zk-own", "zk-done"]  # open by deadline first, the resolved after
    assert "已逾期 5 天" in page.text  # registered 20 days ago, 15 days to answer
    assert "剩余 12 天" in page.text and "代理未授权" in page.text and "机构自查" in page.text
    assert "按期办结" in page.text
    assert _count(page.text, "overdue") >= 1 and _count(page.text, "resolved") >= 1
    # the chart has data: 30 days, by channel; and the root causes by rule
    option = json.loads(re.search(r'id="complaints-daily" [^>]*data-chart="([^"]+)"', page.text).group(1)
                        .replace("&#34;", '"').replace("&quot;", '"'))
    assert len(option["xAxis"]["data"]) == 30 and sum(sum(s["data"]) for s in option["series"]) >= 4
    assert 'id="complaints-causes"' in page.text and "art9-quiet-hours" in page.text
    # filters on the server
    overdue = fresh_console.client("demo-compliance").get("/console/complaints?overdue=yes&q=zk-")
    assert _ids(overdue.text) == ["zk-agency"]
    web = fresh_console.client("demo-auditor").get("/console/complaints?channel=web&q=zk-")
    assert _ids(web.text) == ["zk-coll"]
    resolved = fresh_console.client("demo-auditor").get("/console/complaints?status=resolved&q=zk-")
    assert _ids(resolved.text) == ["zk-done"]
    still = fresh_console.client("demo-auditor").get("/console/complaints?status=open&q=zk-")
    assert set(_ids(still.text)) == {"zk-agency", "zk-coll", "zk-own"}
    by_agency = fresh_console.client("demo-auditor").get(f"/console/complaints?agency={QINGHE}&q=zk-")
    assert set(_ids(by_agency.text)) == {"zk-agency", "zk-coll"}
    found = fresh_console.client("demo-auditor").get("/console/complaints?q=zk-own")
    assert _ids(found.text) == ["zk-own"]
    # an agency's operator: the complaints about its own agency only (and its collectors')
    own = fresh_console.client("demo-agency").get("/console/complaints?q=zk-")
    assert own.status_code == 200 and set(_ids(own.text)) == {"zk-agency", "zk-coll"}
    other = fresh_console.client("demo-agency-2").get("/console/complaints?q=zk-")
    assert set(_ids(other.text)) == {"zk-done"}
    # the agency's own admin has no oversight pages
    assert fresh_console.client("demo-agency-admin").get("/console/complaints").status_code == 403
    assert fresh_console.client("demo-compliance").get("/console/complaints?lang=en").text.count("Complaints") >= 2


def test_one_complaint_per_role(fresh_console: Console) -> None:
    _seed(fresh_console)
    page = fresh_console.client("demo-compliance").get("/console/complaints/zk-agency")
    assert page.status_code == 200, page.text
    text = page.text
    assert "张*" in text or "张**" in text  # masked name
    assert "13800138000" not in text and "138****8000" in text  # masked phone, in the fields and the words
    assert "已逾期 5 天" in text and "机构自查" in text
    assert re.search(r"账本</?[^>]*>? ?<a href=\"/console/ledger\?before=\d+&amp;mark=\d+\">#\d+</a>", text) or \
        re.search(r'ledger\?before=\d+&amp;mark=\d+">#\d+<', text)
    assert 'id="form-assign"' in text and 'id="form-extend"' in text and 'id="form-resolve"' in text
    # the investigator select offers the institution's staff, never the agency's people
    select_html = text.split('name="investigator"', 1)[1].split("</select>", 1)[0]
    assert "lender-compliance-01" in select_html
    # the auditor reads with no form; an agency operator sees its own complaint without the complainant
    audit = fresh_console.client("demo-auditor").get("/console/complaints/zk-agency")
    assert audit.status_code == 200 and "<form method=\"post\" action=\"/console/complaints/" not in audit.text
    agency = fresh_console.client("demo-agency").get("/console/complaints/zk-agency")
    assert agency.status_code == 200 and "138****8000" not in agency.text and "投诉人信息不向合作机构显示" in agency.text
    assert 'id="form-assign"' not in agency.text
    # another agency's complaint is not found, like an unknown id
    assert fresh_console.client("demo-agency").get("/console/complaints/zk-done").status_code == 404
    assert fresh_console.client("demo-agency").get("/console/complaints/nope").status_code == 404
    # resolved: the root cause with its rule and article
    done = fresh_console.client("demo-auditor").get("/console/complaints/zk-done")
    assert "art9-quiet-hours" in done.text and "已核实并整改" in done.text and "按期办结" in done.text
    coll = fresh_console.client("demo-compliance").get("/console/complaints/zk-coll")
    assert "代理投诉未提供有效授权" in coll.text and "李*" in coll.text
    recused = coll.text.split('class="small muted complaints-recused"', 1)[1].split("</p>", 1)[0]
    assert _collector(fresh_console, QINGHE) in recused  # the collector complained about is shown recused


def _post(con: Console, who: str, path: str, data: dict[str, str], *, csrf: bool = True):  # type: ignore[no-untyped-def]
    client = con.client(who)
    body = {**data, "csrf_token": con.csrf(client)} if csrf else data
    return client.post(path, data=body, follow_redirects=False)


def _ledger(con: Console, subject: str) -> list[str]:
    with con.app.state.units.read() as session:  # type: ignore[attr-defined]
        return list(session.execute(select(LedgerRecord.kind).where(LedgerRecord.subject == subject)
                                    .order_by(LedgerRecord.seq)).scalars())


def test_the_forms_move_a_complaint_on(fresh_console: Console) -> None:
    _seed(fresh_console)
    url = "/console/complaints/zk-coll"
    # no CSRF: refused, nothing changes; auditor and agency operator: refused
    assert _post(fresh_console, "demo-compliance", url + "/verify", {}, csrf=False).status_code == 403
    assert _post(fresh_console, "demo-auditor", url + "/verify", {}).status_code == 403
    assert _post(fresh_console, "demo-agency", url + "/verify", {}).status_code == 403
    assert _ledger(fresh_console, "zk-coll") == ["complaint:complaint:registered", "complaint:proxy:warned"]
    # verify with the proxy's authorisation shown: the warning clears
    done = _post(fresh_console, "demo-compliance", url + "/verify", {"proxy_authorised": "yes"})
    assert done.status_code == 303 and done.headers["location"].endswith("?done=verify")
    # the collector complained about may not investigate: refused with the rule, nothing changes
    refused = _post(fresh_console, "demo-compliance", url + "/assign",
                    {"investigator": _collector(fresh_console, QINGHE)})
    assert refused.status_code == 409 and "art22-recusal" in refused.text
    # an extension needs a reason
    day = fresh_console.clock.now.date() + timedelta(days=20)
    no_reason = _post(fresh_console, "demo-compliance", url + "/extend", {"due_date": day.isoformat()})
    assert no_reason.status_code == 422 and "理由" in no_reason.text
    ok = _post(fresh_console, "demo-compliance", url + "/extend", {"due_date": day.isoformat(), "reason": "需调取录音"})
    assert ok.status_code == 303
    assert _post(fresh_console, "demo-compliance", url + "/assign",
                 {"investigator": "lender-compliance-01"}).status_code == 303
    resolved = _post(fresh_console, "demo-admin", url + "/resolve",
                     {"rule": "art9-quiet-hours", "root_cause": "夜间来电", "result": "已道歉并整改"})
    assert resolved.status_code == 303
    assert _ledger(fresh_console, "zk-coll") == [
        "complaint:complaint:registered", "complaint:proxy:warned", "complaint:complaint:verified",
        "complaint:complaint:extended", "complaint:complaint:assigned", "complaint:complaint:resolved"]
    page = fresh_console.client("demo-compliance").get(url)
    assert "已办结" in page.text and "art9-quiet-hours" in page.text and 'id="form-resolve"' not in page.text
    assert "需调取录音" in page.text


def test_the_agency_report_and_its_submission(fresh_console: Console) -> None:
    _seed(fresh_console)
    expected = {a: _report(fresh_console, a) for a in (QINGHE, HENGYUAN)}
    assert {"zk-agency", "zk-coll"} <= set(expected[QINGHE].complaint_ids)
    assert "zk-done" in expected[HENGYUAN].complaint_ids
    page = fresh_console.client("demo-compliance").get(f"/console/complaints/report?agency={QINGHE}")
    assert page.status_code == 200, page.text
    assert _kpi(page.text, "complaints") == expected[QINGHE].complaints
    assert _kpi(page.text, "overdue") == expected[QINGHE].overdue >= 1
    assert _kpi(page.text, "on-time") == expected[QINGHE].answered_on_time
    assert 'id="report-answers"' in page.text and 'id="form-submit"' in page.text
    # the agency operator: its own report by default; another agency's is not found
    own = fresh_console.client("demo-agency").get("/console/complaints/report")
    assert own.status_code == 200 and _kpi(own.text, "complaints") == expected[QINGHE].complaints
    assert fresh_console.client("demo-agency").get(f"/console/complaints/report?agency={HENGYUAN}").status_code == 404
    # the auditor reads but may not submit
    audit = fresh_console.client("demo-auditor").get(f"/console/complaints/report?agency={HENGYUAN}")
    assert _kpi(audit.text, "complaints") == expected[HENGYUAN].complaints and 'id="form-submit"' not in audit.text
    first = (fresh_console.clock.now.date() - timedelta(days=29)).isoformat()
    last = fresh_console.clock.now.date().isoformat()
    assert _post(fresh_console, "demo-auditor", "/console/complaints/report",
                 {"agency": QINGHE, "from": first, "to": last}).status_code == 403
    sent = _post(fresh_console, "demo-agency", "/console/complaints/report", {"from": first, "to": last})
    assert sent.status_code == 303 and "done=report" in sent.headers["location"]
    with fresh_console.app.state.units.read() as session:  # type: ignore[attr-defined]
        body = session.execute(select(LedgerRecord.body).where(
            LedgerRecord.kind == "complaint:agency-report:made")).scalar_one()
    payload = json.loads(body)["payload"]
    assert payload["agency"] == QINGHE and payload["figures"]["complaints"] == expected[QINGHE].complaints
    assert "张三丰" not in body and "13800138000" not in body and "zk-agency" not in body
    again = fresh_console.client("demo-agency").get(f"/console/complaints/report?from={first}&to={last}")
    assert "报告已提交" not in again.text and "#" in again.text.split("已提交的报告", 1)[1]


# -- the demo world, read only, on SQLite and PostgreSQL --------------------------------------------------------
def test_the_demo_cluster_is_flagged_for_the_institution_never_for_an_agency(console: Console) -> None:
    page = console.client("demo-compliance").get("/console/complaints?flagged=yes&sort=id")
    assert page.status_code == 200, page.text
    flagged = _ids(page.text)
    assert _count(page.text, "flagged") >= 12 and len(flagged) >= 12
    cluster = [i for i in flagged if i.startswith("demo-cmp-m")]
    assert len(cluster) >= 10, flagged  # the mass-produced complaints of the demo
    one = console.client("demo-compliance").get(f"/console/complaints/{cluster[-1]}")
    assert one.status_code == 200
    signals = one.text.split('class="card complaints-signals"', 1)[1].split("</section>", 1)[0]
    assert "同一代理人" in signals and "/console/complaints/demo-cmp-m" in signals  # links to those sharing it
    assert "10555550188" not in one.text and "6200 0000 0000 8888" not in one.text  # masked only
    assert "某某法律咨询服务有限公司" not in one.text
    # an agency never sees the signals, and the flagged filter does not apply to it
    agency = console.client("demo-agency").get("/console/complaints?flagged=yes")
    assert agency.status_code == 200 and "⚑" not in agency.text and 'id="count-flagged"' not in agency.text
    mine = set(_ids(agency.text))
    assert mine and all(i.startswith("demo-cmp-") for i in mine)
    for ident in list(mine)[:3]:
        detail = console.client("demo-agency").get(f"/console/complaints/{ident}")
        assert detail.status_code == 200 and "complaints-signals" not in detail.text


def test_the_demo_list_chart_and_report_per_role(console: Console) -> None:
    for who in ("demo-compliance", "demo-auditor", "demo-agency", "demo-agency-2"):  # the admin signs in with a
        # one-time code, which moves the shared world's clock 30 s (tests of countdowns read it)
        page = console.client(who).get("/console/complaints")
        assert page.status_code == 200, (who, page.text)
        option = json.loads(re.search(r'id="complaints-daily" [^>]*data-chart="([^"]+)"', page.text).group(1)
                            .replace("&#34;", '"').replace("&quot;", '"'))
        assert sum(sum(s["data"]) for s in option["series"]) > 0, who
        assert "剩余" in page.text or "已逾期" in page.text or "办结" in page.text
    q = set(_ids(console.client("demo-agency").get("/console/complaints?q=demo-cmp").text))
    h = set(_ids(console.client("demo-agency-2").get("/console/complaints?q=demo-cmp").text))
    assert q and h and not (q & h)
    for ident in sorted(q)[:2]:
        assert console.client("demo-auditor").get(f"/console/complaints/{ident}").status_code == 200
        assert console.client("demo-agency-2").get(f"/console/complaints/{ident}").status_code == 404
    report = console.client("demo-agency").get("/console/complaints/report")
    assert report.status_code == 200 and 0 < _kpi(report.text, "complaints") <= len(q)  # 30 days of them
    assert console.client("demo-agency-2").get(f"/console/complaints/report?agency={QINGHE}").status_code == 404
    assert console.client("demo-compliance").get("/console/complaints?lang=en").status_code == 200


def test_agency_and_collector_pages_count_their_complaints(console: Console) -> None:
    from collectguard.console.reads import complaints as reads

    with console.app.state.units.read() as session:  # type: ignore[attr-defined]
        users = console.users
        p = _principal(console, users["demo-compliance"].username)
        q = reads.summary(session, p, console.clock.now, agency=QINGHE)
    page = console.client("demo-compliance").get(f"/console/agencies/{QINGHE}")
    assert page.status_code == 200 and 'id="complaints"' in page.text
    assert f'id="complaints-registered">{q.registered}<' in page.text and q.registered > 0
    assert f'id="complaints-overdue">{q.overdue}<' in page.text
    assert f"/console/complaints/report?agency={QINGHE}" in page.text
    own = console.client("demo-agency").get(f"/console/agencies/{QINGHE}")
    assert f'id="complaints-registered">{q.registered}<' in own.text
    collector = _collector(console, QINGHE)
    shown = console.client("demo-auditor").get(f"/console/collectors/{collector}")
    assert shown.status_code == 200 and 'id="complaints-substantiated">' in shown.text


def _principal(con: Console, username: str):  # type: ignore[no-untyped-def]
    from collectguard.auth.roles import Principal

    user = con.users[username]
    return Principal(key_id=username, role=user.role, institution_id=user.institution or "", agency_id=user.agency)
