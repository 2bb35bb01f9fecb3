"""The anti-collection signals in the database (complaints/signal_store.py), through `complaints.service.register`
as every channel runs it, on SQLite and PostgreSQL: a cluster found, unrelated complaints not flagged, review in the
ledger, and nothing personal in the ledger or in the signals' tables (keyed hashes and signatures only)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from collectguard.complaints import signal_store as store_
from collectguard.complaints import signals as s
from collectguard.complaints.models import Complaint
from collectguard.complaints.schemas import ComplaintIn
from collectguard.complaints.signal_models import ComplaintSignal, ComplaintSignature, ComplaintTextBand
from collectguard.errors import CollectGuardError
from collectguard.ledger.models import LedgerRecord
from collectguard.ledger.service import verify
from collectguard.registry import schemas as rs
from collectguard.registry.events import Events
from collectguard.registry.service import Registry
from collectguard.registry.unit import Unit
from tests.complaints.test_signals import TEMPLATE, UNRELATED
from tests.factories import at

T0 = at("2026-03-02 09:00")
PROXY = "某某法律咨询服务有限公司"
PHONE = "13800138000"
NAMES = ["张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "赵敏", "黄勇"]


@pytest.fixture
def events(store):
    debtors = [{"id": f"d{i}", "name": f"债务人{i}", "phone": f"1060000{i:04d}"}
               for i in range(1, 13)]
    with store.transaction() as session:
        Registry(session, at=at("2026-01-01 09:00")).load_world(rs.World.model_validate({
            "institutions": [{"id": "bank", "since": "2025-06-01"}, {"id": "other", "since": "2025-06-01"}],
            "debtors": debtors,
        }))
    return Events(store)


def mass(events, i, *, debtor=None, institution="bank", days=0, proxy=PROXY, phone=PHONE, body=None):
    data = ComplaintIn(id=f"m{i}", institution=institution, debtor=debtor or f"d{i}", channel="letter",
                       proxy={"name": proxy, "authorisation": False} if proxy else None,
                       complainant_name=NAMES[i % len(NAMES)], complainant_phone=phone,
                       text=body or TEMPLATE.format(name=NAMES[i % len(NAMES)], amount=1000 * i, n=12 + i, d=7))
    return events.complaint(data, T0 + timedelta(days=days, hours=i))


def plain(events, i, body, *, debtor=None, days=0):
    data = ComplaintIn(id=f"p{i}", institution="bank", debtor=debtor or f"d{i}", channel="phone",
                       complainant_phone=f"1390000{i:04d}", text=body)
    return events.complaint(data, T0 + timedelta(days=days, hours=i))


def signals_of(event):
    return {f["signal"]: f for f in event.detail["signals"]}


def test_a_mass_produced_cluster_is_flagged_and_unrelated_complaints_are_not(events, store):
    first, second = mass(events, 1), mass(events, 2)
    assert set(signals_of(first)) == set(signals_of(second)) == {"phrases"}  # two debtors: not yet
    third = signals_of(mass(events, 3))
    assert set(third) == {"shared_proxy", "shared_phone", "near_duplicate_text", "phrases"}
    assert third["shared_phone"]["value_hint"] == "138****8000"
    assert third["shared_proxy"]["value_hint"] == "某" + "*" * (len(PROXY) - 1)
    assert third["shared_phone"]["shared_with"] == ["m1", "m2"] and third["shared_phone"]["debtors"] == 3
    assert third["near_duplicate_text"]["value_hint"].startswith("相似度 similarity")
    for i, body in enumerate(UNRELATED, start=5):
        assert plain(events, i, body).detail["signals"] == []
    with store.read() as session:
        [cluster] = store_.clusters(session, "bank")
        assert cluster.complaints == ["m1", "m2", "m3"] and cluster.debtors == 3 and cluster.status == "open"
        assert cluster.signals == {"near_duplicate_text": 1, "phrases": 3, "shared_phone": 1, "shared_proxy": 1}
        # m1 was flagged for phrases only, yet it belongs to the flags raised on m3.
        assert {f.signal for f in store_.flags_of(session, "m1")} == {"phrases", "shared_proxy", "shared_phone",
                                                                       "near_duplicate_text"}
        assert store_.flags_of(session, "p5") == []
        assert sorted(c for c, _ in store_.near_duplicates(session, "bank", "m3")) == ["m1", "m2"]
        assert verify(session).ok


def test_the_same_debtor_and_another_institution_do_not_make_a_cluster(events, store):
    for i in (1, 2, 3):
        mass(events, i, debtor="d1", body=f"第{i}次投诉：" + UNRELATED[0])  # one debtor, three times
    assert set(signals_of(mass(events, 4, institution="other", debtor="d4"))) == {"phrases"}
    with store.read() as session:
        assert store_.clusters(session, "bank") == [] and store_.clusters(session, "other") == []
        assert store_.flags(session, "bank")[1] == 0


def test_a_text_template_with_swapped_names_and_amounts_is_found_without_any_shared_value(events, store):
    for i in (1, 2, 3):
        event = mass(events, i, proxy=None, phone=f"1390000000{i}")
    assert set(signals_of(event)) == {"near_duplicate_text", "phrases"}
    with store.read() as session:
        assert [c.complaints for c in store_.clusters(session, "bank")] == [["m1", "m2", "m3"]]


def test_a_complaint_outside_the_window_is_not_counted(events):
    mass(events, 1, days=0)
    mass(events, 2, days=91)
    assert "shared_phone" not in signals_of(mass(events, 3, days=91))
    assert "shared_phone" in signals_of(mass(events, 4, days=92))


def test_review_confirms_or_dismisses_with_who_and_why_in_the_ledger(events, store):
    for i in (1, 2, 3):
        mass(events, i)
    with store.read() as session:
        flags, total = store_.flags(session, "bank", status="open")
        phone = next(f for f in flags if f.signal == "shared_phone")
        text_flag = next(f for f in flags if f.signal == "near_duplicate_text")
    with store.transaction() as session:
        unit = Unit(session, at=T0 + timedelta(days=2))
        store_.review(unit, phone.id, "confirmed", "同一代理机构批量代投诉", by="u-compliance", institution="bank")
        store_.review(unit, text_flag.id, "dismissed", "模板来自公开的投诉指引", by="u-compliance")
        with pytest.raises(CollectGuardError) as wrong:
            store_.review(unit, phone.id, "rejected", "x", by="u")
        assert wrong.value.field == "decision"
        with pytest.raises(CollectGuardError) as empty:
            store_.review(unit, phone.id, "dismissed", "  ", by="u")
        assert empty.value.field == "reason"
        with pytest.raises(CollectGuardError) as foreign:
            store_.review(unit, phone.id, "dismissed", "x", by="u", institution="other")
        assert foreign.value.status == 404
    with store.read() as session:
        row = session.get(ComplaintSignal, phone.id)
        assert (row.status, row.reviewed_by, row.review_reason) == ("confirmed", "u-compliance", "同一代理机构批量代投诉")
        [cluster] = store_.clusters(session, "bank", status="confirmed")
        assert "near_duplicate_text" not in cluster.signals  # dismissed flags connect nothing
        assert store_.clusters(session, "bank", status="open") == []
        reviewed = session.execute(select(LedgerRecord).where(
            LedgerRecord.kind == "complaint:signal:reviewed")).scalars().all()
        assert [json.loads(r.body).get("payload", {}).get("decision") for r in reviewed] == ["confirmed", "dismissed"]
        assert verify(session).ok


def test_examining_again_raises_nothing_new(events, store):
    for i in (1, 2, 3):
        mass(events, i)
    with store.transaction() as session:
        row = session.get(Complaint, "m3")
        assert store_.examine(Unit(session, at=T0 + timedelta(days=1)), row) == []
        assert store_.rebuild_bands(session, "bank") == 3
    with store.read() as session:
        assert store_.flags(session, "bank")[1] == 3 + 3  # phrases ×3, proxy, phone, text on m3
        assert len(session.execute(select(ComplaintTextBand)).all()) == 3 * 14


def test_forget_removes_signatures_bands_and_keys_but_keeps_the_flags(events, store):
    for i in (1, 2, 3):
        mass(events, i)
    with store.transaction() as session:
        assert store_.forget(session, ["m1", "m3"]) == 2
    with store.read() as session:
        assert session.get(ComplaintSignature, "m1") is None and session.get(ComplaintSignature, "m2") is not None
        assert {r.complaint_id for r in session.execute(select(ComplaintTextBand)).scalars()} == {"m2"}
        flags = store_.flags(session, "bank")[0]
        assert len(flags) == 6 and all(f.key is None for f in flags if f.complaint_id == "m3")
        assert {f.signal for f in flags if f.complaint_id == "m3"} >= {"shared_phone", "shared_proxy"}


def test_nothing_personal_in_the_ledger_or_the_signal_tables(events, store):
    for i in (1, 2, 3):
        mass(events, i)
    secrets = [PROXY, PHONE, "138****8000", "停息挂账", *NAMES[1:4]]
    with store.read() as session:
        records = session.execute(select(LedgerRecord)).scalars().all()
        bodies = [json.dumps(json.loads(r.body), ensure_ascii=False) for r in records]
        tables = []
        for table in ("complaint_signatures", "complaint_text_bands", "complaint_signals", "complaint_signal_members"):
            tables += [repr(tuple(row)) for row in session.execute(text(f"SELECT * FROM {table}"))]
        flags = session.execute(select(ComplaintSignal)).scalars().all()
    for secret in secrets:
        assert not any(secret in b for b in bodies), secret
        assert not any(secret in t for t in tables), secret
    raised = [json.loads(r.body) for r in records if r.kind == "complaint:signal:raised"]
    assert len(raised) == 6 and all(set(r.get("payload", r)) <= {"flag", "complaint", "signal", "field", "shared_with", "debtors", "phrases",
                                     "similarity", "thresholds"} for r in raised)
    # The shared keys are the complaints' own keyed hashes (64 hex), not values.
    assert all(f.key is None or len(f.key) == 64 for f in flags)
    assert s.SIGNATURE_BYTES == 512
