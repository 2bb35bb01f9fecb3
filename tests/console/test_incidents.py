"""事件 The incidents page: the list with its countdowns as the API computes them, per role (an agency operator sees
its own agency's incidents only; another's is not found like an unknown id, downloads too), one incident's
timeline, parts and report files, and the forms — CSRF required, the SRO report for the institution only, a
missing part refused naming it and changing nothing."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from collectguard.db.store import Store
from collectguard.incidents.models import Incident, IncidentNotification
from tests.console.conftest import Console

QINGHE_OWN = {"inc-qinghe-phone-lost", "inc-qinghe-laptop"}
HENGYUAN_OWN = {"inc-hengyuan-misdirected-mail", "mr-hengyuan-visit"}
ALL = QINGHE_OWN | HENGYUAN_OWN | {"mr-anti-collection-wave"}
REPORT = {"cause": "上门催收冲突", "state": "当事人已停岗", "impact": "可能引发投诉", "measures": "暂停外访并专项检查"}


def _rows(html: str) -> dict[str, str]:
    """incident id → the row's classes."""
    return dict(re.findall(r'<tr id="incident-([^"]+)" class="incidents-row ([^"]+)">', html))


def _count(html: str, state: str) -> int:
    found = re.search(rf'id="count-{state}">([\d,]+)<', html)
    assert found, state
    return int(found.group(1).replace(",", ""))


def _notes(url: str, incident: str) -> list[tuple[int, str, bool]]:
    store = Store(url)
    try:
        with store.read() as session:
            return [tuple(r) for r in session.execute(select(
                IncidentNotification.n, IncidentNotification.to, IncidentNotification.late).where(
                IncidentNotification.incident_id == incident).order_by(IncidentNotification.n)).all()]
    finally:
        store.dispose()


def _hms(span: timedelta) -> str:
    seconds = int(span.total_seconds())
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def test_the_list_shows_every_incident_with_its_countdown(console: Console) -> None:
    page = console.client("demo-compliance").get("/console/incidents")
    assert page.status_code == 200, page.text
    rows = _rows(page.text)
    assert set(rows) == ALL
    assert rows["inc-qinghe-laptop"] == "overdue"  # discovered 37 h before the page's clock, never told
    assert rows["mr-hengyuan-visit"] == "due"
    assert rows["inc-hengyuan-misdirected-mail"] == "met late"  # told 6 h late: met, and marked late
    assert (_count(page.text, "overdue"), _count(page.text, "due"), _count(page.text, "met")) == (1, 1, 3)
    # The countdown off the page's clock: about 15 h left to the 48 h of the visit (discovered 06:00 the day before,
    # the clock near 15:00 — a one-time-code sign-in on this world moves it on by 30 s), the laptop 13 h over its 24 h.
    now = console.clock()
    with Store(console.url).read() as session:
        found = {i.id: i.discovered_at for i in session.scalars(select(Incident))}
    visit = page.text.split('id="incident-mr-hengyuan-visit"', 1)[1].split("</tr>", 1)[0]
    left = found["mr-hengyuan-visit"] + timedelta(hours=48) - now
    assert 'role="timer"' in visit and f"<b>{_hms(left)}</b>" in visit and "data-due=" in visit
    assert timedelta(hours=14) < left <= timedelta(hours=15)
    laptop = page.text.split('id="incident-inc-qinghe-laptop"', 1)[1].split("</tr>", 1)[0]
    assert "已超时" in laptop and f"<b>{_hms(now - found['inc-qinghe-laptop'] - timedelta(hours=24))}</b>" in laptop
    assert "迟报" in page.text and "+6.0 h" in page.text
    assert "/static/incidents.js" in page.text
    # the most urgent first
    assert list(rows)[0] == "inc-qinghe-laptop"


def test_filters_and_english(console: Console) -> None:
    client = console.client("demo-auditor")
    assert set(_rows(client.get("/console/incidents?state=met").text)) == {
        "inc-qinghe-phone-lost", "inc-hengyuan-misdirected-mail", "mr-anti-collection-wave"}
    assert set(_rows(client.get("/console/incidents?kind=major_risk").text)) == {
        "mr-anti-collection-wave", "mr-hengyuan-visit"}
    assert set(_rows(client.get("/console/incidents?agency=hengyuan").text)) == HENGYUAN_OWN
    assert set(_rows(client.get("/console/incidents?q=laptop").text)) == {"inc-qinghe-laptop"}
    english = client.get("/console/incidents?lang=en")
    assert "Incidents" in english.text and "overdue by" in english.text


def test_an_agency_operator_sees_its_own_agencys_incidents_only(console: Console) -> None:
    for user, own in (("demo-agency", QINGHE_OWN), ("demo-agency-2", HENGYUAN_OWN)):
        client = console.client(user)
        assert set(_rows(client.get("/console/incidents").text)) == own, user
        for other in ALL - own:
            for suffix in ("", "/report.pdf", "/report.docx"):
                assert client.get(f"/console/incidents/{other}{suffix}").status_code == 404, (user, other, suffix)
        assert client.get("/console/incidents/no-such-incident").status_code == 404
        mine = client.get(f"/console/incidents/{sorted(own)[0]}")
        assert mine.status_code == 200
        assert 'value="sro"' not in mine.text  # the SRO report is the institution's


