"""Incidents' services through `Events` (as a scenario or an import runs them), on SQLite and PostgreSQL: what the
scenario format cannot say — refusal details, late notices and by how much, the countdown, the ledger, and the
written report (art. 24) as DOCX and PDF with its four parts."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from collectguard.errors import CollectGuardError, Refused
from collectguard.incidents import report_files, service
from collectguard.incidents import repository as repo
from collectguard.incidents.models import Incident, IncidentNotification
from collectguard.incidents.schemas import IncidentIn, IncidentNotifiedIn
from collectguard.ledger.models import LedgerRecord
from collectguard.ledger.service import verify
from collectguard.registry import schemas as s
from collectguard.registry.events import Events
from collectguard.registry.service import Registry
from tests.factories import at

REPORT = {"cause": "外包机构员工违规导出客户名单", "state": "涉事账号已冻结", "impact": "约两千名客户信息可能外泄",
          "measures": "通知受影响客户并报案"}


@pytest.fixture
def events(store):
    with store.transaction() as session:
        Registry(session, at=at("2026-01-01 09:00")).load_world(s.World.model_validate({
            "institutions": [{"id": "bank", "name": "示例消费金融公司", "since": "2025-06-01"}],
            "agencies": [{"id": "agA", "name": "甲催收服务公司"}],
            "agreements": [{"id": "ag1", "institution": "bank", "agency": "agA", "from": "2026-01-01",
                            "to": "2026-12-31"}],
        }))
    return Events(store)


def major(events: Events, ident: str = "mr1", discovered: str = "2026-03-01 08:00", when: str = "2026-03-01 09:00",
          **extra) -> None:
    events.incident(IncidentIn.model_validate({"id": ident, "institution": "bank", "kind": "major_risk",
                                               "category": "pi_leak", "discovered_at": at(discovered), **extra}),
                    at(when))


def test_a_report_missing_parts_is_refused_naming_each_and_changes_nothing(events, store):
    major(events)
    with pytest.raises(Refused) as refused:
        events.incident_notified(IncidentNotifiedIn.model_validate(
            {"incident": "mr1", "to": "sro", "report": {**REPORT, "impact": " \n ", "measures": ""}}),
            at("2026-03-02 09:00"))
    assert refused.value.rules == ["art24-major-risk-48h"]
    assert refused.value.field == "report"
    assert "可能影响" in refused.value.message_zh and "应对措施" in refused.value.message_zh
    assert "事件原因" not in refused.value.message_zh.split("缺少")[1]
    assert "impact" in refused.value.message_en and "measures" in refused.value.message_en
    assert refused.value.details and refused.value.details[0]["article"] == "24"
    with store.read() as session:
        assert repo.notifications(session, ["mr1"])["mr1"] == []
        assert session.get(Incident, "mr1").status == "open"


def test_a_late_report_is_accepted_met_and_stays_marked_late(events, store):
    major(events)
    out = events.incident_notified(IncidentNotifiedIn.model_validate({"incident": "mr1", "to": "sro",
                                                                      "report": REPORT}), at("2026-03-03 11:30"))
    assert out.detail["late"] is True and out.detail["late_hours"] == 3.5
    assert out.detail["meets"] == "art24-major-risk-48h" and out.detail["status"] == "reported"
    with store.read() as session:
        row = session.get(Incident, "mr1")
        seen = service.views(session, [row], at("2026-03-10 09:00"))[0]
    assert seen.deadline is not None
    assert (seen.deadline.status, seen.deadline.late, seen.deadline.late_seconds) == ("met", True, 12_600)
    assert seen.deadline.due_at == at("2026-03-03 08:00")
    assert seen.notifications[0].late and seen.notifications[0].cause == REPORT["cause"]


def test_the_countdown_runs_to_the_second(events, store):
    events.incident(IncidentIn(id="b1", institution="bank", agency="agA", kind="pi_breach",
                               discovered_at=at("2026-03-01 08:00")), at("2026-03-01 09:00"))
    with store.read() as session:
        row = session.get(Incident, "b1")
        on_time = service.deadline(session, row, [], at("2026-03-02 08:00"))
        late = service.deadline(session, row, [], at("2026-03-02 08:00") + timedelta(seconds=1))
        early = service.deadline(session, row, [], at("2026-03-01 20:00"))
    assert on_time and (on_time.status, on_time.remaining_seconds, on_time.hours) == ("due", 0, 24)
    assert late and (late.status, late.remaining_seconds) == ("overdue", -1)
    assert early and early.remaining_seconds == 12 * 3600 and early.obligation == "art21-breach-24h"
    assert early.article == "21(二)"


def test_inputs_the_service_refuses(events):
    with pytest.raises(CollectGuardError) as no_category:
        events.incident(IncidentIn(id="x1", institution="bank", kind="major_risk",
                                   discovered_at=at("2026-03-01 08:00")), at("2026-03-01 09:00"))
    assert (no_category.value.status, no_category.value.field) == (422, "category")
    with pytest.raises(CollectGuardError) as breach_category:
        events.incident(IncidentIn(id="x2", institution="bank", agency="agA", kind="pi_breach", category="pi_leak",
                                   discovered_at=at("2026-03-01 08:00")), at("2026-03-01 09:00"))
    assert breach_category.value.field == "category"
    with pytest.raises(CollectGuardError) as future:
        events.incident(IncidentIn(id="x3", institution="bank", kind="pi_breach",
                                   discovered_at=at("2026-03-01 10:00")), at("2026-03-01 09:00"))
    assert future.value.field == "discovered_at"
    with pytest.raises(CollectGuardError) as unknown:
        events.incident(IncidentIn(id="x4", institution="bank", agency="nope", kind="pi_breach",
                                   discovered_at=at("2026-03-01 08:00")), at("2026-03-01 09:00"))
    assert (unknown.value.status, unknown.value.field) == (404, "agency")
    major(events)
    with pytest.raises(CollectGuardError) as twice:
        major(events)
    assert twice.value.status == 409
    with pytest.raises(CollectGuardError) as missing:
        events.incident_notified(IncidentNotifiedIn(incident="nope", to="institution"), at("2026-03-01 10:00"))
    assert missing.value.status == 404


def test_the_ledger_holds_hashes_not_the_report_text(events, store):
    major(events, summary="客户张三的资料被导出")
    events.incident_notified(IncidentNotifiedIn.model_validate({"incident": "mr1", "to": "sro", "report": REPORT}),
                             at("2026-03-02 09:00"))
    with store.read() as session:
        records = list(session.execute(select(LedgerRecord).where(LedgerRecord.subject == "mr1")
                                       .order_by(LedgerRecord.seq)).scalars())
        assert verify(session).ok
    assert [r.kind for r in records] == ["incident:incident:reported", "incident:incident:notified"]
    text = " ".join(r.body for r in records)
    assert "张三" not in text and REPORT["cause"] not in text
    payload = json.loads(records[1].body)
    parts = (payload.get("payload") or payload)["parts"]
    assert set(parts) == {"cause", "state", "impact", "measures"} and parts["cause"].startswith("sha256:")


def test_the_written_report_as_docx_and_pdf_has_its_four_parts(events, store):
    docx = pytest.importorskip("docx")
    pypdf = pytest.importorskip("pypdf")
    major(events, agency="agA")
    events.incident_notified(IncidentNotifiedIn.model_validate({"incident": "mr1", "to": "sro", "report": REPORT}),
                             at("2026-03-02 09:00"))
    with store.read() as session:
        row = session.get(Incident, "mr1")
        made_docx = report_files.render(session, row, at("2026-03-05 09:00"), "docx")
        made_pdf = report_files.render(session, row, at("2026-03-05 09:00"), "pdf")
        again = report_files.render(session, row, at("2026-03-06 09:00"), "pdf")
    assert made_pdf == again  # the same record makes the same file (the report's date is when it was sent)
    with store.read() as session:
        assert report_files.render(session, session.get(Incident, "mr1"), at("2026-03-07 09:00"), "docx") == made_docx
    document = docx.Document(io.BytesIO(made_docx))
    text = "\n".join(p.text for p in document.paragraphs) + "\n".join(
        c.text for t in document.tables for r in t.rows for c in r.cells)
    pdf = "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(made_pdf)).pages)
    for found in (text, pdf):
        for heading in ("一、事件原因", "二、目前状况", "三、可能影响", "四、应对措施"):
            assert heading in found
        for part in REPORT.values():
            assert part in found.replace("\n", "")
        assert "重大风险事件书面报告" in found and "mr1" in found and "示例消费金融公司" in found
        assert "北京时间" in found and "UTC" in found and "严重个人信息泄露" in found
        assert "2026-03-02 09:00:00 北京时间 (UTC+8) / 2026-03-02 01:00:00 UTC" in found.replace("\n", " ")
        assert "负责人" in found


def test_a_draft_report_marks_parts_to_complete(events, store):
    docx = pytest.importorskip("docx")
    major(events)
    with store.read() as session:
        made = report_files.render(session, session.get(Incident, "mr1"), at("2026-03-01 10:00"), "docx")
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(made)).paragraphs)
    assert text.count(report_files.TO_COMPLETE) == 4 and "草稿 DRAFT" in text


def test_follow_up_notices_are_numbered(events, store):
    major(events, agency="agA")
    events.incident_notified(IncidentNotifiedIn(incident="mr1", to="institution"), at("2026-03-01 10:00"))
    events.incident_notified(IncidentNotifiedIn.model_validate({"incident": "mr1", "to": "sro", "report": REPORT}),
                             at("2026-03-01 11:00"))
    with store.read() as session:
        notes = session.execute(select(IncidentNotification.n, IncidentNotification.to, IncidentNotification.late)
                                .order_by(IncidentNotification.n)).all()
    assert [tuple(n) for n in notes] == [(1, "institution", False), (2, "sro", False)]


def test_the_calendar_item_carries_its_instant_and_its_local_day(events, store):
    from collectguard.oversight.calendar import obligations

    events.incident(IncidentIn(id="b1", institution="bank", agency="agA", kind="pi_breach",
                               discovered_at=at("2026-03-01 20:00")), at("2026-03-01 21:00"))
    with store.read() as session:
        item = next(i for i in obligations(session, "bank", at("2026-03-02 09:00")) if i.subject == "b1")
    assert (item.key, item.status, item.subject_kind) == ("art21-breach-24h:b1", "due", "incident")
    assert item.due_at == at("2026-03-02 20:00") and str(item.due_date) == "2026-03-02"
    assert [e.kind for e in item.evidence] == ["incident:reported"]
