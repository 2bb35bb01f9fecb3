"""Issue 13: an agency's periodic complaint report to the institution (art. 22), generated from the records —
`complaints.report.agency_report` and GET/POST /v1/agencies/{id}/complaint-report per role, on SQLite and
PostgreSQL. Submitting records the figures in the ledger, never a name, a number or a complaint id."""

from __future__ import annotations

import json
from decimal import Decimal

from sqlalchemy import select

from collectguard.complaints import report, service
from collectguard.complaints.schemas import ComplaintAssignIn, ComplaintIn, ComplaintResolvedIn
from collectguard.complaints.signal_models import ComplaintSignal, ComplaintSignalMember
from collectguard.ledger.models import LedgerRecord
from collectguard.oversight.schemas import StaffIn
from collectguard.oversight.service import add_staff
from collectguard.registry.unit import Units
from tests.factories import at
from tests.monitoring.conftest import mon  # noqa: F401  (the monitoring world's API, re-exported)

URL = "/v1/agencies/agA/complaint-report?from=2026-05-01&to=2026-05-31"


def _register(units: Units, when: str, ident: str, channel: str, **kw: object) -> None:
    with units.write(at(when)) as unit:
        service.register(unit, ComplaintIn.model_validate({"id": ident, "institution": "bank", "channel": channel,
                                                           **kw}))


def _answer(units: Units, when: str, ident: str, cause: str | None) -> None:
    with units.write(at(when)) as unit:
        service.assign(unit, ComplaintAssignIn(complaint=ident, investigator="bank-compliance"))
    with units.write(at(when)) as unit:
        service.resolve(unit, ComplaintResolvedIn(complaint=ident, root_cause=cause, result="已处理"))


def _world(mon) -> Units:  # type: ignore[no-untyped-def]  # noqa: F811
    """agA: r1 (named, answered on time with a rule), r2 (its collector c1, by a proxy without authorisation,
    answered late with two rules), r3 (c1, overdue), r4 (named, open), r7 (named, answered at once, a cause in
    words); not counted: r5 (agB's collector), r6 (before the period), r8 (another institution's). Two attempts
    by agA's collector; a signal raised on r3."""
    units: Units = mon.client.app.state.units
    with units.write(at("2026-04-01 09:00")) as unit:
        add_staff(unit, StaffIn(id="bank-compliance", org="bank", role="compliance", name="合规 王"))
    mon.ask("2026-05-20 09:00", "a1")
    mon.ask("2026-05-20 09:30", "a2")
    _register(units, "2026-05-01 10:00", "r1", "phone", agency="agA", complainant_name="赵一",
              complainant_phone="13700137000")
    _register(units, "2026-05-02 10:00", "r2", "email", collector="c1", proxy={"name": "钱代理", "authorisation": False})
    _register(units, "2026-05-03 10:00", "r3", "web", collector="c1")
    _register(units, "2026-05-15 10:00", "r4", "letter", agency="agA")
    _register(units, "2026-05-05 10:00", "r7", "regulator", agency="agA")
    _register(units, "2026-05-04 10:00", "r5", "phone", collector="cB")
    _register(units, "2026-04-20 10:00", "r6", "phone", agency="agA")
    _answer(units, "2026-05-10 10:00", "r1", "art9-quiet-hours")
    _answer(units, "2026-05-25 10:00", "r2", "art9-quiet-hours art16-etiquette 夜间多次来电")
    _answer(units, "2026-05-06 10:00", "r7", "沟通不畅")
    with units.write(at("2026-05-04 10:00")) as unit:  # as signal_store.examine leaves a flag
        flag = ComplaintSignal(institution_id="bank", complaint_id="r5", signal="shared_phone", shared_with=["r3"],
                               debtors=3, detail={}, status="open", raised_at=at("2026-05-04 10:00"), ledger_seq=1)
        unit.session.add(flag)
        unit.session.flush()
        unit.session.add_all([ComplaintSignalMember(signal_id=flag.id, complaint_id=c) for c in ("r5", "r3")])
    with units.write(at("2026-05-05 10:00")) as unit:
        service.register(unit, ComplaintIn.model_validate({"id": "r8", "institution": "bank2", "channel": "phone",
                                                           "agency": "agA"}))
    return units


