"""监督 Oversight over HTTP: agencies' evaluations, commitments, listing and termination; inspections and their
samples; rectification orders; staff; evidence files; the obligations calendar.

Only institution admins and compliance officers change anything (`oversight:write`); auditors read all of their
institution; an agency operator reads its own agency's evaluations, orders, inspections and obligations only —
anything else answers like an unknown id (art. 19(五))."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends, Header, Query, Request, Response

from collectguard.api.common import Limit, Page, PathId, page
from collectguard.api.deps import Now, UnitsDep, require
from collectguard.api.params import Offset
from collectguard.api.responses import ERRORS
from collectguard.auth.roles import Permission, Principal
from collectguard.auth.service import entrusts
from collectguard.errors import InvalidInput, NotFound
from collectguard.fields import Instant, Note
from collectguard.oversight import calendar, files, service
from collectguard.oversight import models as om
from collectguard.oversight import repository as repo
from collectguard.oversight.sampling import SampleOut, draw
from collectguard.oversight.schemas import (
    AgencyStageOut,
    CommitmentOut,
    CommitmentsIn,
    EvaluationCreate,
    EvaluationKind,
    EvaluationOut,
    FileOut,
    FindingOut,
    InspectionCreate,
    InspectionOut,
    ListingIn,
    ObligationsOut,
    OrderOut,
    RectificationDoneIn,
    RectificationOrderCreate,
    StaffCreate,
    StaffOut,
    TerminationIn,
)
from collectguard.registry import models as m
from collectguard.registry import tenancy
from collectguard.registry.schemas import EventOut, Ident, Strict
from collectguard.rulebook.obligations import Status

router = APIRouter(prefix="/v1", tags=["oversight 监督"], responses=ERRORS)
T = TypeVar("T")
Reader = Annotated[Principal, Depends(require(Permission.OVERSIGHT_READ))]
Writer = Annotated[Principal, Depends(require(Permission.OVERSIGHT_WRITE))]


def _own(p: Principal, institution: str, field: str = "institution") -> None:
    if institution != p.institution_id:
        raise NotFound("institution", institution, field=field)


def _agency_scope(p: Principal) -> list[str] | None:
    """The agencies an agency-bound reader may see (its own); None for the institution's own people."""
    return [p.agency_id] if p.agency_id is not None else None


def _readable(p: Principal, row: T | None, agency: str | None, kind: str, ident: str) -> T:
    """The row if the caller may read it — its institution's; for an agency operator, its own agency's — else
    the same 404 as an id that does not exist (art. 19(五))."""
    if row is None or getattr(row, "institution_id", None) != p.institution_id or (
            p.agency_id is not None and agency != p.agency_id):
        raise NotFound(kind, ident, field="id")
    return row


def _works_with(session: object, p: Principal, agency: str, field: str = "agency") -> None:
    """An agency the institution has an agreement with (or approved as a subcontractor); else not found."""
    if not entrusts(session, p.institution_id, agency, listing=False):  # type: ignore[arg-type]
        raise NotFound("agency", agency, field=field)


# == staff and evidence files ===============================================================================
@router.post("/staff", response_model=StaffOut, status_code=201, summary="登记监督人员 Register a person who "
             "evaluates, inspects or investigates")
def create_staff(body: StaffCreate, p: Writer, units: UnitsDep, at: Now) -> StaffOut:
    data = body.with_new_id()
    with units.write(at) as unit:
        if data.org != p.institution_id:
            _works_with(unit.session, p, data.org, "org")  # anything else is not found
            # An agency's people are the agency's own record (docs/tenancy.md): the institution keeps its own.
            raise InvalidInput("只能登记本机构的人员", "an institution registers its own staff only", field="org")
        row = service.add_staff(unit, data)
        tenancy.remember_ref(unit.session, p.institution_id, "staff", body.ref, row.id)
        return StaffOut.model_validate(row)


@router.get("/staff", response_model=Page[StaffOut], summary="监督人员 People of the institution")
def list_staff(p: Reader, units: UnitsDep, limit: Limit = 50, offset: Offset = 0) -> Page[StaffOut]:
    with units.read() as session:
        return page(repo.staff(session, _agency_scope(p) or [p.institution_id], limit, offset), limit, offset,
                    StaffOut.model_validate)


@router.post("/evidence-files", response_model=FileOut, status_code=201,
             summary="存证文件 Store an evidence file by its hash",
             openapi_extra={"requestBody": {"required": True, "content": {"application/octet-stream": {
                 "schema": {"type": "string", "format": "binary", "maxLength": files.MAX_BYTES}}}}})
