"""监测 Monitoring over HTTP: daily figures per collector and agency, thresholds, flags and their handling, the
performance scheme (art. 6(二)6), and an agency's evidence for its evaluation (art. 18(二)).

Who may do what: auditors, compliance officers and administrators read (registry:read); the institution's
administrator and compliance officer change (event:write, and only those two roles — `may_record`: compliance
officers hold no registry:write, and these are the institution's decisions, not field events). An agency's operator
reads its own agency's (and subcontractors') figures, flags and evidence only: anyone else's is not found, as if it
did not exist (art. 19(五)); thresholds are the institution's own business (art. 20(三)). Every read is one
read-only unit, every change one write unit recorded in the ledger."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, timedelta
from enum import Enum
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Body, Query
from sqlalchemy.orm import Session

from collectguard.agencies import repository as agencies
from collectguard.api import attempt_ids
from collectguard.api.common import (
    EventWriter,
    Limit,
    Page,
    PathId,
    Reader,
    RowId,
    institution_only,
    may_record,
)
from collectguard.api.deps import Now, UnitsDep
from collectguard.api.params import Offset
from collectguard.api.responses import ERRORS
from collectguard.auth.roles import Principal
from collectguard.errors import InvalidInput, NotFound
from collectguard.fields import StrictDate
from collectguard.monitoring import repository as repo
from collectguard.monitoring import service
from collectguard.monitoring.models import CollectorFlag, MonitoringThresholds, PerformanceScheme
from collectguard.monitoring.schemas import (
    AgencyDayOut,
    AgencyEvidence,
    CollectorDayOut,
    DismissIn,
    FiguresOut,
    FlagOut,
    FlagStatus,
    RunOut,
    SchemeIn,
    SchemeOut,
    SuspendIn,
    ThresholdsIn,
    ThresholdsOut,
)
from collectguard.registry.repository import institution_zone
from collectguard.registry.schemas import Ident

T = TypeVar("T")
router = APIRouter(prefix="/v1")
TAGS: list[str | Enum] = ["monitoring 监测"]
MAX_FIGURE_DAYS = 31
MAX_EVIDENCE_DAYS = 366

DayFrom = Annotated[StrictDate | None, Query(alias="from", description="首日 YYYY-MM-DD（机构时区），默认今天 first "
                                                                       "day, in the institution's zone (default today)")]
DayTo = Annotated[StrictDate | None, Query(alias="to", description="末日（含），默认同首日 last day, inclusive "
                                                                   "(default: the first)")]


def _orgs(session: Session, p: Principal) -> Collection[str] | None:
    """What an agency-bound caller may see: its agency and its subcontractors; None for the institution."""
    return agencies.family(session, p.agency_id) if p.agency_id is not None else None


def _writer(p: Principal) -> None:
    may_record(p, "monitoring")


def _days(first: date, last: date, most: int) -> tuple[date, date]:
    """The natural days `first` … `last`, checked: not reversed, at most `most` days."""
    if last < first:
        raise InvalidInput("末日早于首日", "`to` is before `from`", field="to")
    if (last - first).days + 1 > most:
        raise InvalidInput(f"期间至多 {most} 天", f"the period is at most {most} days", field="to")
    return first, last


def _stored(session: Session, row: T) -> T:
    """The row as stored (times in UTC, as every later read answers them)."""
    session.flush()
    session.refresh(row)
    return row


def flag_out(row: CollectorFlag) -> FlagOut:
    """A flag, its attempt ids as the institution sent them (api/attempt_ids.py)."""
    data = service.flag_payload(row)
    evidence = dict(row.evidence or {})
    if "attempts" in evidence:
        evidence["attempts"] = [attempt_ids.external(a) for a in evidence["attempts"]]
    return FlagOut.model_validate({**data, "evidence": evidence})


def thresholds_out(institution_id: str, row: MonitoringThresholds | None) -> ThresholdsOut:
    if row is None:
        return ThresholdsOut(institution_id=institution_id, max_denials_per_day=None, max_after_deny_per_day=None,
                             max_against_deny_per_day=None, max_qa_findings_per_day=None, auto_suspend=False,
                             changed_at=None)
    return ThresholdsOut.model_validate(row)


def scheme_out(row: PerformanceScheme) -> SchemeOut:
    return SchemeOut.model_validate({"institution_id": row.institution_id, "version": row.version,
                                     "collector": row.collector, "agency": row.agency, "adopted_at": row.adopted_at,
                                     "ledger_seq": row.ledger_seq})


# == figures =========================================================================================
@router.get("/monitoring/figures", response_model=FiguresOut, tags=TAGS, responses=ERRORS,
            summary="每日数据 Daily figures per collector and per agency")
def figures(p: Reader, units: UnitsDep, at: Now, day_from: DayFrom = None, day_to: DayTo = None) -> FiguresOut:
    """Per collector and natural day (the institution's zone), and summed per agency: attempts, allowed, denied,
    denials by rule, repeated attempts after a deny (same collector, same party, same day), connected contacts
    against a deny, QA findings by rule, complaints about the collector registered that day and those resolved that
    day with a root cause naming a rule. At most 31 days. An agency's key sees its own collectors only."""
    with units.read() as session:
        first = day_from or day_to or service.local_today(at, session, p.institution_id)
        first, last = _days(first, day_to or first, MAX_FIGURE_DAYS)
        tallies = repo.collector_days(session, p.institution_id, first, last, orgs=_orgs(session, p))
        return FiguresOut(
            institution_id=p.institution_id, zone=str(institution_zone(session, p.institution_id)),
            day_from=first, day_to=last,
            collectors=[CollectorDayOut(collector=t.collector, agency=t.agency, day=t.day, **t.counts())
                        for t in tallies],
            agencies=[AgencyDayOut.model_validate(a) for a in repo.agency_days(tallies)])


# == thresholds ======================================================================================
@router.get("/monitoring/thresholds", response_model=ThresholdsOut, tags=TAGS, responses=ERRORS,
            summary="监测阈值 The institution's thresholds")
def get_thresholds(p: Reader, units: UnitsDep) -> ThresholdsOut:
    institution_only(p, "监测阈值 monitoring thresholds")
    with units.read() as session:
        return thresholds_out(p.institution_id, repo.thresholds(session, p.institution_id))


@router.put("/monitoring/thresholds", response_model=ThresholdsOut, tags=TAGS, responses=ERRORS,
            summary="设置监测阈值 Set the institution's thresholds")
def put_thresholds(body: ThresholdsIn, p: EventWriter, units: UnitsDep, at: Now) -> ThresholdsOut:
    """Replaces them all: a limit not sent is no longer watched. Administrator or compliance officer."""
    _writer(p)
    with units.write(at) as unit:
        row = service.set_thresholds(unit, p.institution_id, body)
        return thresholds_out(p.institution_id, _stored(unit.session, row))


# == flags ===========================================================================================
@router.post("/monitoring/run", response_model=RunOut, tags=TAGS, responses=ERRORS,
             summary="运行当日监测 Run a day: raise a flag for every threshold exceeded")
def run(p: EventWriter, units: UnitsDep, at: Now,
        day: Annotated[StrictDate | None, Query(description="自然日 YYYY-MM-DD（机构时区），默认今天 the natural "
                                                            "day (default today)")] = None) -> RunOut:
    """Idempotent: a flag already raised for a collector, day and metric is not raised again (`already`). With
    `auto_suspend`, each flagged collector is suspended for the institution at once."""
    _writer(p)
    with units.write(at) as unit:
        the_day = day or service.local_today(at, unit.session, p.institution_id)
        raised, already, suspended = service.run_day(unit, p.institution_id, the_day)
        return RunOut(institution_id=p.institution_id, day=the_day,
                      raised=[flag_out(_stored(unit.session, r)) for r in raised],
                      already=already, suspended=suspended)


@router.get("/monitoring/flags", response_model=Page[FlagOut], tags=TAGS, responses=ERRORS,
            summary="监测标记 Flags raised against collectors")
def list_flags(
    p: Reader, units: UnitsDep, limit: Limit = 50, offset: Offset = 0,
    day: Annotated[StrictDate | None, Query()] = None,
    status: Annotated[FlagStatus | None, Query()] = None,
    collector: Annotated[Ident | None, Query()] = None,
    agency: Annotated[Ident | None, Query()] = None,
) -> Page[Any]:
    with units.read() as session:
        rows, total = repo.flags(session, p.institution_id, limit, offset, orgs=_orgs(session, p), day=day,
                                 status=status.value if status else None, collector=collector, agency=agency)
        return Page[Any](items=[flag_out(r) for r in rows], total=total, limit=limit, offset=offset)


@router.get("/monitoring/flags/{flag_id}", response_model=FlagOut, tags=TAGS, responses=ERRORS,
            summary="查看标记 Read a flag")
def get_flag(flag_id: RowId, p: Reader, units: UnitsDep) -> FlagOut:
    with units.read() as session:
        return flag_out(repo.flag(session, p.institution_id, flag_id, _orgs(session, p)))


@router.post("/monitoring/flags/{flag_id}/suspend", response_model=FlagOut, tags=TAGS, responses=ERRORS,
             summary="暂停该催收人员 Suspend the flag's collector for the institution")
def suspend_flag(flag_id: RowId, p: EventWriter, units: UnitsDep, at: Now,
                 body: Annotated[SuspendIn | None, Body()] = None) -> FlagOut:
    """The gate then denies the collector's attempts for this institution (art6-collector-qualified). An open flag
    only (409 flag-not-open otherwise)."""
    _writer(p)
    with units.write(at) as unit:
        row = repo.flag(unit.session, p.institution_id, flag_id)
        service.suspend(unit, row, body.note if body else None)
        return flag_out(_stored(unit.session, row))


@router.post("/monitoring/flags/{flag_id}/dismiss", response_model=FlagOut, tags=TAGS, responses=ERRORS,
             summary="驳回标记 Dismiss a flag, with a note")
def dismiss_flag(flag_id: RowId, body: DismissIn, p: EventWriter, units: UnitsDep, at: Now) -> FlagOut:
    _writer(p)
    with units.write(at) as unit:
        row = repo.flag(unit.session, p.institution_id, flag_id)
        return flag_out(_stored(unit.session, service.dismiss(unit, row, body.note)))


# == the performance scheme ==========================================================================
@router.get("/monitoring/performance-scheme", response_model=SchemeOut, tags=TAGS, responses=ERRORS,
            summary="考核方案 The current performance scheme")
def get_scheme(p: Reader, units: UnitsDep) -> SchemeOut:
    with units.read() as session:
        row = repo.scheme(session, p.institution_id)
        if row is None:
            raise NotFound("performance scheme", p.institution_id, field=None)
        return scheme_out(row)


@router.put("/monitoring/performance-scheme", response_model=SchemeOut, tags=TAGS, responses=ERRORS,
            summary="设置考核方案 Adopt a performance scheme (art. 6(二)6)")
def put_scheme(body: SchemeIn, p: EventWriter, units: UnitsDep, at: Now) -> SchemeOut:
    """Weights in percent summing to 100 for each subject. Refused (409 art6-performance-metrics) where recovery
    counts alone or compliance, complaints or information security weigh 0. Each accepted scheme is a new
    version."""
    _writer(p)
    with units.write(at) as unit:
        return scheme_out(_stored(unit.session, service.adopt_scheme(unit, p.institution_id, body)))


# == an agency's evidence ============================================================================
@router.get("/agencies/{agency_id}/evidence", response_model=AgencyEvidence, tags=TAGS, responses=ERRORS,
            summary="合作机构评估依据 An agency's evidence and suggested grades (art. 18(二))")
def evidence(agency_id: PathId, p: Reader, units: UnitsDep, at: Now, day_from: DayFrom = None,
             day_to: DayTo = None) -> AgencyEvidence:
    """The institution's attempts and QA findings of the agency and its subcontractors over the natural days
    `from` … `to` (default: the last 365 days to today; at most 366 days). An agency's key: its own only."""
    with units.read() as session:
        agencies.visible(session, p, agency_id)
        last = day_to or service.local_today(at, session, p.institution_id)
        first, last = _days(day_from or last - timedelta(days=MAX_EVIDENCE_DAYS - 2), last, MAX_EVIDENCE_DAYS)
        _, since, until = repo.period(session, p.institution_id, first, last)
        return service.agency_evidence(session, p.institution_id, agency_id, since, until)
