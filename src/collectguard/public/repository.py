"""The queries of public disclosure: which agencies an institution entrusts on a day (on its name list, active,
under an agreement covering the day — an approved subcontractor under its parent's), their public contacts, the
institution's complaint channels, and the ledger seq of the latest change to its name list. Read live, never
cached: the pages change the moment the tables do."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from collectguard.agencies import repository as agencies
from collectguard.agencies.models import Agency, AgencyListing, Agreement, SubcontractorApproval
from collectguard.auth.roles import Principal
from collectguard.ledger.models import LedgerRecord
from collectguard.ledger.tags import Tag
from collectguard.public.models import AgencyContact, ComplaintChannels
from collectguard.registry.models import Institution
from collectguard.rulebook.vocabulary import ListingStatus

DEFAULT_ZONE = "Asia/Shanghai"
# Ledger kinds that change an institution's name list or what its public list shows.
LISTING_KINDS = (Tag.AGENCY_LISTING_CHANGED, Tag.PUBLIC_AGENCY_LIST_CHANGED)


@dataclass(frozen=True)
class Entrusted:
    """One agency on the public list, with its contact and, for a subcontractor, its parent."""

    agency: Agency
    contact: AgencyContact | None
    parent: Agency | None


def institution(session: Session, institution_id: str) -> Institution | None:
    return session.get(Institution, institution_id)


def zone_name(row: Institution) -> str:
    """The institution's zone (institutions.timezone, Asia/Shanghai unless it names another): its 'today'."""
    name = row.timezone
    if name:
        try:
            ZoneInfo(name)
            return name
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return DEFAULT_ZONE


def complaint_days(row: Institution, default: int) -> int:
    """Days to answer a complaint: the institution's policy `complaint_days`, else the guideline's."""
    days = (row.policy or {}).get("complaint_days")
    return days if isinstance(days, int) and not isinstance(days, bool) and days > 0 else default


def entrusted(session: Session, institution_id: str, day: date) -> list[Entrusted]:
    """The agencies the institution entrusts on `day`, by name, as the gate judges them (rules/agencies.py): an
    agency with no parent is active on the name list under an agreement in force that day; a subcontractor is
    approved in advance, not taken off the list (unlisted or active), and its parent — itself no subcontractor —
    is active on the list under an agreement in force that day that allows subcontracting."""
    listings: dict[str, str] = {agency_id: status for agency_id, status in session.execute(
        select(AgencyListing.agency_id, AgencyListing.status).where(AgencyListing.institution_id == institution_id))}
    approved = set(session.execute(select(SubcontractorApproval.agency_id).where(
        SubcontractorApproval.institution_id == institution_id)).scalars())
    if not listings and not approved:
        return []
    covering: dict[str, bool] = {}  # agency → some agreement in force on `day` allows subcontracting
    for agency_id, subcontracting in session.execute(select(Agreement.agency_id, Agreement.subcontracting).where(
            Agreement.institution_id == institution_id, Agreement.valid_from <= day, Agreement.valid_to >= day)):
        covering[agency_id] = covering.get(agency_id, False) or bool(subcontracting)
    rows = {a.id: a for a in session.execute(select(Agency).where(Agency.id.in_(set(listings) | approved))).scalars()}
    parents = {a.id: a for a in session.execute(select(Agency).where(
        Agency.id.in_({a.parent_id for a in rows.values() if a.parent_id is not None}))).scalars()}

    def active(agency_id: str) -> bool:
        return listings.get(agency_id) == ListingStatus.ACTIVE

    chosen: list[tuple[Agency, Agency | None]] = []
    for agency in rows.values():
        if agency.parent_id is None:
            if active(agency.id) and agency.id in covering:
                chosen.append((agency, None))
            continue
        parent = parents.get(agency.parent_id)
        if (parent is not None and parent.parent_id is None and agency.id in approved
                and listings.get(agency.id) in (None, ListingStatus.ACTIVE)
                and active(parent.id) and covering.get(parent.id, False)):
            chosen.append((agency, parent))
    contacts = {c.agency_id: c for c in session.execute(select(AgencyContact).where(
        AgencyContact.agency_id.in_([a.id for a, _ in chosen]))).scalars()} if chosen else {}
    found = [Entrusted(a, contacts.get(a.id), parent) for a, parent in chosen]
    return sorted(found, key=lambda e: (e.agency.name or e.agency.id, e.agency.id))


def channels(session: Session, institution_id: str) -> ComplaintChannels | None:
    return session.get(ComplaintChannels, institution_id)


def contact(session: Session, agency_id: str) -> AgencyContact | None:
    return session.get(AgencyContact, agency_id)


def visible_agency(session: Session, p: Principal, agency_id: str) -> Agency:
    """An agency the caller works with (agencies/repository.py); anyone else's is not found."""
    return agencies.visible(session, p, agency_id, field="agency_id")


def latest_listing_seq(session: Session, institution_id: str) -> int | None:
    """The ledger seq of the latest change to the institution's name list or to what its public list shows."""
    seq: int | None = session.execute(select(func.max(LedgerRecord.seq)).where(
        LedgerRecord.institution_id == institution_id, LedgerRecord.kind.in_([str(k) for k in LISTING_KINDS]))
    ).scalar()
    return seq
