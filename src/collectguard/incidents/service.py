"""Incidents in the caller's transaction (services never commit), each step in the ledger:

- `report`: an incident is recorded — a personal-information incident (`pi_breach`, art. 21(二)): an agency's
  starts the 24 h within which it tells the institution; a major risk (`major_risk`, art. 24) starts the 48 h
  within which the institution reports it in writing to the self-regulatory organisation (SRO).
- `notify`: a notice about it — to the institution (meets `art21-breach-24h`), or the written report to the SRO
  with its four parts (meets `art24-major-risk-48h`). A report missing a part is refused with
  `art24-major-risk-48h` naming what is missing, and changes nothing. A late notice is accepted, meets the
  obligation and stays marked late, with how long after the deadline it came.

Free text (the summary, the report's parts) is kept in the incident's rows; the ledger records its SHA-256 and the
names of the parts given, never the text (it may describe people).
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy.orm import Session

from collectguard.errors import InvalidInput, NotFound, Refused
from collectguard.incidents import repository as repo
from collectguard.incidents.deadlines import Rule, meeting, rule_of
from collectguard.incidents.models import Incident, IncidentNotification
from collectguard.incidents.schemas import (
    REPORT_PARTS,
    DeadlineOut,
    IncidentIn,
    IncidentKind,
    IncidentNotifiedIn,
    IncidentOut,
    NotificationOut,
    NotifyTo,
)
from collectguard.ledger.tags import Tag
from collectguard.registry import models as m
from collectguard.registry.repository import institution_zone
from collectguard.registry.schemas import EventOut
from collectguard.registry.unit import Unit
from collectguard.rulebook.obligations import local_day
from collectguard.rulebook.profile import Profile, load_profile

MAJOR_RISK = "art24-major-risk-48h"


def digest(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def profile_of(session: Session, institution_id: str) -> Profile:
    inst = session.get(m.Institution, institution_id)
    return load_profile(inst.profile if inst is not None else "nifa-2024")


def rule_for(session: Session, row: Incident) -> Rule | None:
    return rule_of(row.kind, row.agency_id, profile_of(session, row.institution_id))


def report(unit: Unit, data: IncidentIn, *, by: str | None = None) -> EventOut:
    """Record an incident. The institution and the agency (when named) exist; a major risk names its category
    (art. 24's list), a `pi_breach` none; it cannot have been discovered after it is recorded."""
    unit.get(m.Institution, data.institution, kind="institution", field="institution")
    if data.agency is not None:
        unit.get(m.Agency, data.agency, kind="agency", field="agency")
    if data.kind is IncidentKind.MAJOR_RISK and data.category is None:
        raise InvalidInput("重大风险事件须注明类别（调查处罚、暴力催收、个人信息泄露、反催收、其他）",
                           "a major risk names its category: investigation, violent_collection, pi_leak, "
                           "anti_collection or other (art. 24)", field="category")
    if data.kind is IncidentKind.PI_BREACH and data.category is not None:
        raise InvalidInput("个人信息事件不设类别；严重泄露请另报重大风险事件（类别 pi_leak）",
                           "a pi_breach takes no category; a serious leak is reported as a major_risk of category "
                           "pi_leak", field="category")
    if data.discovered_at > unit.at:
        raise InvalidInput("发现时间晚于登记时间", "`discovered_at` is after the moment the incident is recorded",
                           field="discovered_at")
    profile = profile_of(unit.session, data.institution)
    rule = rule_of(data.kind, data.agency, profile)
    row = Incident(id=data.id, institution_id=data.institution, agency_id=data.agency, kind=data.kind,
                   category=data.category, summary=data.summary, discovered_at=data.discovered_at,
                   discovered_day=local_day(data.discovered_at, institution_zone(unit.session, data.institution)),
                   reported_at=unit.at, reported_by=by, status="open", ledger_seq=0)
    payload = {"institution": data.institution, "agency": data.agency, "kind": data.kind.value,
               "category": data.category.value if data.category else None,
               "discovered_at": data.discovered_at.isoformat(),
               "summary": digest(data.summary) if data.summary else None,
               "obligation": rule.obligation if rule else None,
               "due_at": rule.due_at(data.discovered_at).isoformat() if rule else None}
    row.ledger_seq = unit.new(row, "incident", data.id, Tag.INCIDENT_REPORTED, payload, data.institution)
    detail = {"kind": data.kind.value, "agency": data.agency, "obligation": rule.obligation if rule else None,
              "due_at": rule.due_at(data.discovered_at).isoformat() if rule else None,
              "hours": rule.hours if rule else None}
    return EventOut(kind=Tag.INCIDENT_REPORTED, subject=data.id, ledger_seq=row.ledger_seq, detail=detail)


def missing_parts(data: IncidentNotifiedIn) -> list[tuple[str, str, str]]:
    """The report's parts that are absent or blank, in the report's order."""
    given = data.report.model_dump() if data.report is not None else {}
    return [p for p in REPORT_PARTS if not str(given.get(p[0]) or "").strip()]


def refusal(missing: list[tuple[str, str, str]]) -> Refused:
    meta = load_profile().obligations[MAJOR_RISK]
    zh = "、".join(f"{p[1][2:]}（{p[0]}）" for p in missing)
    en = ", ".join(f"{p[2][3:].lower()} ({p[0]})" for p in missing)
    return Refused([(MAJOR_RISK, meta.article, f"{meta.title_zh}：书面报告须包含事件原因、目前状况、可能影响和应对措施，"
                     f"缺少{zh}（第{meta.article}条）",
                     f"{meta.title_en}: the written report states the cause, the current state, the possible "
                     f"impact and the measures taken; missing: {en} (art. {meta.article})")], field="report")


def notify(unit: Unit, data: IncidentNotifiedIn, *, by: str | None = None,
           institution: str | None = None) -> EventOut:
    """Record a notice about the incident. `institution`: the caller's, when it acts for one (another's incident
    is not found). A report to the SRO must carry all four parts; a notice to the institution may carry them."""
    if data.to is NotifyTo.SRO:
        missing = missing_parts(data)
        if missing:
            raise refusal(missing)
    unit.lock(Incident.id, data.incident)  # two notices at once are numbered one after the other
    row = unit.fresh(Incident, data.incident, kind="incident", field="incident")
    if institution is not None and row.institution_id != institution:
        raise NotFound("incident", data.incident, field="incident")
    if unit.at < row.reported_at:
        raise InvalidInput("通知时间早于事件登记时间", "the notice is dated before the incident was recorded", field="at")
    rule = rule_for(unit.session, row)
    due = rule.due_at(row.discovered_at) if rule is not None and rule.to == data.to else None
    late_seconds = max(0, int((unit.at - due).total_seconds())) if due is not None else 0
    parts = data.report.model_dump() if data.report is not None else {}
    n = repo.next_n(unit.session, row.id)
    note = IncidentNotification(
        incident_id=row.id, n=n, to=data.to.value, at=unit.at,
        day=local_day(unit.at, institution_zone(unit.session, row.institution_id)), due_at=due,
        late=due is not None and unit.at > due, late_seconds=late_seconds,
        **{k: (parts.get(k) or None) for k, _, _ in REPORT_PARTS}, by=by, ledger_seq=0)
    payload = {"incident": row.id, "n": n, "to": data.to.value, "agency": row.agency_id,
               "parts": {k: digest(v) for k, v in parts.items() if v}, "due_at": due.isoformat() if due else None,
               "late": note.late, "late_seconds": late_seconds}
    note.ledger_seq = unit.record(Tag.INCIDENT_NOTIFIED, row.id, payload, row.institution_id)
    unit.session.add(note)
    if data.to is NotifyTo.SRO:
        row.status = "reported"
    elif row.status == "open":
        row.status = "notified"
    detail = {"to": data.to.value, "n": n, "status": row.status, "late": note.late, "late_seconds": late_seconds,
              "late_hours": round(late_seconds / 3600, 1), "due_at": due.isoformat() if due else None,
              "meets": rule.obligation if due is not None and rule is not None else None}
    return EventOut(kind=Tag.INCIDENT_NOTIFIED, subject=row.id, ledger_seq=note.ledger_seq, detail=detail)


# -- what a reader sees ------------------------------------------------------------------------------------------
def deadline(session: Session, row: Incident, notes: list[IncidentNotification], as_of: datetime) -> DeadlineOut | None:
    """The incident's deadline as of `as_of`: time left (negative once passed), met, due or overdue."""
    profile = profile_of(session, row.institution_id)
    rule = rule_of(row.kind, row.agency_id, profile)
    if rule is None:
        return None
    meta = profile.obligations.get(rule.obligation)
    due = rule.due_at(row.discovered_at)
    first = meeting(rule, [n for n in notes if n.at <= as_of])
    status = "met" if first is not None else "overdue" if as_of > due else "due"
    return DeadlineOut(
        obligation=rule.obligation, article=meta.article if meta else "", title_zh=meta.title_zh if meta else "",
        title_en=meta.title_en if meta else "", hours=rule.hours, due_at=due, as_of=as_of,
        remaining_seconds=int((due - as_of).total_seconds() // 1), status=status,
        met_at=first.at if first else None, met_by=first.n if first else None,
        late=bool(first and first.late), late_seconds=first.late_seconds if first else 0)


def view(session: Session, row: Incident, notes: list[IncidentNotification], as_of: datetime) -> IncidentOut:
    out = IncidentOut.model_validate(row)
    return out.model_copy(update={"deadline": deadline(session, row, notes, as_of),
                                  "notifications": [NotificationOut.model_validate(n) for n in notes]})


def views(session: Session, rows: list[Incident], as_of: datetime) -> list[IncidentOut]:
    notes = repo.notifications(session, [r.id for r in rows])
    return [view(session, r, notes[r.id], as_of) for r in rows]


__all__ = ["deadline", "missing_parts", "notify", "report", "view", "views"]