async def store_file(request: Request, p: Writer, units: UnitsDep, at: Now,
                     filename: Annotated[str, Header(alias="X-Filename", min_length=1, max_length=200)]) -> FileOut:
    """The body is the file itself (at most 20 MiB); the answer is its hash (`sm3:` with SM3 ledgers, else
    `sha256:`), which evaluations, commitments and inspections cite. Storing the same file again changes nothing."""
    content = await request.body()
    media = request.headers.get("content-type", "application/octet-stream")
    with units.write(at) as unit:
        row = files.store(unit, p.institution_id, filename, media, content)
        return FileOut.model_validate(row, from_attributes=True)


@router.get("/evidence-files/{file_hash}", summary="取回存证文件 Download an evidence file",
            response_class=Response)
def get_file(file_hash: Annotated[str, files.HASH_PATH], p: Reader, units: UnitsDep) -> Response:
    with units.read() as session:
        row = session.get(om.EvidenceFile, (file_hash, p.institution_id))
        if row is None or p.agency_id is not None:
            raise NotFound("evidence file", file_hash, field="hash")
        return Response(row.content, media_type=row.media_type,
                        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{files.quoted(row.name)}"})


# == agencies: evaluations, commitments, listing, termination ===============================================
@router.post("/agency-evaluations", response_model=EvaluationOut, status_code=201,
             summary="评估合作机构 Evaluate an agency (admission, annual, pre-expiry)")
def create_evaluation(body: EvaluationCreate, p: Writer, units: UnitsDep, at: Now) -> EvaluationOut:
    """Admission scores the nine criteria of art. 17(一); annual and pre-expiry evaluations the five of art. 18(二),
    and the answer carries grades suggested from the ledger's evidence beside the evaluator's own."""
    _own(p, body.institution)
    data = body.with_new_id()
    with units.write(at) as unit:
        _works_with_or_registered(unit.session, p, data.agency)
        row = service.evaluate(unit, data, suggested=service.suggested_grades(unit, data))
        tenancy.remember_ref(unit.session, p.institution_id, "evaluation", body.ref, row.id)
        return EvaluationOut.model_validate(row)


def _works_with_or_registered(session: object, p: Principal, agency: str) -> None:
    """An admission evaluation comes before any agreement: the agency must be one the institution registered or
    works with."""
    row = session.get(m.Agency, agency)  # type: ignore[attr-defined]
    if row is None or (row.registered_by != p.institution_id
                       and not entrusts(session, p.institution_id, agency, listing=False)):  # type: ignore[arg-type]
        raise NotFound("agency", agency, field="agency")


@router.get("/agency-evaluations", response_model=Page[EvaluationOut], summary="评估记录 Evaluations")
def list_evaluations(p: Reader, units: UnitsDep, limit: Limit = 50, offset: Offset = 0,
                     agency: Annotated[Ident | None, Query()] = None,
                     kind: Annotated[EvaluationKind | None, Query()] = None) -> Page[EvaluationOut]:
    with units.read() as session:
        return page(repo.evaluations(session, p.institution_id, agency_id=agency, agencies=_agency_scope(p),
                                     kind=kind, limit=limit, offset=offset), limit, offset, EvaluationOut.model_validate)


@router.get("/agency-evaluations/{evaluation_id}", response_model=EvaluationOut, summary="查看评估 Read an evaluation")
def get_evaluation(evaluation_id: PathId, p: Reader, units: UnitsDep) -> EvaluationOut:
    with units.read() as session:
        row = session.get(om.AgencyEvaluation, evaluation_id)
        return EvaluationOut.model_validate(_readable(p, row, row.agency_id if row else None, "evaluation",
                                                      evaluation_id))


@router.post("/agency-commitments", response_model=list[CommitmentOut], status_code=201,
             summary="书面承诺 The agency's written commitments (art. 17(二))")
def give_commitments(body: CommitmentsIn, p: Writer, units: UnitsDep, at: Now) -> list[CommitmentOut]:
    _own(p, body.institution)
    with units.write(at) as unit:
        _works_with_or_registered(unit.session, p, body.agency)
        if body.document_hash is not None and unit.session.get(om.EvidenceFile,
                                                               (body.document_hash, p.institution_id)) is None:
            raise NotFound("evidence file", body.document_hash, field="document_hash")
        return [CommitmentOut.model_validate(r) for r in service.commit(unit, body)]


@router.post("/agency-listing", response_model=EventOut, summary="列入或移出名单 List or delist an agency")
def agency_listing(body: ListingIn, p: Writer, units: UnitsDep, at: Now) -> EventOut:
    """Listing needs an agreement, a passed admission evaluation and the three commitments (409 naming every rule
    that fails: `art17-agency-admission`, `art17-commitments`); the gate follows at once."""
    _own(p, body.institution)
    with units.write(at) as unit:
        _works_with(unit.session, p, body.agency)
        return service.list_agency(unit, body)


@router.post("/agency-terminations", response_model=EventOut, summary="终止委托 Terminate an agency (art. 18(四))")
def terminate(body: TerminationIn, p: Writer, units: UnitsDep, at: Now) -> EventOut:
    """The gate denies the agency from this instant; each debt placed with it today gets a stop notice."""
    _own(p, body.institution)
    with units.write(at) as unit:
        _works_with(unit.session, p, body.agency)
        return service.terminate(unit, body)


@router.get("/agencies/{agency_id}/lifecycle", response_model=AgencyStageOut,
            summary="合作机构所处阶段 Where an agency stands: applied → … → terminated")
def lifecycle(agency_id: PathId, p: Reader, units: UnitsDep, at: Now) -> AgencyStageOut:
    with units.read() as session:
        if p.agency_id is not None and agency_id != p.agency_id:
            raise NotFound("agency", agency_id, field="id")
        _works_with_or_registered(session, p, agency_id)
        found = service.stage(session, p.institution_id, agency_id)
        orders = repo.orders(session, p.institution_id, agency_id=agency_id, open_only=True)[0]
        evaluations = repo.evaluations(session, p.institution_id, agency_id=agency_id, limit=1)[0]
        admission = found["admission"]
        return AgencyStageOut(
            agency=agency_id, stage=found["stage"], listing_status=found["listing_status"],
            admission=EvaluationOut.model_validate(admission) if admission else None,
            commitments=found["commitments"], missing_commitments=found["missing"],
            open_orders=[OrderOut.model_validate(o) for o in orders],
            last_evaluation=EvaluationOut.model_validate(evaluations[0]) if evaluations else None)


# == inspections =============================================================================================
def _inspection_out(row: om.Inspection, found: list[om.InspectionFinding]) -> InspectionOut:
    out = InspectionOut.model_validate(row)
    out.findings = [FindingOut.model_validate(f) for f in found]
    return out


@router.post("/inspections", response_model=InspectionOut, status_code=201,
             summary="登记检查 Record an inspection (self, scheduled, surprise; art. 12(二))")
def create_inspection(body: InspectionCreate, p: Writer, units: UnitsDep, at: Now) -> InspectionOut:
    """With `period_from`, `period_to` and `sample_size` the inspection gets a reproducible sample of the period's
    attempts (GET /v1/inspections/{id}/sample); its seed is recorded in the ledger."""
    _own(p, body.institution)
    data = body.with_new_id()
    with units.write(at) as unit:
        if data.org != p.institution_id:
            _works_with(unit.session, p, data.org, "org")
        row = service.inspect(unit, data, known_rules=service.known_rules())
        tenancy.remember_ref(unit.session, p.institution_id, "inspection", body.ref, row.id)
        unit.session.flush()
        return _inspection_out(row, repo.findings(unit.session, [row.id])[row.id])


@router.get("/inspections", response_model=Page[InspectionOut], summary="检查记录 Inspections")
def list_inspections(p: Reader, units: UnitsDep, limit: Limit = 50, offset: Offset = 0) -> Page[InspectionOut]:
    with units.read() as session:
        rows, total = repo.inspections(session, p.institution_id, orgs=_agency_scope(p), limit=limit, offset=offset)
        found = repo.findings(session, [r.id for r in rows])
        return page((rows, total), limit, offset, lambda r: _inspection_out(r, found[r.id]))


def _inspection(session: object, p: Principal, inspection_id: str) -> om.Inspection:
    row = session.get(om.Inspection, inspection_id)  # type: ignore[attr-defined]
    return _readable(p, row, row.org_id if row else None, "inspection", inspection_id)


@router.get("/inspections/{inspection_id}", response_model=InspectionOut, summary="查看检查 Read an inspection")
def get_inspection(inspection_id: PathId, p: Reader, units: UnitsDep) -> InspectionOut:
    with units.read() as session:
        row = _inspection(session, p, inspection_id)
        return _inspection_out(row, repo.findings(session, [row.id])[row.id])


@router.get("/inspections/{inspection_id}/sample", response_model=SampleOut,
            summary="检查样本 The inspection's sample, drawn again from its recorded seed")
def inspection_sample(inspection_id: PathId, p: Reader, units: UnitsDep,
                      recordings: Annotated[bool, Query(description="只抽录音 recordings only")] = False) -> SampleOut:
    """Stratified by agency, collector and channel; anyone with the seed draws the same sample."""
    with units.read() as session:
        row = _inspection(session, p, inspection_id)
        if row.seed is None or row.period_from is None or row.period_to is None or row.sample_size is None:
            raise NotFound("sample", inspection_id, field="id")
        # A self-inspection of the institution samples its in-house collectors; of an agency, that agency's.
        org = row.org_id
        return draw(session, institution_id=row.institution_id, org_id=org, period_from=row.period_from,
                    period_to=row.period_to, size=row.sample_size, seed=row.seed, recordings=recordings)


# == rectification ===========================================================================================
@router.post("/rectification-orders", response_model=OrderOut, status_code=201,
             summary="下达整改 Order an agency to rectify (art. 18(三))")
def create_order(body: RectificationOrderCreate, p: Writer, units: UnitsDep, at: Now) -> OrderOut:
    """With `stop_collection: true` the gate denies the agency's collectors (`art17-agency-listed`) until the order
    is done. `inspection` and `finding` link it to the finding it answers."""
    _own(p, body.institution)
    data = body.with_new_id()
    with units.write(at) as unit:
        _works_with(unit.session, p, data.agency)
        row = service.order(unit, data)
        tenancy.remember_ref(unit.session, p.institution_id, "order", body.ref, row.id)
        return OrderOut.model_validate(row)


@router.get("/rectification-orders", response_model=Page[OrderOut], summary="整改单 Rectification orders")
def list_orders(p: Reader, units: UnitsDep, limit: Limit = 50, offset: Offset = 0,
                agency: Annotated[Ident | None, Query()] = None,
                open_only: Annotated[bool, Query(alias="open")] = False) -> Page[OrderOut]:
    with units.read() as session:
        return page(repo.orders(session, p.institution_id, agency_id=agency, agencies=_agency_scope(p),
                                open_only=open_only, limit=limit, offset=offset), limit, offset, OrderOut.model_validate)


@router.get("/rectification-orders/{order_id}", response_model=OrderOut, summary="查看整改单 Read an order")
def get_order(order_id: PathId, p: Reader, units: UnitsDep) -> OrderOut:
    with units.read() as session:
        row = session.get(om.RectificationOrder, order_id)
        return OrderOut.model_validate(_readable(p, row, row.agency_id if row else None, "rectification order",
                                                 order_id))


class DoneBody(Strict):
    note: Note | None = None


@router.post("/rectification-orders/{order_id}/done", response_model=OrderOut,
             summary="整改完成 The rectification is done")
def order_done(order_id: PathId, p: Writer, units: UnitsDep, at: Now, body: DoneBody | None = None) -> OrderOut:
    with units.write(at) as unit:
        row = service.done(unit, RectificationDoneIn(order=order_id, note=body.note if body else None),
                           institution=p.institution_id)
        return OrderOut.model_validate(row)


# == the obligations calendar ================================================================================
@router.get("/obligations", response_model=ObligationsOut, summary="义务日历 The obligations calendar")
def obligations(p: Reader, units: UnitsDep, now: Now,
                institution: Annotated[Ident, Query(description="机构 the caller's institution")],
                at: Annotated[Instant | None, Query(description="时点（默认现在）the moment (default now)")] = None,
                due_within: Annotated[int, Query(ge=0, le=366, description="临期天数 items due within N days count "
                                                                          "as due")] = 30,
                status: Annotated[Status | None, Query(description="只看某一状态 only items of one status")] = None,
                pressing: Annotated[bool, Query(description="只看逾期及临期未履行的 only overdue items and items not "
                                                            "met whose deadline is within `due_within` days")] = False,
                ) -> ObligationsOut:
    """Every obligation of RULES.md's table that applies — its subject, deadline, status (met, due, overdue) and
    the records that met it — computed from the ledger's tables at `at`. An agency operator sees its own
    agency's items only."""
    _own(p, institution)
    when: datetime = at or now
    if when > now:
        raise InvalidInput("不能查看未来的义务状态", "`at` is in the future: the calendar answers for what has "
                           "happened", field="at")
    with units.read() as session:
        return calendar.calendar(session, institution, when, due_within_days=due_within, agency=p.agency_id,
                                 status=status, pressing=pressing)

