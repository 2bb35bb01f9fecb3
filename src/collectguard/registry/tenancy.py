"""Who an object belongs to, and which institutions an event concerns (art. 19(五)).

Tenant-owned objects created over the API get ids the server makes (registry/ids.py), so no tenant can choose an
id that another tenant holds, learn from a 409 that it exists, or make another tenant's reference resolve to its own
row.
A tenant's own reference (a loan number, a CRM id) is kept beside it in `external_refs`, unique per institution
and kind. Agencies and their people are shared: an event about them concerns every institution that entrusts the
agency, and is recorded once for each, so each tenant finds it in its own ledger.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, exists, or_, select
from sqlalchemy.orm import Session

from collectguard.errors import Conflict, NotFound
from collectguard.registry import models as m


def institutions_of_agency(session: Session, agency_id: str) -> list[str]:
    """Institutions that entrust the agency or its parent: on their name list, under an agreement, or approved
    as their subcontractor."""
    agency = session.get(m.Agency, agency_id)
    family = [agency_id] + ([agency.parent_id] if agency is not None and agency.parent_id else [])
    found: set[str] = set()
    for model in (m.AgencyListing, m.Agreement, m.SubcontractorApproval):
        found |= set(session.execute(select(model.institution_id).where(model.agency_id.in_(family))).scalars())
    return sorted(found)


def institutions_of_org(session: Session, org_id: str) -> list[str]:
    """An institution concerns itself; an agency concerns the institutions that entrust it."""
    if session.get(m.Institution, org_id) is not None:
        return [org_id]
    return institutions_of_agency(session, org_id)


def institutions_of_debtor(session: Session, debtor_id: str) -> list[str]:
    """The debtor's owner and every institution with a debt the debtor owes or guarantees."""
    owner = session.execute(select(m.Debtor.institution_id).where(m.Debtor.id == debtor_id)).scalar()
    guaranteed = select(m.DebtGuarantor.debt_id).where(m.DebtGuarantor.debtor_id == debtor_id)
    debts = set(session.execute(select(m.Debt.institution_id).where(
        or_(m.Debt.debtor_id == debtor_id, m.Debt.id.in_(guaranteed)))).scalars())
    return sorted(debts | ({owner} if owner else set()))


def remember_ref(session: Session, institution_id: str, kind: str, ref: str | None, object_id: str) -> None:
    """Keep the tenant's own reference for a new object; a reference the tenant already used is a 409 — only the
    tenant's own references can ever collide."""
    if ref is None:
        return
    if session.get(m.ExternalRef, (institution_id, kind, ref)) is not None:
        raise Conflict(f"引用 {ref} 已用于本机构的另一{kind}", f"reference {ref} is already used by another {kind} of "
                       "this institution", field="ref", code="duplicate-ref")
    session.add(m.ExternalRef(institution_id=institution_id, kind=kind, ref=ref, object_id=object_id))


def resolve_ref(session: Session, institution_id: str, kind: str, ref: str) -> str:
    row = session.get(m.ExternalRef, (institution_id, kind, ref))
    if row is None:
        raise NotFound(kind, ref, field="ref")
    return row.object_id


def refs_of(session: Session, institution_id: str, ids: list[str]) -> dict[str, str]:
    """object id → the tenant's reference, for the objects that have one."""
    if not ids:
        return {}
    rows = session.execute(select(m.ExternalRef.object_id, m.ExternalRef.ref).where(
        m.ExternalRef.institution_id == institution_id, m.ExternalRef.object_id.in_(ids)))
    return {object_id: ref for object_id, ref in rows}


def works_with(institution: Any, agency: Any) -> ColumnElement[bool]:
    """SQL: the institution works with the agency (an expression or parameter) — lists it, has an agreement with
    it, approved it as a subcontractor, or lists its parent. Everything else is another tenant's business."""
    parent = select(m.Agency.parent_id).where(m.Agency.id == agency).scalar_subquery()
    return or_(
        exists().where(m.AgencyListing.institution_id == institution, m.AgencyListing.agency_id.in_([agency, parent])),
        exists().where(m.Agreement.institution_id == institution, m.Agreement.agency_id == agency),
        exists().where(m.SubcontractorApproval.institution_id == institution,
                       m.SubcontractorApproval.agency_id == agency),
    )
