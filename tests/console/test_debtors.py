"""债务人 The debtor pages per role: finding a debtor by a full number, masked values only, the recorded reveal,
CSRF, an agency operator's scope (only debtors placed with its agency today), and the timeline (every failing
rule with its article, outcomes, holds, repayments, stop notices, refusals, placements, paged newest first)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from collectguard.auth.roles import Principal, Role
from collectguard.auth.service import issue
from collectguard.config import Settings
from collectguard.console.reads import debtors as reads
from collectguard.db.store import Store
from collectguard.debts import repository as repo
from collectguard.debts import service as debts
from collectguard.debts.models import Contact, Debt, Debtor, Placement
from collectguard.debts.schemas import ContactRefusedIn, RepaymentIn
from collectguard.demo.world import build_demo_world
from collectguard.holds import service as holds
from collectguard.holds.schemas import HoldIn
from collectguard.ledger.models import LedgerRecord
from collectguard.privacy.masking import mask_id_number, mask_phone
from collectguard.registry.service import Registry
from collectguard.registry.unit import Units
from tests.console.conftest import DAY, DEBTORS, Console

SHANGHAI = ZoneInfo("Asia/Shanghai")
WORLD = build_demo_world(debtors=DEBTORS, start=DAY)
PEOPLE = {d.id: d for d in WORLD.debtors}


def _placed(url: str, agency: str) -> list[tuple[str, str]]:
    """(debtor, debt) pairs whose debt the agency holds on the world's day, lowest ids first: plain debtors (Beijing
    time, normal, nothing agreed) with a phone number."""
    store = Store(url)
    try:
        with store.read() as session:
            rows = session.execute(
                select(Debt.debtor_id, Debt.id).join(Placement, Placement.debt_id == Debt.id)
                .where(Placement.agency_id == agency, Placement.valid_from <= DAY, Placement.valid_to >= DAY,
                       Debt.institution_id == "lender").order_by(Debt.debtor_id)).all()
            agreed = {a.debtor for a in WORLD.debtor_agreements}
            return [(d, t) for d, t in rows if PEOPLE[d].timezone == "Asia/Shanghai" and PEOPLE[d].phone
                    and PEOPLE[d].status == "normal" and d not in agreed]
    finally:
        store.dispose()


def _ledger(url: str, kind: str) -> list[dict]:
    store = Store(url)
    try:
        with store.read() as session:
            return [json.loads(b) for b in session.execute(
                select(LedgerRecord.body).where(LedgerRecord.kind == kind).order_by(LedgerRecord.seq)).scalars()]
    finally:
        store.dispose()


def _qinghe_debtor(console: Console) -> str:
    return _placed(console.url, "qinghe")[0][0]


# -- finding a debtor, masked values ---------------------------------------------------------------------------
def test_a_full_phone_number_finds_the_debtor_masked(console: Console) -> None:
    client = console.client("demo-compliance")
    debtor = PEOPLE[_qinghe_debtor(console)]
    assert debtor.phone and debtor.id_number
    found = client.post("/console/debtors", data={"q": debtor.phone, "csrf_token": console.csrf(client)})
    assert found.status_code == 200, found.text
    assert f'href="/console/debtors/{debtor.id}"' in found.text and "手机号" in found.text
    assert mask_phone(debtor.phone) in found.text
    assert debtor.phone not in found.text and debtor.id_number not in found.text
    by_id = client.post("/console/debtors", data={"q": debtor.id_number, "csrf_token": console.csrf(client)})
    assert f'href="/console/debtors/{debtor.id}"' in by_id.text and debtor.id_number not in by_id.text
    assert mask_id_number(debtor.id_number) in by_id.text


def test_a_debt_id_or_debtor_id_finds_the_debtor_and_a_number_never_searches_from_a_url(console: Console) -> None:
    client = console.client("demo-auditor")
    debtor, debt = _placed(console.url, "qinghe")[0]
    by_debt = client.get(f"/console/debtors?q={debt}")
    assert by_debt.status_code == 200 and f'href="/console/debtors/{debtor}"' in by_debt.text and "债务编号" in by_debt.text
    phone = PEOPLE[debtor].phone
    assert phone
    by_url = client.get(f"/console/debtors?q={phone}")
    assert by_url.status_code == 200 and 'id="found"' not in by_url.text  # numbers only through the POST form
    nothing = client.post("/console/debtors", data={"q": "13000000000", "csrf_token": console.csrf(client)})
    assert "未找到您可查看的债务人" in nothing.text


def test_the_search_needs_the_csrf_token(console: Console) -> None:
    client = console.client("demo-compliance")
    refused = client.post("/console/debtors", data={"q": "d00001"})
    assert refused.status_code == 403 and "CSRF" in refused.text


def test_the_list_is_masked_and_paged(console: Console) -> None:
    client = console.client("demo-compliance")
    page = client.get("/console/debtors?page=2&sort=id&order=asc")
    assert page.status_code == 200
    assert "d00026" in page.text and "d00025\"" not in page.text
    shown = [d for d in WORLD.debtors[25:50] if d.phone]
    assert shown and all(d.phone not in page.text and mask_phone(d.phone) in page.text for d in shown)
    # the world's debtors and the demo's former debtors whose data a retention run purged (demo/retention.py)
    with Store(console.url).read() as session:
        total = session.scalar(select(func.count()).select_from(Debtor))
    assert total is not None and total >= DEBTORS
    assert f"共 {total}" in page.text or f"{total} rows" in page.text


def test_the_debtor_page_shows_masked_values_only(console: Console) -> None:
    client = console.client("demo-compliance")
    debtor = PEOPLE[_qinghe_debtor(console)]
    assert debtor.phone and debtor.id_number and debtor.name
    page = client.get(f"/console/debtors/{debtor.id}")
    assert page.status_code == 200, page.text
    assert mask_phone(debtor.phone) in page.text and mask_id_number(debtor.id_number) in page.text
    assert debtor.phone not in page.text and debtor.id_number not in page.text and debtor.name not in page.text
    assert "显示明文" in page.text and 'name="reason"' in page.text
    english = client.get(f"/console/debtors/{debtor.id}?lang=en")
    assert "Timeline" in english.text and "Reveal" in english.text
    client.get("/console/?lang=zh")


# -- the reveal -----------------------------------------------------------------------------------------------
def test_a_reveal_with_a_reason_is_recorded_and_shows_the_values(fresh_console: Console) -> None:
    client = fresh_console.client("demo-compliance")
    debtor = PEOPLE[_qinghe_debtor(fresh_console)]
    assert debtor.phone and debtor.id_number
    shown = client.post(f"/console/debtors/{debtor.id}", data={
        "reason": "complaint", "note": f"工单 C-2026-0042 来电 {debtor.phone}", "csrf_token": fresh_console.csrf(client)})
    assert shown.status_code == 200, shown.text
    assert debtor.phone in shown.text and debtor.id_number in shown.text and "已记入账本" in shown.text
    records = [r for r in _ledger(fresh_console.url, "privacy:pii:revealed") if r["subject"] == debtor.id]
    assert len(records) == 1
    body = records[0]["payload"]
    assert body["reason"] == "complaint" and body["role"] == "compliance_officer" and body["key_id"].startswith("user:")
    assert set(body["fields"]) >= {"name", "phone", "id_number"}
    assert debtor.phone not in json.dumps(records, ensure_ascii=False) and body["note"].startswith("工单 C-2026-0042")
    again = client.get(f"/console/debtors/{debtor.id}")  # the next page is masked again, and lists the reveal
    assert debtor.phone not in again.text and "投诉处理" in again.text
    assert not any(debtor.phone in c.value for c in client.cookies.jar if c.value)


def test_a_reveal_needs_csrf_a_reason_and_the_permission(fresh_console: Console) -> None:
    debtor = _qinghe_debtor(fresh_console)
    phone = PEOPLE[debtor].phone
    assert phone
    compliance = fresh_console.client("demo-compliance")
    no_token = compliance.post(f"/console/debtors/{debtor}", data={"reason": "complaint"})
    assert no_token.status_code == 403 and phone not in no_token.text
    no_reason = compliance.post(f"/console/debtors/{debtor}", data={"csrf_token": fresh_console.csrf(compliance)})
    assert no_reason.status_code == 422 and phone not in no_reason.text
    other = compliance.post(f"/console/debtors/{debtor}", data={"reason": "other",
                                                                 "csrf_token": fresh_console.csrf(compliance)})
    assert other.status_code == 422
    auditor = fresh_console.client("demo-auditor")
    page = auditor.get(f"/console/debtors/{debtor}")
    assert page.status_code == 200 and 'name="reason"' not in page.text
    refused = auditor.post(f"/console/debtors/{debtor}", data={"reason": "complaint",
                                                                "csrf_token": fresh_console.csrf(auditor)})
    assert refused.status_code == 403 and phone not in refused.text
    assert _ledger(fresh_console.url, "privacy:pii:revealed") == []


# -- an agency operator's scope ---------------------------------------------------------------------------------
def test_an_agency_operator_sees_only_debtors_placed_with_it(console: Console) -> None:
    agency = console.client("demo-agency")
    mine = _qinghe_debtor(console)
    theirs = _placed(console.url, "hengyuan")[0][0]
    assert agency.get(f"/console/debtors/{theirs}").status_code == 404
    assert console.client("demo-agency-2").get(f"/console/debtors/{mine}").status_code == 404
    page = agency.get(f"/console/debtors/{mine}")
    assert page.status_code == 200
    assert 'name="reason"' not in page.text  # no pii:reveal
    id_number = PEOPLE[mine].id_number
    assert id_number and mask_id_number(id_number) not in page.text  # an agency sees no ID number at all
    assert agency.post(f"/console/debtors/{mine}", data={"reason": "complaint",
                                                         "csrf_token": console.csrf(agency)}).status_code == 403
    phone = PEOPLE[theirs].phone
    assert phone
    found = agency.post("/console/debtors", data={"q": phone, "csrf_token": console.csrf(agency)})
    assert found.status_code == 200 and f"/console/debtors/{theirs}\"" not in found.text
    listed = agency.get("/console/debtors?sort=id&order=asc")
    assert f"/console/debtors/{mine}\"" in listed.text and f"/console/debtors/{theirs}\"" not in listed.text


def test_the_agency_list_finds_what_the_api_finds(console: Console) -> None:
    """reads.agency_debtors (one statement) answers as debts.repository.debtor_filter (placed_now) does."""
    store = Store(console.url)
    at = console.clock.now
    try:
        with Units(store, Settings().ledger_hash).read() as session:
            for agency in ("qinghe", "hengyuan", "qiming"):
                p = Principal("test", Role.AGENCY_OPERATOR, "lender", agency)
                api, total = repo.debtors(session, p, at, 10_000, 0)
                mine, n = reads.debtors_page(session, p, at, sort="id", desc=False, status=None, limit=10_000,
                                             offset=0)
                assert [d.id for d in api] == [d.id for d in mine] and total == n
                assert n > 0 or agency == "qiming"
    finally:
        store.dispose()


# -- the timeline -----------------------------------------------------------------------------------------------
def _integration(console: Console) -> dict[str, str]:
    store = Store(console.url)
    try:
        with store.transaction() as session:
            token = issue(Registry(session, at=console.clock.now), role=Role.INTEGRATION, institution_id="lender").token
    finally:
        store.dispose()
    return {"Authorization": f"Bearer {token}"}


def test_the_timeline_cites_every_rule_and_merges_the_events(fresh_console: Console) -> None:
    debtor, debt = _placed(fresh_console.url, "qinghe")[0]
    api = TestClient(fresh_console.app)  # type: ignore[arg-type]
    key = _integration(fresh_console)
    base = {"collector": "lender-ai-01", "debt": debt, "party": debtor, "channel": "voice", "mode": "notification",
            "tool": "lender-phone-1", "template": "tpl-voice-debtor"}
    start = fresh_console.clock.now
    answers = []
    for i in range(6):  # the fourth call of the day passes the daily cap (art. 15)
        fresh_console.clock.now = start + timedelta(minutes=5 * i)
        r = api.post("/v1/attempts", json={**base, "id": f"tl-{i}"}, headers={**key, "Idempotency-Key": f"tl-{i}"})
        assert r.status_code == 200, r.text
        answers.append(r.json())
        if r.json()["allowed"]:
            out = api.post(f"/v1/attempts/tl-{i}/outcome", json={"connected": True, "duration_s": 42},
                           headers={**key, "Idempotency-Key": f"tl-{i}-o"})
            assert out.status_code == 200, out.text
    fresh_console.clock.now = datetime.combine(DAY, datetime.min.time(), SHANGHAI).replace(hour=23)
    r = api.post("/v1/attempts", json={**base, "id": "tl-night"}, headers={**key, "Idempotency-Key": "tl-night"})
    assert r.status_code == 200 and not r.json()["allowed"]
    night = r.json()
    denied = [a for a in answers if not a["allowed"]] + [night]
    assert denied and all(a["failing_rules"] for a in denied)
    # a hold, a repayment that settles the debt (a stop notice to the agency), a contact's refusal
    fresh_console.clock.now = datetime.combine(DAY, datetime.min.time(), SHANGHAI).replace(hour=23, minute=30)
    store = Store(fresh_console.url)
    contact = None
    try:
        with Units(store, Settings().ledger_hash).write(fresh_console.clock.now) as unit:
            holds.place(unit, HoldIn(id="hold-tl", institution="lender", debtor=debtor, reason="dispute",
                                     note="争议核查"))
            debts.repayment(unit, RepaymentIn(debt=debt, amount="100.00", settled=True))
            contact = unit.session.execute(select(Contact.id).where(Contact.debtor_id == debtor)).scalar()
            if contact is not None:
                debts.contact_refused(unit, ContactRefusedIn(contact=contact))
    finally:
        store.dispose()
    client = fresh_console.client("demo-compliance")
    page = client.get(f"/console/debtors/{debtor}")
    assert page.status_code == 200, page.text
    text = page.text
    for answer in denied:
        for rule in answer["failing_rules"]:
            assert f"<code>{rule}</code>" in text
        for v in answer["violations"]:
            assert v["article"] in text
    assert "art9-quiet-hours" in text and "接通" in text and "42.0 s" in text
    assert "暂停催收" in text and "债务争议" in text and "还款" in text and "停催通知" in text and "委案" in text
    if contact is not None:
        assert "联系人拒绝再被联系" in text
    newest = text.index('id="atl-night"')
    assert newest < text.index('id="atl-0"')  # newest first
    assert text.index("暂停催收") < newest  # the hold came after the night's attempt
    only_denied = client.get(f"/console/debtors/{debtor}?show=denied")
    assert 'id="atl-night"' in only_denied.text and 'id="atl-0"' not in only_denied.text
    # an agency operator sees its own agency's work only: the institution's AI calls are not its
    agency = fresh_console.client("demo-agency").get(f"/console/debtors/{debtor}")
    assert agency.status_code in (200, 404)  # settled and held, yet still placed: visible
    if agency.status_code == 200:
        assert 'id="atl-0"' not in agency.text and "hold-tl" not in agency.text


def test_the_timeline_pages_newest_first(fresh_console: Console) -> None:
    debtor, debt = _placed(fresh_console.url, "qinghe")[0]
    store = Store(fresh_console.url)
    at = fresh_console.clock.now
    rows = []
    try:
        from collectguard.gate.models import AttemptRow
        with store.transaction() as session:
            for i in range(60):
                rows.append(AttemptRow(
                    id=f"pg-{i:03d}", decision_id=f"00000000-0000-0000-0000-{i:012d}", institution_id="lender",
                    debt_id=debt, collector_id="lender-ai-01", party_id=debtor, party_kind="debtor",
                    debtor_id=debtor, channel="sms", mode="notification", at=at - timedelta(hours=i),
                    allowed=i % 3 != 0, failing=[] if i % 3 else ["art9-quiet-hours"], lease_state="none",
                    request={"tool": "lender-sms-1"}, decision={}))
            session.add_all(rows)
    finally:
        store.dispose()
    client = fresh_console.client("demo-auditor")
    first = client.get(f"/console/debtors/{debtor}")
    assert first.status_code == 200
    assert 'id="apg-000"' in first.text and 'id="apg-020"' in first.text and 'id="apg-030"' not in first.text
    assert "第9条" in first.text or "第9" in first.text  # the article of art9-quiet-hours, from the rulebook
    second = client.get(f"/console/debtors/{debtor}?page=2&show=attempts")
    assert 'id="apg-025"' in second.text and 'id="apg-000"' not in second.text
    last = client.get(f"/console/debtors/{debtor}?page=3&show=attempts")
    assert 'id="apg-059"' in last.text and 'id="apg-049"' not in last.text
    denied = client.get(f"/console/debtors/{debtor}?show=denied&page=1")
    assert 'id="apg-000"' in denied.text and 'id="apg-001"' not in denied.text


@pytest.mark.parametrize("user", ["demo-agency-admin"])
def test_who_may_not_read_the_registry_sees_no_debtors(console: Console, user: str) -> None:
    page = console.client(user).get("/console/debtors")
    assert page.status_code == 403


def test_reads_record_who_looked(fresh_console: Console) -> None:
    debtor = _qinghe_debtor(fresh_console)
    fresh_console.client("demo-auditor").get(f"/console/debtors/{debtor}")
    reads_ = {r["payload"]["entity"]: r["payload"] for r in _ledger(fresh_console.url, "privacy:pii:read")
              if r["subject"] == debtor}
    assert reads_["debtor"]["role"] == "auditor" and reads_["debtor"]["ids"] == [debtor]
    assert reads_["debtor"]["key_id"].startswith("user:")
    if "contact" in reads_:
        assert all(c.startswith(debtor) for c in reads_["contact"]["ids"])
