"""催收人员 Collectors over HTTP: people and AI voice agents, their qualifications and trainings.

A collector is a shared record of its own organisation: an institution writes its in-house collectors, an agency
its own people with its own key (`agency_admin`); an institution only accepts, suspends or recognises trainings
of an agency's people for itself (events: POST /v1/collector-status, /v1/trainings). Every read is one read-only
unit, every change one write unit recorded in the ledger."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from sqlalchemy.orm import Session

from collectguard.api.common import (
    EVENTS,
    Limit,
    Page,
    PathId,
    StaffEvents,
    StaffReader,
    StaffWriter,
    may_record,
    page,
)
from collectguard.api.deps import Now, UnitsDep
from collectguard.api.params import Offset
from collectguard.api.responses import ERRORS
from collectguard.auth.roles import Principal
from collectguard.collectors import repository as repo
from collectguard.collectors import service
from collectguard.collectors.models import Collector
from collectguard.collectors.schemas import (
    CollectorCreate,
    CollectorOut,
    CollectorPatch,
    CollectorStatusIn,
    TrainingIn,
    TrainingOut,
)
from collectguard.errors import InvalidInput
from collectguard.registry import schemas as s
from collectguard.registry import tenancy
from collectguard.registry.schemas import EventOut
from collectguard.rulebook.vocabulary import CollectorKind, CollectorStatus

router = APIRouter(prefix="/v1")
COLLECTORS: list[str | Enum] = ["registry 登记: collectors 催收人员"]
COLLECTOR_EXAMPLES = {
    "human": {"summary": "机构的催收员 A human collector of an agency", "value": {
        "ref": "c2", "org": "agA", "kind": "human", "pre_job_exam": "2026-02-01", "pledge_signed": True,
        "last_training": "2026-02-01"}},
    "ai": {"summary": "AI 语音催收 An approved AI voice agent", "value": {
        "ref": "bot2", "org": "bank", "kind": "ai_agent", "approved": True}},
}


def collector_out(session: Session, p: Principal, row: Collector) -> CollectorOut:
    """The shared record; for another organisation's collector, with the caller's own acceptance and the latest
    training it recognised."""
    out = CollectorOut.model_validate(row)
    if not p.institution_id or row.org_id == p.institution_id:
        return out
    acceptance = repo.acceptance(session, p.institution_id, row.id)
    return out.model_copy(update={"institution_status": CollectorStatus(acceptance.status) if acceptance else None,
                                  "recognised_training": repo.recognised_training(session, p.institution_id, row.id)})


@router.post("/collectors", response_model=CollectorOut, status_code=201, tags=COLLECTORS, responses=ERRORS,
             summary="登记催收人员 Register a collector (person or AI agent)")
def create_collector(body: Annotated[CollectorCreate, Body(openapi_examples=COLLECTOR_EXAMPLES)], p: StaffWriter,
                     units: UnitsDep, at: Now) -> CollectorOut:
    """An institution registers its own (in-house) collectors; an agency registers its own people with its
    agency key (`agency_admin`): an agency's people are a shared record that no institution may write."""
    if p.is_agency_admin and body.ref is not None:
        raise InvalidInput("ref 是金融机构自己的引用，催收机构密钥不能设置", "ref is an institution's own reference; an "
                           "agency key cannot keep one (use the id the server returns)", field="ref")
    service.refuse_future_days(at, {"pre_job_exam": body.pre_job_exam, "last_training": body.last_training})
    data = body.with_new_id()
    with units.write(at) as unit:
        repo.own_staff(unit.session, p, body.org)
        row = service.add_collector(unit, data)
        if p.institution_id:
            tenancy.remember_ref(unit.session, p.institution_id, "collector", body.ref, row.id)
        unit.session.flush()
        return collector_out(unit.session, p, row)


@router.get("/collectors/{collector_id}", response_model=CollectorOut, tags=COLLECTORS, responses=ERRORS,
            summary="查看催收人员 Read a collector")
def get_collector(collector_id: PathId, p: StaffReader, units: UnitsDep) -> CollectorOut:
    with units.read() as session:
        return collector_out(session, p, repo.visible(session, p, collector_id))


@router.get("/collectors/{collector_id}/trainings", response_model=list[TrainingOut], tags=COLLECTORS,
            responses=ERRORS, summary="培训记录 Trainings and exams passed (art. 6(二)5)")
def list_trainings(collector_id: PathId, p: StaffReader, units: UnitsDep) -> list[TrainingOut]:
    """The trainings the collector's organisation recorded, and those the caller itself recognised — never
    another institution's."""
    with units.read() as session:
        repo.visible(session, p, collector_id)
        return [TrainingOut.model_validate(r) for r in repo.trainings(session, p, collector_id)]


@router.get("/collectors", response_model=Page[CollectorOut], tags=COLLECTORS, responses=ERRORS,
            summary="催收人员列表 Collectors")
def list_collectors(
    p: StaffReader, units: UnitsDep, limit: Limit = 50, offset: Offset = 0,
    org: Annotated[s.Ident | None, Query(description="机构或催收机构 institution or agency")] = None,
    kind: Annotated[CollectorKind | None, Query()] = None,
    status: Annotated[CollectorStatus | None, Query()] = None,
) -> Page[Any]:
    with units.read() as session:
        rows = repo.collectors(session, p, limit, offset, org=org, kind=kind, status=status)
        return page(rows, limit, offset, lambda r: collector_out(session, p, r))


@router.patch("/collectors/{collector_id}", response_model=CollectorOut, tags=COLLECTORS, responses=ERRORS,
              summary="修改资质 Change a collector's qualifications")
def patch_collector(collector_id: PathId, body: CollectorPatch, p: StaffWriter, units: UnitsDep,
                    at: Now) -> CollectorOut:
    changes = body.changes()
    service.refuse_future_days(at, {"pre_job_exam": changes.get("pre_job_exam")})
    with units.write(at) as unit:
        repo.own_staff(unit.session, p, repo.visible(unit.session, p, collector_id).org_id)
        row = service.update_collector(unit, collector_id, changes)
        return collector_out(unit.session, p, row)


# == events: a collector's status, a training passed =================================================
@router.post("/collector-status", response_model=EventOut, tags=EVENTS, summary="催收人员状态 Collector status")
def collector_status(body: CollectorStatusIn, p: StaffEvents, units: UnitsDep, at: Now) -> EventOut:
    """From the collector's own organisation: its status for everyone. From an institution about an agency's
    collector: that institution's own suspension (or reinstatement), which no other institution sees."""
    with units.write(at) as unit:
        institution = _speaks_for(unit.session, p, body.collector, "collector_status")
        return service.collector_status(unit, body, institution=institution)


@router.post("/trainings", response_model=EventOut, tags=EVENTS, summary="培训考试 Training passed")
def training(body: TrainingIn, p: StaffEvents, units: UnitsDep, at: Now) -> EventOut:
    """Recorded by the collector's own organisation, a training counts everywhere; recorded by an institution for
    an agency's collector, it counts for that institution only."""
    with units.write(at) as unit:
        institution = _speaks_for(unit.session, p, body.collector, "training")
        return service.training(unit, body, institution=institution)


def _speaks_for(session: Session, p: Principal, collector_id: str, event: str) -> str | None:
    """Who the event speaks for: None for the collector's own agency (its `agency_admin` key), else the caller's
    institution. Anyone else's collector is not found."""
    if p.is_agency_admin:
        repo.agencys_own(session, p, collector_id)
        return None
    may_record(p, event)
    repo.usable(session, p, collector_id)
    return p.institution_id
