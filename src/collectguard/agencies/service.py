"""Agencies, institutions' name lists, advance approvals of subcontractors and agreements: create and change, in
the caller's transaction, each change in the ledger (`Unit.record`). Services never commit."""

from __future__ import annotations

from typing import Any

from collectguard.agencies import models as am
from collectguard.agencies.schemas import AgencyStatusIn
from collectguard.errors import Conflict
from collectguard.ledger.tags import Tag
from collectguard.public import service as disclosure
from collectguard.registry import models as m
from collectguard.registry import schemas as s
from collectguard.registry.schemas import EventOut
from collectguard.registry.unit import Unit, check_period
from collectguard.rulebook.vocabulary import ListingStatus


def add_agency(unit: Unit, data: s.AgencyIn, *, by: str | None = None) -> am.Agency:
    """Register an agency (a shared record). `by`: the institution that registered it over the API; the
    event is recorded for it and for every institution that lists or approves the agency."""
    if data.parent is not None:
        unit.require(am.Agency, data.parent, kind="agency", field="parent")
    row = am.Agency(id=data.id, name=data.name, parent_id=data.parent, registered_by=by)
    concerned = list(dict.fromkeys([*([by] if by else []), *data.listed_by, *data.approved_by]))
    unit.new(row, "agency", data.id, Tag.AGENCY_CREATED, data.model_dump(mode="json"), concerned)
    unit.session.flush()
    for inst in data.listed_by:
        unit.require(m.Institution, inst, kind="institution", field="listed_by")
        unit.session.add(
            am.AgencyListing(institution_id=inst, agency_id=data.id, status=ListingStatus.ACTIVE, since=unit.at)
        )
    for inst in data.approved_by:
        unit.require(m.Institution, inst, kind="institution", field="approved_by")
        unit.session.add(am.SubcontractorApproval(institution_id=inst, agency_id=data.id))
    return row


def approve_subcontractor(unit: Unit, institution: str, agency: str) -> am.SubcontractorApproval:
    """An institution's advance approval of a subcontractor (art. 17(四)); recorded as created."""
    unit.get(m.Institution, institution, kind="institution", field="institution")
    unit.get(am.Agency, agency, kind="agency", field="agency")
    if unit.session.get(am.SubcontractorApproval, (institution, agency)) is not None:
        raise Conflict(f"已批准转委托机构 {agency}", f"subcontractor {agency} is already approved",
                       field="agency", code="duplicate-id")
    row = am.SubcontractorApproval(institution_id=institution, agency_id=agency)
    unit.session.add(row)
    unit.record(Tag.SUBCONTRACTOR_APPROVAL_CREATED, agency, {"agency": agency}, institution)
    return row


def add_agreement(unit: Unit, data: s.AgreementIn) -> am.Agreement:
    unit.require(m.Institution, data.institution, kind="institution", field="institution")
    unit.require(am.Agency, data.agency, kind="agency", field="agency")
    row = am.Agreement(
        id=data.id,
        institution_id=data.institution,
        agency_id=data.agency,
        valid_from=data.from_,
        valid_to=data.to,
        subcontracting=data.subcontracting,
    )
    unit.new(row, "agreement", data.id, Tag.AGREEMENT_CREATED, data.model_dump(mode="json", by_alias=True),
             data.institution)
    if unit.session.get(am.AgencyListing, (data.institution, data.agency)) is not None:
        disclosure.record_disclosure(unit, data.institution)  # a listed agency's new agreement may publish it
    return row


def update_agreement(unit: Unit, ident: str, changes: dict[str, Any]) -> am.Agreement:
    row = unit.get(am.Agreement, ident, kind="agreement")
    check_period(changes.get("valid_from", row.valid_from), changes.get("valid_to", row.valid_to), "to")
    unit.update(row, Tag.AGREEMENT_UPDATED, ident, changes, row.institution_id)
    disclosure.record_disclosure(unit, row.institution_id)
    return row


def agency_status(unit: Unit, data: AgencyStatusIn) -> EventOut:
    """Put an agency on an institution's name list, or change its status there (art. 17(二))."""
    unit.get(m.Institution, data.institution, kind="institution", field="institution")
    unit.get(am.Agency, data.agency, kind="agency", field="agency")
    listing = unit.session.get(am.AgencyListing, (data.institution, data.agency))
    if listing is None:
        listing = am.AgencyListing(institution_id=data.institution, agency_id=data.agency, status=data.status,
                                   since=unit.at)
        unit.session.add(listing)
    listing.status = data.status
    listing.since = unit.at
    seq = unit.record(Tag.AGENCY_LISTING_CHANGED, data.agency, {"status": data.status}, data.institution)
    disclosure.record_disclosure(unit, data.institution)  # the public list follows the name list (art. 13)
    return EventOut(kind=Tag.AGENCY_LISTING_CHANGED, subject=data.agency, ledger_seq=seq)
