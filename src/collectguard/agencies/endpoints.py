"""催收机构 Agencies over HTTP: agencies, advance approvals of subcontractors and agreements.

Every read is one read-only unit (no write lock on SQLite); every change is one write unit that records it in
the ledger. Anything outside what the caller may see is a 404 that says no more than "not found" (art. 19(五))."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from sqlalchemy.orm import Session

from collectguard.agencies import repository as repo
from collectguard.agencies import service
from collectguard.agencies.models import Agency
from collectguard.agencies.schemas import (
    AgencyCreate,
    AgencyOut,
    AgencyStatusIn,
    AgreementCreate,
    AgreementOut,
    AgreementPatch,
    SubcontractorApprovalIn,
    SubcontractorApprovalOut,
)
from collectguard.api.common import (
    EVENTS,
    EventWriter,
    Limit,
    Page,
    PathId,
    Reader,
    Writer,
    institution_only,
    may_record,
    own_institution,
    page,
)
from collectguard.api.deps import Now, UnitsDep
from collectguard.api.params import Offset
from collectguard.api.responses import ERRORS
from collectguard.auth.roles import Principal
from collectguard.auth.service import entrusts
from collectguard.errors import Conflict, InvalidInput, NotFound
from collectguard.fields import StrictDate
from collectguard.oversight import service as oversight
from collectguard.registry import schemas as s
from collectguard.registry import tenancy
from collectguard.registry.schemas import EventOut
from collectguard.rulebook.vocabulary import ListingStatus

router = APIRouter(prefix="/v1")


def agency_out(session: Session, p: Principal, row: Agency) -> AgencyOut:
    listing = repo.listing(session, p.institution_id, row.id)
    return AgencyOut(id=row.id, name=row.name, parent_id=row.parent_id,
                     listing_status=ListingStatus(listing.status) if listing else None,
                     listed_since=listing.since if listing else None,
                     subcontractor_approved=repo.approved(session, p.institution_id, row.id))


# == agencies ========================================================================================
AGENCIES: list[str | Enum] = ["registry 登记: agencies 催收机构"]
AGENCY_EXAMPLES = {
    "agency": {"summary": "一家催收机构，列入本机构名单 An agency, listed for the caller",
               "value": {"ref": "agC", "name": "丙催收有限公司"}},
    "subcontractor": {"summary": "经批准的转委托机构 An approved subcontractor of agA",
                      "value": {"ref": "agA-sub", "name": "甲催收（外包）", "parent": "agA", "approved_by": ["bank"]}},
}


@router.post("/agencies", response_model=AgencyOut, status_code=201, tags=AGENCIES, responses=ERRORS,
             summary="登记催收机构 Register an agency (listed for the caller)")
def create_agency(body: Annotated[AgencyCreate, Body(openapi_examples=AGENCY_EXAMPLES)], p: Writer, units: UnitsDep,
                  at: Now) -> AgencyOut:
    """A top-level agency is put on the caller's name list (status active). A subcontractor (`parent`) is listed
    only if `listed_by` says so; `approved_by: [<caller>]` records the advance approval (art. 17(四))."""
    if body.listed_by:
        raise InvalidInput("名单须在签订委托协议后登记：POST /v1/agreements，再 POST /v1/agency-status",
                           "an agency is listed only under an agreement: POST /v1/agreements, then POST "
                           "/v1/agency-status", field="listed_by")
    for inst in body.approved_by:
        own_institution(p, inst, "approved_by")
    data = body.with_new_id()
    with units.write(at) as unit:
        if body.parent is not None:
            repo.visible(unit.session, p, body.parent, field="parent")
        row = service.add_agency(unit, data, by=p.institution_id)
        tenancy.remember_ref(unit.session, p.institution_id, "agency", body.ref, row.id)
        unit.session.flush()
        return agency_out(unit.session, p, row)


@router.get("/agencies/{agency_id}", response_model=AgencyOut, tags=AGENCIES, responses=ERRORS,
            summary="查看催收机构 Read an agency")
def get_agency(agency_id: PathId, p: Reader, units: UnitsDep) -> AgencyOut:
    with units.read() as session:
        return agency_out(session, p, repo.visible(session, p, agency_id))


@router.get("/agencies", response_model=Page[AgencyOut], tags=AGENCIES, responses=ERRORS,
            summary="催收机构列表 Agencies the caller works with")
def list_agencies(
    p: Reader, units: UnitsDep, limit: Limit = 50, offset: Offset = 0,
    status: Annotated[ListingStatus | None, Query(description="本机构名单状态 listing status")] = None,
    parent: Annotated[s.Ident | None, Query()] = None,
) -> Page[Any]:
    with units.read() as session:
        rows = repo.agencies(session, p, limit, offset, status=status, parent=parent)
        return page(rows, limit, offset, lambda r: agency_out(session, p, r))


# == subcontractor approvals =========================================================================
SUBS: list[str | Enum] = ["registry 登记: subcontractor approvals 转委托批准"]


@router.post("/subcontractor-approvals", response_model=SubcontractorApprovalOut, status_code=201, tags=SUBS,
             responses=ERRORS, summary="批准转委托机构 Approve a subcontractor in advance (art. 17(四))")
def approve_subcontractor(body: SubcontractorApprovalIn, p: Writer, units: UnitsDep,
                          at: Now) -> SubcontractorApprovalOut:
    with units.write(at) as unit:
        agency = repo.visible(unit.session, p, body.agency)
        if agency.parent_id is None:
            raise InvalidInput(f"{body.agency} 不是转委托机构（无上级机构）",
                               f"{body.agency} is not a subcontractor (it has no parent agency)", field="agency")
        row = service.approve_subcontractor(unit, p.institution_id, body.agency)
        return SubcontractorApprovalOut.model_validate(row)


@router.get("/subcontractor-approvals/{agency_id}", response_model=SubcontractorApprovalOut, tags=SUBS,
            responses=ERRORS, summary="查看转委托批准 Read an approval")
def get_subcontractor_approval(agency_id: PathId, p: Reader, units: UnitsDep) -> SubcontractorApprovalOut:
    institution_only(p, "转委托批准 subcontractor approvals")
    with units.read() as session:
        return SubcontractorApprovalOut.model_validate(repo.approval(session, p, agency_id))


@router.get("/subcontractor-approvals", response_model=Page[SubcontractorApprovalOut], tags=SUBS,
            responses=ERRORS, summary="转委托批准列表 Approvals of the caller")
def list_subcontractor_approvals(p: Reader, units: UnitsDep, limit: Limit = 50, offset: Offset = 0) -> Page[Any]:
    institution_only(p, "转委托批准 subcontractor approvals")
    with units.read() as session:
        return page(repo.approvals(session, p, limit, offset), limit, offset, SubcontractorApprovalOut.model_validate)


# == agreements ======================================================================================
AGREEMENTS: list[str | Enum] = ["registry 登记: agreements 委托协议"]
AGREEMENT_EXAMPLES = {"agreement": {"summary": "一年期委托协议 A one-year agreement", "value": {
    "ref": "ag-2027", "institution": "bank", "agency": "agA", "from": "2027-01-01", "to": "2027-12-31",
    "subcontracting": False}}}


@router.post("/agreements", response_model=AgreementOut, status_code=201, tags=AGREEMENTS, responses=ERRORS,
             summary="登记委托协议 Register an agreement with an agency")
def create_agreement(body: Annotated[AgreementCreate, Body(openapi_examples=AGREEMENT_EXAMPLES)], p: Writer,
                     units: UnitsDep, at: Now) -> AgreementOut:
    """Any registered agency may be entrusted (agencies are public records, art. 13); the agreement is what lets
    the institution then put it on its name list."""
    own_institution(p, body.institution)
    data = body.with_new_id()
    with units.write(at) as unit:
        if not repo.exists(unit.session, body.agency):
            raise NotFound("agency", body.agency, field="agency")
        row = service.add_agreement(unit, data)
        tenancy.remember_ref(unit.session, p.institution_id, "agreement", body.ref, row.id)
        return AgreementOut.model_validate(row)


@router.get("/agreements/{agreement_id}", response_model=AgreementOut, tags=AGREEMENTS, responses=ERRORS,
            summary="查看委托协议 Read an agreement")
def get_agreement(agreement_id: PathId, p: Reader, units: UnitsDep) -> AgreementOut:
    institution_only(p, "委托协议 agreements")
    with units.read() as session:
        return AgreementOut.model_validate(repo.agreement(session, p, agreement_id))


@router.get("/agreements", response_model=Page[AgreementOut], tags=AGREEMENTS, responses=ERRORS,
            summary="委托协议列表 Agreements")
def list_agreements(
    p: Reader, units: UnitsDep, limit: Limit = 50, offset: Offset = 0,
    agency: Annotated[s.Ident | None, Query()] = None,
    active_on: Annotated[StrictDate | None, Query(description="在该日有效 in force on this day")] = None,
) -> Page[Any]:
    institution_only(p, "委托协议 agreements")
    with units.read() as session:
        rows = repo.agreements(session, p, limit, offset, agency=agency, active_on=active_on)
        return page(rows, limit, offset, AgreementOut.model_validate)


@router.patch("/agreements/{agreement_id}", response_model=AgreementOut, tags=AGREEMENTS, responses=ERRORS,
              summary="修改委托协议 Change an agreement's period or subcontracting")
def patch_agreement(agreement_id: PathId, body: AgreementPatch, p: Writer, units: UnitsDep, at: Now) -> AgreementOut:
    with units.write(at) as unit:
        repo.agreement(unit.session, p, agreement_id)
        return AgreementOut.model_validate(service.update_agreement(unit, agreement_id, body.changes()))


# == events: an agency on the caller's name list =====================================================
@router.post("/agency-status", response_model=EventOut, tags=EVENTS, summary="名单状态 Agency name-list status")
def agency_status(body: AgencyStatusIn, p: EventWriter, units: UnitsDep, at: Now) -> EventOut:
    """Change an agency's status on the caller's name list: suspend, reactivate, terminate (with stop notices for
    its placed debts, art. 18(四)). Putting an agency that is not on the list back to active is a listing: it needs
    a written agreement (art. 17(三)), a passed admission evaluation and the three commitments (art. 17(一)(二));
    for a subcontractor, the caller's advance approval (art. 17(四))."""
    may_record(p, "agency_status")
    if body.institution != p.institution_id:
        raise NotFound("institution", body.institution, field="institution")
    with units.write(at) as unit:
        if not repo.exists(unit.session, body.agency):
            raise NotFound("agency", body.agency, field="agency")
        if not entrusts(unit.session, p.institution_id, body.agency, listing=False):
            raise Conflict(f"与 {body.agency} 无委托协议，不能列入名单（第17条）",
                           f"no agreement with {body.agency}: it cannot be put on the name list (art. 17)",
                           field="agency", code="art17-agreement-active")
        return oversight.change_status(unit, body)