def test_one_incident_shows_its_timeline_parts_and_files(console: Console) -> None:
    docx = pytest.importorskip("docx")
    client = console.client("demo-auditor")
    page = client.get("/console/incidents/mr-anti-collection-wave")
    assert page.status_code == 200, page.text
    for heading in ("一、事件原因", "二、目前状况", "三、可能影响", "四、应对措施"):
        assert heading in page.text
    assert "已报送自律组织" in page.text and "某某法律咨询服务有限公司" in page.text
    assert page.text.count('data-kind="') == 4  # discovered, recorded, reported to the SRO, the 48 h deadline
    assert 'id="notify"' not in page.text  # an auditor has no form
    late = client.get("/console/incidents/inc-hengyuan-misdirected-mail")
    assert "迟报" in late.text and "06:00:00" in late.text
    word = client.get("/console/incidents/mr-anti-collection-wave/report.docx")
    assert word.status_code == 200 and "attachment" in word.headers["content-disposition"]
    text = "".join(p.text for p in docx.Document(io.BytesIO(word.content)).paragraphs)
    assert "四、应对措施" in text and "向公安机关报案" in text
    pdf = client.get("/console/incidents/mr-anti-collection-wave/report.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_posts_need_csrf_and_the_right_role(fresh_console: Console) -> None:
    agency = fresh_console.client("demo-agency")
    path = "/console/incidents/inc-qinghe-laptop/notify"
    assert agency.post(path, data={"to": "institution", "csrf_token": "nope"}).status_code == 403
    assert agency.post(path, data={"to": "institution"}).status_code == 403
    assert agency.post(path, data={"to": "sro", **REPORT, "csrf_token": fresh_console.csrf(agency)}).status_code == 403
    auditor = fresh_console.client("demo-auditor")
    assert auditor.post(path, data={"to": "institution", "csrf_token": fresh_console.csrf(auditor)}).status_code == 403
    assert auditor.post("/console/incidents", data={"kind": "pi_breach", "discovered_at": "2026-06-10T09:00",
                                                    "csrf_token": fresh_console.csrf(auditor)}).status_code == 403
    other = fresh_console.client("demo-agency-2")
    assert other.post(path, data={"to": "institution", "csrf_token": fresh_console.csrf(other)}).status_code == 404
    assert _notes(fresh_console.url, "inc-qinghe-laptop") == []


def test_the_agency_tells_the_institution_late_and_it_stays_marked_late(fresh_console: Console) -> None:
    agency = fresh_console.client("demo-agency")
    done = agency.post("/console/incidents/inc-qinghe-laptop/notify",
                       data={"to": "institution", "csrf_token": fresh_console.csrf(agency)}, follow_redirects=False)
    assert done.status_code == 303, done.text
    assert _notes(fresh_console.url, "inc-qinghe-laptop") == [(1, "institution", True)]
    page = agency.get(done.headers["location"])
    assert "已记录告知机构" in page.text and "迟报" in page.text and "+13.0 h" in page.text
    rows = _rows(agency.get("/console/incidents").text)
    assert rows["inc-qinghe-laptop"] == "met late"


def test_the_sro_report_missing_a_part_is_refused_then_sent(fresh_console: Console) -> None:
    client = fresh_console.client("demo-compliance")
    path = "/console/incidents/mr-hengyuan-visit/notify"
    refused = client.post(path, data={"to": "sro", **REPORT, "impact": "  ", "csrf_token": fresh_console.csrf(client)})
    assert refused.status_code == 409
    assert "art24-major-risk-48h" in refused.text and "可能影响" in refused.text
    assert 'name="cause" rows="2" maxlength="2000">上门催收冲突</textarea>' in refused.text  # the form keeps what was typed
    assert [n for n in _notes(fresh_console.url, "mr-hengyuan-visit") if n[1] == "sro"] == []
    sent = client.post(path, data={"to": "sro", **REPORT, "csrf_token": fresh_console.csrf(client)},
                       follow_redirects=False)
    assert sent.status_code == 303
    assert _notes(fresh_console.url, "mr-hengyuan-visit")[-1] == (2, "sro", False)
    page = client.get(sent.headers["location"])
    assert "书面报告已报送自律组织" in page.text and "暂停外访并专项检查" in page.text


def test_an_agency_reports_an_incident_of_its_own_agency(fresh_console: Console) -> None:
    agency = fresh_console.client("demo-agency")
    made = agency.post("/console/incidents", data={
        "kind": "pi_breach", "agency": "hengyuan", "discovered_at": "2026-06-10T14:00",
        "summary": "坐席误发短信", "csrf_token": fresh_console.csrf(agency)}, follow_redirects=False)
    assert made.status_code == 303, made.text
    ident = made.headers["location"].split("/console/incidents/", 1)[1].split("?", 1)[0]
    store = Store(fresh_console.url)
    try:
        with store.read() as session:
            row = session.get(Incident, ident)
            assert row is not None and row.agency_id == "qinghe" and row.kind == "pi_breach"
            assert row.discovered_at.isoformat() == "2026-06-10T06:00:00+00:00"  # 14:00 in Beijing
    finally:
        store.dispose()
    page = agency.get(made.headers["location"])
    assert "事件已登记" in page.text and "<b>23:00:00</b>" in page.text
    compliance = fresh_console.client("demo-compliance")
    refused = compliance.post("/console/incidents", data={"kind": "major_risk", "discovered_at": "2026-06-10T14:00",
                                                          "csrf_token": fresh_console.csrf(compliance)})
    assert refused.status_code == 422 and "category" in refused.text
    future = compliance.post("/console/incidents", data={
        "kind": "major_risk", "category": "other", "discovered_at": "2026-06-10T16:00",
        "csrf_token": fresh_console.csrf(compliance)})
    assert future.status_code == 422