def test_the_report_from_the_records(mon) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    units = _world(mon)
    with units.read() as session:
        r = report.agency_report(session, "bank", "agA", at("2026-05-01 00:00").date(), at("2026-05-31 00:00").date(),
                                 at=at("2026-05-26 12:00"))
    assert r.agencies == ["agA"] and r.zone == "Asia/Shanghai"
    assert r.complaint_ids == ["r1", "r2", "r3", "r7", "r4"]
    assert r.complaints == 5
    assert r.by_channel == {"phone": 1, "email": 1, "letter": 1, "web": 1, "regulator": 1}
    assert r.by_status == {"registered": 2, "verified": 0, "investigating": 0, "resolved": 3}
    assert (r.answered_on_time, r.answered_late, r.open, r.overdue) == (2, 1, 1, 1)
    assert r.median_days_to_answer == 9.0  # 9 (r1), 23 (r2), 1 (r7)
    assert [(c.rule, c.complaints) for c in r.root_causes] == [("art9-quiet-hours", 2), ("art16-etiquette", 1)]
    assert r.root_causes[0].article and r.root_causes[0].title_zh != "art9-quiet-hours"
    assert r.root_causes_text_only == 1
    assert r.attempts == 2 and r.complaints_per_1000_attempts == Decimal("2500.00")
    assert (r.recusals, r.proxy_warnings) == (3, 1)  # r1, r4, r7 name the agency: the institution investigates
    # the flag raised on agB's r5 names agA's r3 among those sharing it: r3 is flagged, no signal raised on agA's
    assert (r.signals, r.signals_by_kind, r.flagged_complaints) == (0, {}, 1)
    # the same period as it stood on 05-10 at noon: r2 not answered yet, and nothing overdue
    with units.read() as session:
        early = report.agency_report(session, "bank", "agA", at("2026-05-01 00:00").date(),
                                     at("2026-05-31 00:00").date(), at=at("2026-05-10 12:00"))
    assert (early.answered_on_time, early.answered_late, early.open, early.overdue) == (2, 0, 3, 0)
    assert early.by_status == {"registered": 3, "verified": 0, "investigating": 0, "resolved": 2}
    # agB's: the complaint about its collector only
    with units.read() as session:
        b = report.agency_report(session, "bank", "agB", at("2026-05-01 00:00").date(), at("2026-05-31 00:00").date(),
                                 at=at("2026-05-26 12:00"))
    assert b.complaint_ids == ["r5"] and b.open == 0 and b.overdue == 1
    assert (b.signals, b.signals_by_kind, b.flagged_complaints) == (1, {"shared_phone": 1}, 1)


def test_the_report_over_http_per_role(mon) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    _world(mon)
    mon.clock.now = at("2026-05-26 12:00")
    r = mon.client.get(URL, headers=mon.h("auditor"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["from"], body["to"], body["complaints"], body["overdue"]) == ("2026-05-01", "2026-05-31", 5, 1)
    assert body["complaints_per_1000_attempts"] in ("2500.00", 2500.0)
    # an agency's operator: its own only; another agency's report is not found, like an unknown agency
    assert mon.client.get(URL, headers=mon.h("agency_operator")).json()["complaints"] == 5
    assert mon.client.get(URL, headers=mon.h("agB_operator")).status_code == 404
    assert mon.client.get("/v1/agencies/nobody/complaint-report", headers=mon.h("auditor")).status_code == 404
    assert mon.client.get(URL, headers=mon.h("integration")).status_code == 403
    # another institution reads its own complaints about agA only
    assert mon.client.get(URL, headers=mon.h("bank2_admin")).json()["complaint_ids"] == ["r8"]
    # the period is checked; the default is the last 30 days to today
    bad = mon.client.get("/v1/agencies/agA/complaint-report?from=2026-05-31&to=2026-05-01", headers=mon.h("auditor"))
    assert bad.status_code == 422
    default = mon.client.get("/v1/agencies/agA/complaint-report", headers=mon.h("auditor")).json()
    assert (default["from"], default["to"]) == ("2026-04-27", "2026-05-26") and default["complaints"] == 5


def test_submitting_records_the_figures_without_personal_data(mon) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    units = _world(mon)
    mon.clock.now = at("2026-05-31 18:00")
    assert mon.client.post(URL, headers=mon.h("auditor")).status_code == 403  # no oversight:report
    assert mon.client.post(URL, headers=mon.h("agB_operator")).status_code == 404
    sent = mon.client.post(URL, headers=mon.h("agency_operator"), json={"note": "五月报告"})
    assert sent.status_code == 201, sent.text
    out = sent.json()
    assert out["figures"]["complaints"] == 5 and out["from"] == "2026-05-01" and out["ledger_seq"] > 0
    again = mon.client.post(URL, headers=mon.h("compliance_officer"))  # a correction: both are kept
    assert again.status_code == 201
    listed = mon.client.get("/v1/agencies/agA/complaint-reports", headers=mon.h("agency_operator")).json()
    assert [x["ledger_seq"] for x in listed] == [again.json()["ledger_seq"], out["ledger_seq"]]
    assert mon.client.get("/v1/agencies/agA/complaint-reports", headers=mon.h("agB_operator")).status_code == 404
    with units.read() as session:
        rows = session.execute(select(LedgerRecord.subject, LedgerRecord.body).where(
            LedgerRecord.kind == "complaint:agency-report:made").order_by(LedgerRecord.seq)).all()
    assert [s for s, _ in rows] == ["agA:2026-05-01:2026-05-31"] * 2
    payload = json.loads(rows[0][1])["payload"]
    assert payload["figures"]["overdue"] == 2  # r3 and r4 (due 05-30) and payload["note"] == "五月报告"
    for secret in ("赵一", "13700137000", "钱代理", "r1", "r2"):
        assert secret not in rows[0][1], secret
