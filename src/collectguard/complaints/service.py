"""Complaints in the caller's transaction (services never commit), every step a ledger event (art. 22):
registration → verification → investigation → result notice.

Product interpretations (OVERSIGHT.md, RULES.md art. 22):
- The answer is due `complaint_days` local days after the registration's local date (the institution's policy,
  else the profile's 15): registered on 1 March, answered by 16 March, overdue from 17 March. A complaint received
  at 17:00 UTC on 1 March is registered on 2 March in Shanghai.
- An extension needs a reason; it never shortens the deadline and never goes past twice the profile's days after
  registration (30 days: 15 more for a complex case, as 银行业保险业消费投诉处理管理办法 第二十三条 allows). The
  obligation `art22-complaint-response` then counts against the extended date — a recorded reason is what makes an
  extension count; an answer still late after it stays late.
- `handled_by_institution`: the complaint names an agency; the institution then handles it as its own, and no one
  of that agency (its staff, its collectors, those of its subcontractors or of its parent) may investigate
  (`art22-institution-handles`). The collector complained about never investigates (`art22-recusal`).
- A proxy (代理) without a valid authorisation: the complaint is registered and flagged, the complainant warned
  (`COMPLAINT_PROXY_WARNED`); an authorisation shown at verification clears the flag (both recorded).
- Resolving needs an investigator (`art22-complaints`); resolving late still meets the obligation and stays
  visible as late. The root cause may be a rule id or free text; the rule ids in it feed agency and collector
  figures (`root_cause_rules`).
- Personal data (the complainant's name, phone, e-mail, a payment account, what they said, the proxy's name) is
  encrypted at rest with keyed hashes beside it; ledger payloads carry ids, flags and field names only.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, timedelta
from typing import Any

from cryptography.hazmat.primitives import hashes, hmac
from sqlalchemy.orm import Session

from collectguard.agencies import repository as agency_repo
from collectguard.complaints import repository as repo
from collectguard.complaints import signal_store
from collectguard.complaints.models import Complaint, ComplaintStep
from collectguard.complaints.schemas import (
    ComplaintAssignIn,
    ComplaintChannel,
    ComplaintExtendIn,
    ComplaintIn,
    ComplaintOut,
    ComplaintResolvedIn,
    ComplaintStatus,
    ComplaintStepOut,
    ComplaintVerifyIn,
)
from collectguard.errors import Conflict, InvalidInput, NotFound, Refused
from collectguard.ledger.tags import Tag
from collectguard.oversight import models as om
from collectguard.oversight.repository import local_day
from collectguard.oversight.service import known_rules, refusal
from collectguard.privacy.crypto import decrypt, encrypt
from collectguard.privacy.keys import Keyring
from collectguard.privacy.kinds import PiiKind
from collectguard.privacy.lookup import blind_index
from collectguard.privacy.masking import mask
from collectguard.privacy.redact import redact
from collectguard.registry import models as m
from collectguard.registry import tenancy
from collectguard.registry.personal import keyring_of
from collectguard.registry.schemas import EventOut
from collectguard.registry.service import to_policy
from collectguard.registry.unit import Unit
from collectguard.rulebook.profile import load_profile

RECUSAL = "art22-recusal"
INSTITUTION_HANDLES = "art22-institution-handles"
PROCESS = "art22-complaints"
# The personal columns, what kind each holds (masking, keyed hashes) and the keyed hash beside it.
PERSONAL: dict[str, tuple[PiiKind | None, str | None]] = {
    "complainant_name": (PiiKind.NAME, None), "complainant_phone": (PiiKind.PHONE, "phone_key"),
    "complainant_email": (PiiKind.EMAIL, "email_key"), "payment_account": (None, "account_key"),
    "text": (None, None), "proxy_name": (PiiKind.NAME, "proxy_key"),
}
# What erase_personal reports as erased, per column.
ERASED_KIND = {"complainant_name": "name", "complainant_phone": "phone", "complainant_email": "email",
               "payment_account": "payment_account", "text": "complaint_text", "proxy_name": "proxy_name"}
RULE_ID = re.compile(r"\bart\d+[a-z]?-[a-z0-9]+(?:-[a-z0-9]+)*\b")
PROXY_WARNING_ZH = "代理投诉未提供有效授权：已登记，并已告知投诉人须补充本人的有效授权，否则仅能告知有限的处理结果"
PROXY_WARNING_EN = ("a complaint made for someone else without a valid authorisation: registered, and the "
                    "complainant warned that a valid authorisation from the person concerned is needed, or the "
                    "result told will be limited")


# -- personal data ----------------------------------------------------------------------------------------------
def account_key(keyring: Keyring, value: str) -> str:
    """Keyed hash (HMAC-SM3) of a payment account: NFKC, spaces and dashes removed, upper-cased."""
    norm = re.sub(r"[\s\-]", "", unicodedata.normalize("NFKC", value)).upper()
    mac = hmac.HMAC(keyring.hmac_key, hashes.SM3())
    mac.update(b"payment_account\0" + norm.encode("utf-8"))
    return mac.finalize().hex()


def _write_personal(session: Session, row: Complaint, values: dict[str, str | None]) -> None:
    keyring = keyring_of(session)
    for field, value in values.items():
        kind, key = PERSONAL[field]
        setattr(row, field, None if value is None else encrypt(keyring, value, context=f"complaints.{field}"))
        if key is not None:
            if value is None:
                setattr(row, key, None)
            elif kind is None:
                setattr(row, key, account_key(keyring, value))
            else:
                setattr(row, key, blind_index(keyring, value, kind=kind))


def read_personal(session: Session, row: Complaint) -> dict[str, str | None]:
    """The personal fields in clear (for masking, a signal's check, an audited reveal). Never log them."""
    keyring = keyring_of(session)
    return {f: None if getattr(row, f) is None else decrypt(keyring, getattr(row, f), context=f"complaints.{f}")
            for f in PERSONAL}


def masked_personal(session: Session, row: Complaint) -> dict[str, str | None]:
    """Name 张*, phone 138****8000, e-mail z***@example.com, account ****1234, the text with numbers masked."""
    clear = read_personal(session, row)
    out: dict[str, str | None] = {}
    for field, (kind, _) in PERSONAL.items():
        value = clear[field]
        if value is None or kind is not None:
            out[field] = mask(kind, value) if kind is not None else None
        elif field == "payment_account":
            digits = re.sub(r"\s", "", value)
            out[field] = "****" + digits[-4:] if len(digits) > 4 else "****"
        else:
            out[field] = redact(value)
    return out


def erase_personal(unit: Unit, debtor_id: str) -> list[str]:
    """Clear the encrypted personal columns and keyed hashes of every complaint of the debtor (the retention
    purge, art. 20(四)); returns the kinds of data erased (sorted), e.g. ["name", "phone"]. The complaints stay,
    with their dates, parties and outcome; the caller records the deletion log."""
    erased: set[str] = set()
    rows = repo.of_debtor(unit.session, debtor_id)
    for row in rows:
        for field, (_, key) in PERSONAL.items():
            if getattr(row, field) is not None:
                erased.add(ERASED_KIND[field])
                setattr(row, field, None)
            if key is not None:
                setattr(row, key, None)
        row.erased_at = row.erased_at or unit.at
    # what the anti-collection signals kept of their texts (keyed signatures, band keys) goes with them
    if signal_store.forget(unit.session, [row.id for row in rows]):
        erased.add("text_signature")
    return sorted(erased)


# -- helpers ----------------------------------------------------------------------------------------------------
def complaint_days(session: Session, institution: m.Institution) -> int:
    """The institution's `complaint_days` (stricter only), else its profile's (15)."""
    return to_policy(institution.policy or {}).complaint_days or load_profile(institution.profile).complaint_days


def _step(unit: Unit, row: Complaint, step: str, tag: Tag, payload: dict[str, Any], actor: str | None = None) -> int:
    seq = unit.record(tag, row.id, payload, row.institution_id)
    unit.session.flush()
    unit.session.add(ComplaintStep(complaint_id=row.id, n=repo.next_step(unit.session, row.id), step=step,
                                   at=unit.at, day=local_day(unit.session, row.institution_id, unit.at),
                                   actor=actor, detail=payload, ledger_seq=seq))
    return seq


def _complaint(unit: Unit, ident: str, institution: str | None) -> Complaint:
    """The complaint, locked and read again (two steps at once: the second sees the first); another
    institution's answers like an unknown id."""
    unit.lock(Complaint.id, ident)
    row = unit.session.get(Complaint, ident, populate_existing=True)
    if row is None or (institution is not None and row.institution_id != institution):
        raise NotFound("complaint", ident, field="complaint")
    return row


def _event(tag: Tag, row: Complaint, seq: int, **detail: Any) -> EventOut:
    return EventOut(kind=tag, subject=row.id, ledger_seq=seq, detail={"status": row.status, **detail})


def _examine(unit: Unit, row: Complaint) -> list[dict[str, Any]]:
    """The anti-collection signals the new complaint raises (complaints/signal_store.py): for a person to review."""
    return list(signal_store.examine(unit, row))


# -- registration --------------------------------------------------------------------------------------------
def register(unit: Unit, data: ComplaintIn) -> EventOut:
    """Register a complaint from any channel; the answer's clock starts at the registration's local date."""
    institution = unit.get(m.Institution, data.institution, kind="institution", field="institution")
    if data.debtor is not None:
        unit.require(m.Debtor, data.debtor, kind="debtor", field="debtor")
    if data.agency is not None:
        unit.require(m.Agency, data.agency, kind="agency", field="agency")
    agency_id = data.agency
    if data.collector is not None:
        collector = unit.get(m.Collector, data.collector, kind="collector", field="collector")
        if agency_id is None and unit.session.get(m.Agency, collector.org_id) is not None:
            agency_id = collector.org_id  # counted for the collector's agency (figures); not "naming" it
    day = local_day(unit.session, data.institution, unit.at)
    due = day + timedelta(days=complaint_days(unit.session, institution))
    proxy = data.proxy
    warning = proxy is not None and not proxy.authorisation
    row = Complaint(
        id=data.id, institution_id=data.institution, channel=data.channel.value, debtor_id=data.debtor,
        agency_id=agency_id, collector_id=data.collector, status=ComplaintStatus.REGISTERED.value,
        received_at=unit.at, day=day, due_date=due, handled_by_institution=data.agency is not None,
        proxy_authorised=None if proxy is None else proxy.authorisation, proxy_warning=warning,
        note=data.note, root_cause_rules=[], ledger_seq=0)
    personal = {"complainant_name": data.complainant_name, "complainant_phone": data.complainant_phone,
                "complainant_email": data.complainant_email, "payment_account": data.payment_account,
                "text": data.text, "proxy_name": proxy.name if proxy is not None else None}
    personal = {f: (v.strip() or None) if v is not None else None for f, v in personal.items()}  # blank: none
    given = sorted(f for f, v in personal.items() if v is not None)
    _write_personal(unit.session, row, {f: v for f, v in personal.items() if v is not None})
    payload = {"institution": data.institution, "channel": data.channel.value, "debtor": data.debtor,
               "agency": agency_id, "named_agency": data.agency, "collector": data.collector,
               "handled_by_institution": row.handled_by_institution, "day": day.isoformat(),
               "due_date": due.isoformat(), "proxy": proxy is not None, "proxy_authorised": row.proxy_authorised,
               "personal_fields": given, "note": data.note is not None}
    row.ledger_seq = unit.new(row, "complaint", data.id, Tag.COMPLAINT_REGISTERED, payload, data.institution)
    unit.session.flush()
    unit.session.add(ComplaintStep(complaint_id=row.id, n=1, step="registered", at=unit.at, day=day,
                                   detail=payload, ledger_seq=row.ledger_seq))
    detail: dict[str, Any] = {"proxy_warning": warning, "due_date": due.isoformat(),
                              "handled_by_institution": row.handled_by_institution}
    if warning:
        _step(unit, row, "proxy_warned", Tag.COMPLAINT_PROXY_WARNED, {"warned": True, "channel": row.channel})
        detail.update(warning_zh=PROXY_WARNING_ZH, warning_en=PROXY_WARNING_EN)
    unit.session.flush()
    detail["signals"] = _examine(unit, row)
    return _event(Tag.COMPLAINT_REGISTERED, row, row.ledger_seq, **detail)


# -- verification and extension ------------------------------------------------------------------------------
def verify(unit: Unit, data: ComplaintVerifyIn, *, institution: str | None = None,
           actor: str | None = None) -> EventOut:
    """Registration → verification: identity (and a proxy's authorisation) checked. An authorisation shown now
    clears the proxy warning; both the warning and its clearing stay in the ledger."""
    row = _complaint(unit, data.complaint, institution)
    if row.status != ComplaintStatus.REGISTERED:
        raise Conflict(f"投诉 {row.id} 已核实（当前 {row.status}）", f"complaint {row.id} is past registration "
                       f"({row.status})", field="complaint", code="complaint-not-registered")
    payload: dict[str, Any] = {"note": data.note is not None}
    if data.proxy_authorised is not None:
        if row.proxy_authorised is None:
            raise InvalidInput("该投诉不是代理投诉", "this complaint was not made by a proxy", field="proxy_authorised")
        row.proxy_authorised = data.proxy_authorised
        if data.proxy_authorised and row.proxy_warning:
            row.proxy_warning = False
            payload["proxy_warning_cleared"] = True
        payload["proxy_authorised"] = data.proxy_authorised
    row.status, row.verified_at = ComplaintStatus.VERIFIED.value, unit.at
    seq = _step(unit, row, "verified", Tag.COMPLAINT_VERIFIED, payload, actor)
    return _event(Tag.COMPLAINT_VERIFIED, row, seq, proxy_warning=row.proxy_warning)


def extension_limit(session: Session, row: Complaint) -> date:
    institution = session.get(m.Institution, row.institution_id)
    assert institution is not None
    return row.day + timedelta(days=2 * load_profile(institution.profile).complaint_days)


def extend(unit: Unit, data: ComplaintExtendIn, *, institution: str | None = None,
           actor: str | None = None) -> EventOut:
    """Move the answer's deadline later, with a reason (never earlier; at most registration + twice the profile's
    days). The obligation then counts against the new date."""
    row = _complaint(unit, data.complaint, institution)
    if row.status == ComplaintStatus.RESOLVED:
        raise Conflict(f"投诉 {row.id} 已办结", f"complaint {row.id} is already resolved", field="complaint",
                       code="complaint-resolved")
    reason = data.reason.strip()
    if not reason:
        raise InvalidInput("延期须说明理由", "an extension needs a reason", field="reason")
    current = repo.answer_by(row)
    if data.due_date <= current:
        raise InvalidInput(f"延期后的期限须晚于现行期限 {current}", f"the new deadline must be after the one in force, "
                           f"{current}", field="due_date")
    limit = extension_limit(unit.session, row)
    if data.due_date > limit:
        raise InvalidInput(f"延期最长至 {limit}（登记日起两倍答复期限）", f"an extension goes to {limit} at most "
                           "(twice the answer's days after registration)", field="due_date")
    row.extended_due_date, row.extension_reason = data.due_date, reason
    seq = _step(unit, row, "extended", Tag.COMPLAINT_EXTENDED,
                {"from": current.isoformat(), "to": data.due_date.isoformat(), "reason": redact(reason)}, actor)
    return _event(Tag.COMPLAINT_EXTENDED, row, seq, due_date=data.due_date.isoformat())


# -- investigation -------------------------------------------------------------------------------------------
def _investigator(unit: Unit, ident: str, institution: str) -> tuple[str, str]:
    """(kind, organisation) of a staff or collector id; one of another institution is not found."""
    staff = unit.session.get(om.Staff, ident)
    if staff is not None:
        kind, org = "staff", staff.org_id
    else:
        collector = unit.session.get(m.Collector, ident)
        if collector is None:
            raise NotFound("investigator", ident, field="investigator")
        kind, org = "collector", collector.org_id
    if org != institution and (unit.session.get(m.Institution, org) is not None
                               or institution not in tenancy.institutions_of_agency(unit.session, org)):
        raise NotFound("investigator", ident, field="investigator")  # another tenant's person
    return kind, org


def recusals(unit: Unit, row: Complaint, investigator: str, org: str) -> list[tuple[str, str, str, str]]:
    """Why the investigator may not investigate this complaint (art. 22), every reason."""
    found = []
    if row.collector_id is not None and investigator == row.collector_id:
        found.append(refusal(RECUSAL, f"调查人 {investigator} 即被投诉的催收员，须回避", f"the investigator "
                             f"{investigator} is the collector complained about and must stay out"))
    if row.handled_by_institution and row.agency_id is not None:
        agency = unit.session.get(m.Agency, row.agency_id)
        orgs = agency_repo.family(unit.session, row.agency_id)
        if agency is not None and agency.parent_id:
            orgs.add(agency.parent_id)
        if org in orgs:
            found.append(refusal(INSTITUTION_HANDLES, f"投诉针对合作机构 {row.agency_id}，调查人属于该机构（{org}），"
                                 "须由机构自行调查", f"the complaint is about agency {row.agency_id} and the "
                                 f"investigator belongs to it ({org}): the institution investigates itself"))
    return found


def assign(unit: Unit, data: ComplaintAssignIn, *, institution: str | None = None,
           actor: str | None = None) -> EventOut:
    """Name the investigator (again, if need be), recusal checked; the complaint is then under investigation."""
    row = _complaint(unit, data.complaint, institution)
    if row.status == ComplaintStatus.RESOLVED:
        raise Conflict(f"投诉 {row.id} 已办结", f"complaint {row.id} is already resolved", field="complaint",
                       code="complaint-resolved")
    kind, org = _investigator(unit, data.investigator, row.institution_id)
    refused = recusals(unit, row, data.investigator, org)
    if refused:
        raise Refused(refused, field="investigator")
    previous = row.investigator
    row.investigator, row.investigator_kind, row.assigned_at = data.investigator, kind, unit.at
    row.status = ComplaintStatus.INVESTIGATING.value
    payload = {"investigator": data.investigator, "investigator_kind": kind, "org": org, "previous": previous}
    seq = _step(unit, row, "assigned", Tag.COMPLAINT_ASSIGNED, payload, actor)
    return _event(Tag.COMPLAINT_ASSIGNED, row, seq, investigator=data.investigator)


def root_cause_rules(root_cause: str | None) -> list[str]:
    """The rule ids a root cause names (a rule id alone, or free text citing some); an unknown one is an error."""
    if not root_cause:
        return []
    known = known_rules()
    found = list(dict.fromkeys(RULE_ID.findall(root_cause.strip())))
    unknown = [r for r in found if r not in known]
    if unknown:
        raise InvalidInput(f"未知规则编号 {', '.join(unknown)}", f"unknown rule id {', '.join(unknown)}",
                           field="root_cause")
    return found


def resolve(unit: Unit, data: ComplaintResolvedIn, *, institution: str | None = None,
            actor: str | None = None) -> EventOut:
    """The result told to the complainant, with the root cause; only after an investigator was named. Late still
    meets the obligation (`detail["late"]`)."""
    row = _complaint(unit, data.complaint, institution)
    if row.status == ComplaintStatus.RESOLVED:
        raise Conflict(f"投诉 {row.id} 已办结", f"complaint {row.id} is already resolved", field="complaint",
                       code="complaint-resolved")
    if row.investigator is None:
        raise Refused([refusal(PROCESS, f"投诉 {row.id} 尚未指定调查人，不能办结", f"complaint {row.id} has no "
                               "investigator yet: it is investigated before it is answered")], field="complaint")
    rules = root_cause_rules(data.root_cause)
    row.root_cause, row.root_cause_rules, row.result = data.root_cause, rules, data.result
    row.resolved_at, row.resolved_day = unit.at, local_day(unit.session, row.institution_id, unit.at)
    row.status = ComplaintStatus.RESOLVED.value
    late = repo.is_late(row)
    cause = (data.root_cause or "").strip()
    payload = {"root_cause_rules": rules, "root_cause_text": bool(cause) and cause not in rules,
               "result": data.result is not None, "day": row.resolved_day.isoformat(), "answer_by": repo.answer_by(row).isoformat(), "late": late,
        "investigator": row.investigator, "agency": row.agency_id, "collector": row.collector_id}
    seq = _step(unit, row, "resolved", Tag.COMPLAINT_RESOLVED, payload, actor)
    return _event(Tag.COMPLAINT_RESOLVED, row, seq, late=late, root_cause_rules=rules)


# -- what a reader sees ------------------------------------------------------------------------------------------
def complaint_out(session: Session, row: Complaint, *, today: date, for_agency: bool = False,
                  with_steps: bool = False) -> ComplaintOut:
    """The complaint as a reader sees it: personal data masked; the complainant's words not for an agency
    (minimum necessary, art. 20(三)); `overdue` as of the local day `today`."""
    masked = masked_personal(session, row)
    steps = repo.steps(session, [row.id])[row.id] if with_steps else []
    return ComplaintOut(
        id=row.id, institution=row.institution_id, channel=ComplaintChannel(row.channel), debtor=row.debtor_id,
        agency=row.agency_id, collector=row.collector_id, status=ComplaintStatus(row.status),
        received_at=row.received_at, day=row.day, due_date=row.due_date, extended_due_date=row.extended_due_date,
        extension_reason=row.extension_reason, answer_by=repo.answer_by(row), overdue=repo.is_overdue(row, today),
        late=repo.is_late(row), handled_by_institution=row.handled_by_institution, investigator=row.investigator,
        investigator_kind=row.investigator_kind, proxy_name=masked["proxy_name"],
        proxy_authorised=row.proxy_authorised, proxy_warning=row.proxy_warning,
        complainant_name=masked["complainant_name"], complainant_phone=masked["complainant_phone"],
        complainant_email=masked["complainant_email"], payment_account=masked["payment_account"],
        text=None if for_agency else masked["text"], root_cause=row.root_cause,
        root_cause_rules=list(row.root_cause_rules or []), result=row.result, resolved_at=row.resolved_at,
        resolved_day=row.resolved_day, erased=row.erased_at is not None, ledger_seq=row.ledger_seq,
        steps=[ComplaintStepOut.model_validate(s) for s in steps])


__all__ = ["complaint_out", "account_key", "assign", "erase_personal", "extend", "masked_personal", "read_personal", "recusals",
           "register", "resolve", "root_cause_rules", "verify"]
