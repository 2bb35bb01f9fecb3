"""投诉报告 An agency's periodic complaint report over HTTP (art. 22), generated from the records.

GET reads it (oversight:read: the institution's people any agency they work with; an agency's operator its own and
its subcontractors' only — another agency is not found, as if it did not exist, art. 19(五)). POST submits it to
the institution (oversight:report: the agency's operator, or the institution's compliance officer or admin for it):
the figures are recorded in the ledger (complaint:agency-report:made), never any personal data. GET …/submitted
lists the submitted reports, read back from the ledger."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query
from sqlalchemy.orm import Session

from collectguard.agencies import repository as agencies
from collectguard.api.common import PathId
from collectguard.api.deps import Now, UnitsDep, require
from collectguard.api.responses import ERRORS
from collectguard.auth.roles import Permission, Principal
from collectguard.complaints import report
from collectguard.complaints.report import AgencyComplaintReport, SubmittedReport
from collectguard.fields import Note, StrictDate
from collectguard.registry.repository import institution_zone
from collectguard.registry.schemas import Strict
from collectguard.rulebook.calendar import local_date

router = APIRouter(prefix="/v1", tags=["complaints 投诉"], responses=ERRORS)
Reader = Annotated[Principal, Depends(require(Permission.OVERSIGHT_READ))]
Reporter = Annotated[Principal, Depends(require(Permission.AGENCY_REPORT))]
DayFrom = Annotated[StrictDate | None, Query(alias="from", description="首日 YYYY-MM-DD（机构时区），默认末日前 29 天 "
                                                                       "first local day (default: 29 days before `to`)")]
DayTo = Annotated[StrictDate | None, Query(alias="to", description="末日（含），默认今天 last local day, inclusive "
                                                                   "(default: today)")]


class SubmitIn(Strict):
    note: Note | None = None


def _period(session: Session, p: Principal, at: datetime, day_from: date | None,
            day_to: date | None) -> tuple[date, date]:
    last = day_to or local_date(at, institution_zone(session, p.institution_id))
    first = day_from or last - timedelta(days=29)
    report.check_period(first, last)
    return first, last


@router.get("/agencies/{agency_id}/complaint-report", response_model=AgencyComplaintReport,
            response_model_by_alias=True, summary="合作机构投诉处理情况报告 An agency's complaint report (art. 22)")
def get_report(agency_id: PathId, p: Reader, units: UnitsDep, at: Now, day_from: DayFrom = None,
               day_to: DayTo = None) -> AgencyComplaintReport:
    """The complaints about the agency, its subcontractors and their collectors registered on the local days
    `from` … `to` (default: the last 30 days; at most 366), each as it stands now: by channel and status, answered
    on time or late, open, overdue, the median days to answer, root causes by rule with the article, complaints
    per 1,000 attempts, recusals, proxy warnings and anti-collection signals."""
    with units.read() as session:
        agencies.visible(session, p, agency_id, field="agency_id")
        first, last = _period(session, p, at, day_from, day_to)
        return report.agency_report(session, p.institution_id, agency_id, first, last, at=at)


@router.post("/agencies/{agency_id}/complaint-report", response_model=SubmittedReport, response_model_by_alias=True,
             status_code=201, summary="提交投诉处理情况报告 Submit the agency's complaint report (art. 22)")
def submit_report(agency_id: PathId, p: Reporter, units: UnitsDep, at: Now, day_from: DayFrom = None,
                  day_to: DayTo = None, body: Annotated[SubmitIn | None, Body()] = None) -> SubmittedReport:
    """Generate the report for the period from the records, as GET does, and record it as submitted to the
    institution: its figures, who submitted it and when, in the ledger. Submitting again for the same period is a
    correction; every submission is kept."""
    with units.write(at) as unit:
        agencies.visible(unit.session, p, agency_id, field="agency_id")
        first, last = _period(unit.session, p, at, day_from, day_to)
        made = report.agency_report(unit.session, p.institution_id, agency_id, first, last, at=at)
        by = p.key_id  # the key or the console session's user id: no name in the ledger
        seq = report.submit(unit, made, by=by, note=body.note if body else None)
        return SubmittedReport(agency_id=agency_id, period_from=first, period_to=last, submitted_at=at, submitted_by=by,
                            ledger_seq=seq, figures=report.figures_of(made))


@router.get("/agencies/{agency_id}/complaint-reports", response_model=list[SubmittedReport],
            response_model_by_alias=True, summary="已提交的投诉处理情况报告 The agency's submitted complaint reports")
def list_submitted(agency_id: PathId, p: Reader, units: UnitsDep) -> list[SubmittedReport]:
    """The reports submitted for the agency (the latest 50 first), as the ledger recorded them."""
    with units.read() as session:
        agencies.visible(session, p, agency_id, field="agency_id")
        return report.submitted(session, p.institution_id, [agency_id])
