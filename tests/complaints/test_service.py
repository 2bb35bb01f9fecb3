"""Complaints' services through `Events` and a `Unit` (as a scenario, the API and the CLI run them), on SQLite and
PostgreSQL: what the scenario format cannot say — encryption at rest and keyed hashes, what the ledger holds (never
personal data), the proxy warning cleared at verification, extensions, root causes, refusals' articles, tenancy of
the investigator, the retention purge."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import select

from collectguard.complaints import service
from collectguard.complaints.models import Complaint, ComplaintStep
from collectguard.complaints.schemas import (
    ComplaintAssignIn,
    ComplaintExtendIn,
    ComplaintIn,
    ComplaintResolvedIn,
    ComplaintVerifyIn,
)
from collectguard.errors import CollectGuardError, Conflict, InvalidInput, NotFound, Refused
from collectguard.ledger.models import LedgerRecord
from collectguard.ledger.service import verify as verify_chain
from collectguard.oversight import calendar
from collectguard.privacy.lookup import blind_index
from collectguard.registry import schemas as s
from collectguard.registry.events import Events
from collectguard.registry.personal import keyring_of
from collectguard.registry.service import Registry
from collectguard.registry.unit import Units
from tests.factories import at

NAME, PHONE, EMAIL, ACCOUNT = "欧阳娜娜", "13912345678", "nana.ouyang@example.com", "6222 0212 3456 7890"
TEXT = "催收员晚上十一点打电话，让我转账到 6222021234567890，号码 13912345678"


@pytest.fixture
def events(store):
    with store.transaction() as session:
        Registry(session, at=at("2026-01-01 09:00")).load_world(s.World.model_validate({
            "institutions": [{"id": "bank", "since": "2025-06-01"}, {"id": "bank2", "since": "2025-06-01"}],
            "agencies": [{"id": "agA", "listed_by": ["bank"]}, {"id": "subA", "parent": "agA", "listed_by": ["bank"],
                                                                "approved_by": ["bank"]},
                         {"id": "agZ", "listed_by": ["bank2"]}],
            "agreements": [{"id": "ag1", "institution": "bank", "agency": "agA", "from": "2026-01-01",
                            "to": "2026-12-31", "subcontracting": True}],
            "collectors": [{"id": "c1", "org": "agA", "kind": "human"}, {"id": "c-sub", "org": "subA",
                                                                         "kind": "human"},
                           {"id": "c-own", "org": "bank", "kind": "human"}],
            "staff": [{"id": "s-zhou", "org": "bank", "role": "compliance"}, {"id": "s-a", "org": "agA"},
                      {"id": "s-other", "org": "bank2"}, {"id": "s-z", "org": "agZ"}],
            "debtors": [{"id": "d1", "name": "张三"}, {"id": "d2", "name": "李四"}],
        }))
    return Events(store)


def complaint(ident: str = "cp1", **extra: object) -> ComplaintIn:
    data: dict[str, object] = {"id": ident, "institution": "bank", "debtor": "d1", "agency": "agA", "collector": "c1",
                               "channel": "phone", "complainant_name": NAME, "complainant_phone": PHONE,
                               "complainant_email": EMAIL, "payment_account": ACCOUNT, "text": TEXT}
    data.update(extra)
    return ComplaintIn.model_validate(data)


def bodies(store) -> list[str]:
    with store.read() as session:
        return [json.dumps(json.loads(r.body), ensure_ascii=False) for r in session.execute(select(LedgerRecord)).scalars()]


def test_personal_data_is_encrypted_at_rest_with_keyed_hashes_and_never_in_the_ledger(events, store):
    made = events.complaint(complaint(proxy={"name": "王代理", "authorisation": False}), at("2026-03-01 10:00"))
    events.complaint_assign(ComplaintAssignIn(complaint="cp1", investigator="s-zhou"), at("2026-03-02 10:00"))
    events.complaint_resolved(ComplaintResolvedIn(complaint="cp1", root_cause="art9-quiet-hours",
                                                  result="已致歉，涉事催收员停岗"), at("2026-03-03 10:00"))
    assert made.detail["proxy_warning"] is True and made.detail["due_date"] == "2026-03-16"
    with store.read() as session:
        row = session.get(Complaint, "cp1")
        assert row is not None
        for field in ("complainant_name", "complainant_phone", "complainant_email", "payment_account", "text",
                      "proxy_name"):
            assert getattr(row, field).startswith("cg1."), field
        keyring = keyring_of(session)
        assert row.phone_key == blind_index(keyring, "+86 139 1234 5678", kind="phone")
        assert row.email_key == blind_index(keyring, "Nana.Ouyang@example.com", kind="email")
        assert row.account_key == service.account_key(keyring, "6222-0212-3456-7890")
        assert service.read_personal(session, row)["complainant_phone"] == PHONE
        masked = service.masked_personal(session, row)
        assert masked["complainant_name"] == "欧***" and masked["complainant_phone"] == "139****5678"
        assert masked["payment_account"] == "****7890" and PHONE not in (masked["text"] or "")
        assert verify_chain(session).ok
    found = bodies(store)
    assert len(found) >= 5
    for secret in (NAME, PHONE, "nana.ouyang", "6222", "王代理", "十一点", "39123"):
        assert not [b for b in found if secret in b], secret


def test_a_proxy_warning_is_recorded_and_an_authorisation_shown_at_verification_clears_it(events, store):
    events.complaint(complaint(proxy={"name": "王代理", "authorisation": False}), at("2026-03-01 10:00"))
    with Units(store, "sm3").write(at("2026-03-02 11:00")) as unit:
        cleared = service.verify(unit, ComplaintVerifyIn(complaint="cp1", proxy_authorised=True), institution="bank")
    assert cleared.detail == {"status": "verified", "proxy_warning": False}
    with store.read() as session:
        kinds = list(session.execute(select(LedgerRecord.kind).where(LedgerRecord.subject == "cp1")
                                     .order_by(LedgerRecord.seq)).scalars())
        steps = [st.step for st in session.execute(select(ComplaintStep).where(ComplaintStep.complaint_id == "cp1")
                                                   .order_by(ComplaintStep.n)).scalars()]
    assert kinds[:3] == ["complaint:complaint:registered", "complaint:proxy:warned", "complaint:complaint:verified"]
    assert steps == ["registered", "proxy_warned", "verified"]
    with Units(store, "sm3").write(at("2026-03-02 12:00")) as unit, pytest.raises(Conflict):
        service.verify(unit, ComplaintVerifyIn(complaint="cp1"), institution="bank")


def test_an_extension_needs_a_reason_moves_later_only_up_to_30_days_and_counts_once_recorded(events, store):
    events.complaint(complaint(), at("2026-03-01 10:00"))
    units = Units(store, "sm3")

    def extend(to: date, reason: str = "需调取通话录音", when: str = "2026-03-05 10:00") -> object:
        with units.write(at(when)) as unit:
            return service.extend(unit, ComplaintExtendIn(complaint="cp1", due_date=to, reason=reason),
                                  institution="bank")

    with pytest.raises(InvalidInput) as blank:
        extend(date(2026, 3, 20), reason="   ")
    assert blank.value.field == "reason"
    with pytest.raises(InvalidInput) as earlier:
        extend(date(2026, 3, 16))
    assert earlier.value.field == "due_date"
    with pytest.raises(InvalidInput) as too_far:
        extend(date(2026, 4, 1))
    assert "2026-03-31" in too_far.value.message_en
    with pytest.raises(NotFound):  # another institution's complaint is not found
        with units.write(at("2026-03-05 10:00")) as unit:
            service.extend(unit, ComplaintExtendIn(complaint="cp1", due_date=date(2026, 3, 20), reason="x"),
                           institution="bank2")
    extend(date(2026, 3, 31), when="2026-03-20 09:00")  # after the first deadline passed: from then on, extended
    with store.read() as session:
        def overdue(when: str) -> list[str]:
            return [i.key for i in calendar.obligations(session, "bank", at(when)) if i.status == "overdue"
                    and i.obligation == "art22-complaint-response"]

        assert overdue("2026-03-17 09:00") == ["art22-complaint-response:cp1"]  # before the extension was recorded
        assert overdue("2026-03-21 09:00") == []
        assert overdue("2026-04-01 00:00") == ["art22-complaint-response:cp1"]
    events.complaint_assign(ComplaintAssignIn(complaint="cp1", investigator="s-zhou"), at("2026-04-01 09:00"))
    late = events.complaint_resolved(ComplaintResolvedIn(complaint="cp1"), at("2026-04-02 09:00"))
    assert late.detail["late"] is True
    with store.read() as session:
        row = session.get(Complaint, "cp1")
        assert row is not None and row.extension_reason == "需调取通话录音" and row.resolved_day == date(2026, 4, 2)


def test_root_causes_name_known_rule_ids_only(events):
    events.complaint(complaint(), at("2026-03-01 10:00"))
    events.complaint_assign(ComplaintAssignIn(complaint="cp1", investigator="s-zhou"), at("2026-03-02 10:00"))
    with pytest.raises(InvalidInput) as unknown:
        events.complaint_resolved(ComplaintResolvedIn(complaint="cp1", root_cause="art99-made-up"),
                                  at("2026-03-03 10:00"))
    assert unknown.value.field == "root_cause" and "art99-made-up" in unknown.value.message_en
    done = events.complaint_resolved(ComplaintResolvedIn(
        complaint="cp1", root_cause="晚间来电（art9-quiet-hours），并要求转账到个人账户 art11-official-channel"),
        at("2026-03-03 10:00"))
    assert done.detail["root_cause_rules"] == ["art9-quiet-hours", "art11-official-channel"]
    assert done.detail["late"] is False
    with pytest.raises(Conflict):
        events.complaint_assign(ComplaintAssignIn(complaint="cp1", investigator="s-zhou"), at("2026-03-04 10:00"))
    with pytest.raises(Conflict):
        events.complaint_resolved(ComplaintResolvedIn(complaint="cp1"), at("2026-03-04 10:00"))


def test_refusals_carry_article_22_and_both_languages_and_change_nothing(events, store):
    events.complaint(complaint(), at("2026-03-01 10:00"))
    with pytest.raises(Refused) as both:
        events.complaint_assign(ComplaintAssignIn(complaint="cp1", investigator="c1"), at("2026-03-02 10:00"))
    assert set(both.value.rules) == {"art22-recusal", "art22-institution-handles"}
    assert all(d["article"] == "22" and d["message_zh"] and d["message_en"] for d in both.value.details or [])
    assert both.value.field == "investigator"
    for person in ("s-a", "c-sub"):
        with pytest.raises(Refused) as agency:
            events.complaint_assign(ComplaintAssignIn(complaint="cp1", investigator=person), at("2026-03-02 10:00"))
        assert agency.value.rules == ["art22-institution-handles"]
    with pytest.raises(Refused) as early:
        events.complaint_resolved(ComplaintResolvedIn(complaint="cp1"), at("2026-03-02 10:00"))
    assert early.value.rules == ["art22-complaints"] and early.value.details[0]["article"] == "22"  # type: ignore[index]
    with store.read() as session:
        row = session.get(Complaint, "cp1")
        assert row is not None and row.status == "registered" and row.investigator is None


def test_an_investigator_of_another_tenant_or_unknown_is_not_found(events):
    events.complaint(complaint(agency=None, collector="c-own"), at("2026-03-01 10:00"))
    for person in ("s-other", "s-z", "nobody"):
        with pytest.raises(NotFound) as missing:
            events.complaint_assign(ComplaintAssignIn(complaint="cp1", investigator=person), at("2026-03-02 10:00"))
        assert missing.value.field == "investigator"
    # A complaint about the institution's own collector names no agency: agA's staff may investigate it.
    events.complaint_assign(ComplaintAssignIn(complaint="cp1", investigator="s-a"), at("2026-03-02 10:00"))


def test_registration_checks_every_party(events):
    for field, value in (("institution", "nobank"), ("debtor", "d9"), ("agency", "ag9"), ("collector", "c9")):
        with pytest.raises(NotFound) as missing:
            events.complaint(complaint(**{field: value}), at("2026-03-01 10:00"))
        assert missing.value.field == field
    events.complaint(complaint(), at("2026-03-01 10:00"))
    with pytest.raises(CollectGuardError) as again:
        events.complaint(complaint(), at("2026-03-01 10:01"))
    assert again.value.code == "duplicate-id"


def test_a_collector_named_alone_counts_for_its_agency_without_handing_it_to_the_institution(events, store):
    events.complaint(complaint(agency=None), at("2026-03-01 10:00"))
    with store.read() as session:
        row = session.get(Complaint, "cp1")
        assert row is not None and row.agency_id == "agA" and row.handled_by_institution is False


def test_the_retention_purge_erases_a_debtors_complainant_data_and_keeps_the_complaint(events, store):
    events.complaint(complaint(proxy={"name": "王代理", "authorisation": True}), at("2026-03-01 10:00"))
    events.complaint(complaint("cp2", debtor="d2"), at("2026-03-01 10:05"))
    events.complaint(complaint("cp3", complainant_name=None, complainant_email=None, payment_account=None, text=None,
                               complainant_phone=None), at("2026-03-01 10:10"))
    with Units(store, "sm3").write(at("2028-03-01 10:00")) as unit:
        erased = service.erase_personal(unit, "d1")
        assert service.erase_personal(unit, "d-none") == []
    # the texts' keyed signatures kept by the anti-collection signals go too
    assert erased == ["complaint_text", "email", "name", "payment_account", "phone", "proxy_name", "text_signature"]
    with store.read() as session:
        rows = {r.id: r for r in session.execute(select(Complaint)).scalars()}
        for ident in ("cp1", "cp3"):
            r = rows[ident]
            assert r.erased_at is not None and r.status == "registered" and r.due_date == date(2026, 3, 16)
            assert all(getattr(r, f) is None for f in ("complainant_name", "complainant_phone", "complainant_email",
                                                       "payment_account", "text", "proxy_name", "phone_key",
                                                       "email_key", "account_key", "proxy_key"))
        assert rows["cp2"].complainant_phone is not None and rows["cp2"].erased_at is None


def test_two_answers_at_once_record_one_and_the_other_is_a_conflict(events, store):
    import threading

    events.complaint(complaint(), at("2026-03-01 10:00"))
    events.complaint_assign(ComplaintAssignIn(complaint="cp1", investigator="s-zhou"), at("2026-03-02 10:00"))
    units, start, outcomes = Units(store, "sm3"), threading.Barrier(2), []

    def answer(cause: str) -> None:
        start.wait()
        try:
            with units.write(at("2026-03-03 10:00")) as unit:
                service.resolve(unit, ComplaintResolvedIn(complaint="cp1", root_cause=cause), institution="bank")
            outcomes.append("ok")
        except Conflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=answer, args=(c,)) for c in ("art9-quiet-hours", "art16-etiquette")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == ["conflict", "ok"]
    with store.read() as session:
        steps = [st.step for st in session.execute(select(ComplaintStep).where(ComplaintStep.complaint_id == "cp1")
                                                   .order_by(ComplaintStep.n)).scalars()]
        resolved = session.execute(select(LedgerRecord).where(LedgerRecord.kind == "complaint:complaint:resolved")
                                   ).scalars().all()
    assert steps == ["registered", "assigned", "resolved"] and len(resolved) == 1
