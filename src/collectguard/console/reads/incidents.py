"""事件 What the incidents page reads: the institution's incidents (an agency operator: its own agency's only, as
GET /v1/incidents scopes them) with the same deadline and countdown the API answers (`incidents.service.views`),
filtered, sorted and paged; one incident with its timeline (recorded, each notice, late or on time) and the
report's four parts.

An institution has tens to hundreds of incidents over its life, never the debtors' volumes: the list is read whole,
then filtered and paged here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from collectguard.errors import NotFound
from collectguard.incidents import repository as repo
from collectguard.incidents import service
from collectguard.incidents.models import Incident
from collectguard.incidents.report_files import CATEGORY, chosen
from collectguard.incidents.schemas import REPORT_PARTS, IncidentOut
from collectguard.registry import models as m
from collectguard.registry.repository import institution_zone

STATES = ("overdue", "due", "met", "none")  # the deadline's status; none: the institution's own pi_breach
STATE_RANK = {s: i for i, s in enumerate(STATES)}
SORTS = ("urgency", "discovered", "kind")
KINDS = {"pi_breach": ("个人信息事件", "Personal-information incident"),
         "major_risk": ("重大风险事件", "Major risk")}
CATEGORIES = CATEGORY
STATUS_NAMES = {"open": ("待通知", "Open"), "notified": ("已告知机构", "Institution told"),
                "reported": ("已报告自律组织", "Reported to the SRO")}
TO_NAMES = {"institution": ("告知机构", "Told the institution"), "sro": ("书面报告自律组织", "Written report to the SRO")}


@dataclass(frozen=True)
class Listing:
    rows: list[IncidentOut]
    total: int
    counts: dict[str, int]  # by deadline state, of every incident the viewer may see
    zone: str
    agencies: dict[str, str]  # id → name


def state(o: IncidentOut) -> str:
    return o.deadline.status if o.deadline is not None else "none"


def _urgency(o: IncidentOut) -> tuple[int, float, str]:
    remaining = o.deadline.remaining_seconds if o.deadline is not None else 0
    return (STATE_RANK[state(o)], remaining, o.id)


def _names(session: Session, ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    found = dict(session.execute(select(m.Agency.id, m.Agency.name).where(m.Agency.id.in_(sorted(ids)))).all())
    return {i: found.get(i) or i for i in ids}


def listing(session: Session, institution: str, agency: str | None, now: datetime, *, state_filter: str | None,
            kind: str | None, agency_filter: str | None, q: str, sort: str, desc: bool, limit: int,
            offset: int) -> Listing:
    """The incidents the viewer may see at `now`: counts by deadline state, then the page that passes the filters
    (urgency: overdue first, then the least time left)."""
    rows = repo.incidents(session, institution, agencies=[agency] if agency else None, reported_by=now)[0]
    seen = service.views(session, rows, now)
    counts = {s: sum(1 for o in seen if state(o) == s) for s in STATES}
    names = _names(session, {o.agency for o in seen if o.agency})
    if state_filter in STATES:
        seen = [o for o in seen if state(o) == state_filter]
    if kind in KINDS:
        seen = [o for o in seen if o.kind == kind]
    if agency_filter:
        seen = [o for o in seen if o.agency == agency_filter]
    if q:
        wanted = q.casefold()
        seen = [o for o in seen if any(wanted in (t or "").casefold() for t in (
            o.id, o.summary, o.category, o.agency, names.get(o.agency or ""), o.deadline and o.deadline.obligation))]
    if sort == "discovered":
        seen.sort(key=lambda o: (o.discovered_at, o.id), reverse=not desc)
    elif sort == "kind":
        seen.sort(key=lambda o: (o.kind, o.category or "", *_urgency(o)), reverse=desc)
    else:
        seen.sort(key=_urgency, reverse=desc)
    return Listing(seen[offset:offset + limit], len(seen), counts, institution_zone(session, institution).key, names)


@dataclass(frozen=True)
class Step:
    """One moment of the incident's timeline."""

    at: datetime
    kind: str  # discovered, recorded, notified, due
    zh: str
    en: str
    late: bool = False
    late_seconds: int = 0
    ledger_seq: int | None = None
    by: str | None = None
    n: int | None = None


@dataclass(frozen=True)
class Detail:
    incident: IncidentOut
    agency_name: str | None
    zone: str
    timeline: list[Step]
    parts: list[tuple[str, str, str]]  # (Chinese heading, English heading, text) of the report shown
    parts_from: int | None  # the notice (n) the parts come from
    sent: bool  # the report went to the SRO


def readable(session: Session, institution: str, agency: str | None, ident: str) -> Incident:
    """The incident if the viewer may read it, else the same 404 as an unknown id."""
    row = session.get(Incident, ident)
    if row is None or row.institution_id != institution or (agency is not None and row.agency_id != agency):
        raise NotFound("incident", ident, field="id")
    return row


def detail(session: Session, institution: str, agency: str | None, ident: str, now: datetime) -> Detail:
    row = readable(session, institution, agency, ident)
    notes = repo.notifications(session, [row.id])[row.id]
    out = service.view(session, row, notes, now)
    steps = [Step(row.discovered_at, "discovered", "发现", "Discovered"),
             Step(row.reported_at, "recorded", "登记", "Recorded", ledger_seq=row.ledger_seq, by=row.reported_by)]
    for n in notes:
        zh, en = TO_NAMES.get(n.to, (n.to, n.to))
        steps.append(Step(n.at, "notified", zh, en, late=n.late, late_seconds=n.late_seconds, ledger_seq=n.ledger_seq,
                          by=n.by, n=n.n))
    if out.deadline is not None:
        steps.append(Step(out.deadline.due_at, "due", f"{out.deadline.hours} 小时期限", f"{out.deadline.hours} h "
                          "deadline"))
    steps.sort(key=lambda s: (s.at, ("discovered", "recorded", "notified", "due").index(s.kind)))
    note = chosen(notes)
    parts = [(zh, en, (getattr(note, k) or "").strip() if note is not None else "") for k, zh, en in REPORT_PARTS]
    names = _names(session, {row.agency_id} if row.agency_id else set())
    return Detail(out, names.get(row.agency_id or ""), institution_zone(session, institution).key, steps, parts,
                  note.n if note is not None else None, note is not None and note.to == "sro")


def agencies_of(session: Session, institution: str) -> dict[str, str]:
    """The agencies the institution has an agreement with, for the report form (id → name)."""
    rows = session.execute(select(m.Agency.id, m.Agency.name).join(m.Agreement, m.Agreement.agency_id == m.Agency.id)
                           .where(m.Agreement.institution_id == institution).distinct().order_by(m.Agency.id)).all()
    return {i: n or i for i, n in rows}
