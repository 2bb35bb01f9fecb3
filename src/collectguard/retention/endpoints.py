"""保存与删除 Retention and deletion over HTTP (arts. 12, 20(四), 21(三)).

The institution's own people read the policy and the deletion log (`oversight:read`) and set the policy, run a
purge and decide destruction requests (`oversight:write`). An agency operator asks for the destruction of its
copies (`oversight:report`) and reads its own requests and their deletion-log entries only."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from collectguard.api.common import Limit, Page, PathId, page
from collectguard.api.deps import Now, UnitsDep, require
from collectguard.api.params import Offset
from collectguard.api.responses import ERRORS
from collectguard.auth.roles import Permission, Principal
from collectguard.errors import InvalidInput, NotFound
from collectguard.fields import Instant
from collectguard.retention import repository as repo
from collectguard.retention import service
from collectguard.retention.schemas import (
    DeletionLogOut,
    DeletionReason,
    DestructionDecisionIn,
    DestructionOut,
    DestructionRefusalIn,
    DestructionRequestIn,
    DestructionStatus,
    RetentionPolicyIn,
    RetentionPolicyOut,
    RetentionRunIn,
    RunOut,
    SubjectKind,
)

router = APIRouter(prefix="/v1", tags=["retention 保存与删除"], responses=ERRORS)
Reader = Annotated[Principal, Depends(require(Permission.OVERSIGHT_READ))]
Writer = Annotated[Principal, Depends(require(Permission.OVERSIGHT_WRITE))]
Reporter = Annotated[Principal, Depends(require(Permission.AGENCY_REPORT))]
RequestReader = Annotated[Principal, Depends(require(Permission.OVERSIGHT_READ, Permission.AGENCY_REPORT))]


@router.get("/retention/policy", response_model=RetentionPolicyOut, summary="保存期限 The retention policy")
def get_policy(p: Reader, units: UnitsDep) -> RetentionPolicyOut:
    with units.read() as session:
        return service.get_policy(session, p.institution_id)


@router.put("/retention/policy", response_model=RetentionPolicyOut,
            summary="设置保存期限 Set the retention policy (≥ 2 years, art12-retention)")
def put_policy(body: RetentionPolicyIn, p: Writer, units: UnitsDep, at: Now) -> RetentionPolicyOut:
    with units.write(at) as unit:
        return service.set_policy(unit, p.institution_id, body)


@router.post("/retention/runs", response_model=RunOut, summary="清除到期个人信息 Purge personal data past "
             "retention (a dry run lists who)")
def post_run(body: RetentionRunIn, p: Writer, units: UnitsDep, at: Now,
             vacuum: Annotated[Literal["auto", "full", "plain", "none"], Query(
                 description="auto/full: SQLite VACUUM, PostgreSQL VACUUM FULL of the touched tables (their old "
                             "bytes go); plain: PostgreSQL VACUUM (no exclusive lock; bytes go as pages are reused); "
                             "none: leave it to a maintenance window")] = "auto") -> RunOut:
    """Retention is counted to `at` (default now); the purge acts now. Each debtor purged gets a deletion-log
    entry and a ledger record; the answer lists them by pseudonymous id."""
    return service.run(units, p.institution_id, approved_by=body.approved_by, at=body.at or at, now=at,
                       dry_run=body.dry_run, limit=body.limit, vacuum=vacuum)


@router.get("/deletion-log", response_model=Page[DeletionLogOut], summary="删除记录 The deletion log")
def deletion_log(p: Reader, units: UnitsDep, subject_kind: SubjectKind | None = None,
                 reason: DeletionReason | None = None,
                 subject: Annotated[str | None, Query(max_length=64)] = None,
                 run: Annotated[str | None, Query(max_length=64)] = None,
                 since: Annotated[Instant | None, Query(description="自 from this instant")] = None,
                 until: Annotated[Instant | None, Query(description="至（不含） before this instant")] = None,
                 limit: Limit = 50, offset: Offset = 0) -> Page[DeletionLogOut]:
    """An agency operator sees the entries of its own agency's copies only."""
    with units.read() as session:
        request_ids = None
        if p.agency_id is not None:
            mine, _ = repo.requests(session, p.institution_id, agency_id=p.agency_id, limit=None)
            request_ids = [r.id for r in mine]
        rows = repo.deletion_log(session, p.institution_id, subject_kind=subject_kind, reason=reason,
                                 subject_id=subject, run_id=run, request_ids=request_ids, since=since, until=until,
                                 limit=limit, offset=offset)
        return page(rows, limit, offset, DeletionLogOut.model_validate)


@router.post("/retention/destruction-requests", response_model=DestructionOut, status_code=201,
             summary="申请销毁副本 An agency asks to destroy its copies at the end of an agreement (art. 20(四))")
def request_destruction(body: DestructionRequestIn, p: Reporter, units: UnitsDep, at: Now) -> DestructionOut:
    agency = p.agency_id or body.agency
    if agency is None:
        raise InvalidInput("请指明催收机构", "name the agency", field="agency")
    if p.agency_id is not None and body.agency not in (None, p.agency_id):
        raise NotFound("agency", body.agency or "", field="agency")
    with units.write(at) as unit:
        return DestructionOut.model_validate(service.request_destruction(unit, p.institution_id, agency, body))


@router.get("/retention/destruction-requests", response_model=Page[DestructionOut],
            summary="销毁申请 Destruction requests")
def list_requests(p: RequestReader, units: UnitsDep, status: DestructionStatus | None = None, limit: Limit = 50,
                  offset: Offset = 0) -> Page[DestructionOut]:
    with units.read() as session:
        return page(repo.requests(session, p.institution_id, agency_id=p.agency_id, status=status, limit=limit,
                                  offset=offset), limit, offset, DestructionOut.model_validate)


@router.post("/retention/destruction-requests/{request_id}/approve", response_model=DestructionOut,
             summary="同意销毁 Approve: the agency's access to the institution ends")
def approve(request_id: PathId, body: DestructionDecisionIn, p: Writer, units: UnitsDep, at: Now) -> DestructionOut:
    with units.write(at) as unit:
        return DestructionOut.model_validate(service.approve(unit, p.institution_id, request_id, body))


@router.post("/retention/destruction-requests/{request_id}/refuse", response_model=DestructionOut,
             summary="拒绝销毁 Refuse, with a reason")
def refuse(request_id: PathId, body: DestructionRefusalIn, p: Writer, units: UnitsDep, at: Now) -> DestructionOut:
    with units.write(at) as unit:
        return DestructionOut.model_validate(service.refuse(unit, p.institution_id, request_id, body))
