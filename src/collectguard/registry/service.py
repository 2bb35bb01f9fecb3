"""Create and change the registry. Services never commit: the caller's transaction does.

Every change is appended to the ledger as `registry:<entity>:<action>`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from collectguard.db.base import Base
from collectguard.errors import Conflict, InvalidInput, NotFound
from collectguard.ledger import service as ledger
from collectguard.registry import models as m
from collectguard.registry import refusals, tenancy
from collectguard.registry import schemas as s
from collectguard.registry.personal import write_personal
from collectguard.rulebook.policy import InstitutionPolicy, PolicyError, validate_policy
from collectguard.rulebook.profile import (
    DEFAULT_PROFILE,
    QuietHours,
    UnreachableDefinition,
    load_profile,
    parse_hhmm,
)
from collectguard.rulebook.vocabulary import ListingStatus

SINGLE_AGENCY = "art17-single-agency"
# Ledger kinds whose changes the gate's registry snapshot must see (gate/snapshot.py).
CACHED_KINDS = (
    "registry:institution:", "registry:agency:", "registry:agreement:", "registry:collector:", "registry:tool:",
    "registry:template:", "registry:subcontractor-approval:", "agency:", "collector:", "template:",
)
T = TypeVar("T", bound=Base)


class Registry:
    """The registry's operations on one session, recording each change in the ledger."""

    def __init__(self, session: Session, *, at: datetime, algorithm: str = "sm3") -> None:
        self.session = session
        self.at = at
        self.algorithm = algorithm
        # Ids known to exist / known to be absent in this unit of work (rows are never deleted).
        self._known: dict[type[Base], set[str]] = {}
        self._absent: dict[type[Base], set[str]] = {}
        # Rows created in this unit of work, held strongly (the session's identity map holds them weakly),
        # and the placements of debts created here: a bulk load then needs no query to find either.
        self._created: dict[tuple[type[Base], str], Any] = {}
        self._new_debt_placements: dict[str, list[m.Placement]] = {}

    # -- helpers ---------------------------------------------------------------------------------
    def get(self, model: type[T], ident: str, *, kind: str, field: str | None = None) -> T:
        row = self._created.get((model, ident)) or self.session.get(model, ident)
        if row is None:
            raise NotFound(kind, ident, field=field)
        return row

    def require(self, model: type[Base], ident: str, *, kind: str, field: str | None = None) -> None:
        """Check that a row exists, remembering the answer for this unit of work (bulk loads check the
        same institutions and debtors thousands of times)."""
        if ident in self._known.setdefault(model, set()):
            return
        self.get(model, ident, kind=kind, field=field)
        self._known[model].add(ident)

    def _exists(self, model: type[Base], ident: str) -> bool:
        if ident in self._known.setdefault(model, set()):
            return True
        if ident in self._absent.setdefault(model, set()):
            return False
        return self.session.get(model, ident) is not None

    def _new(self, row: Base, kind: str, ident: str, payload: dict[str, Any],
             institution: str | list[str] | None) -> None:
        model = type(row)
        if self._exists(model, ident):
            raise Conflict(f"{kind} {ident} 已存在", f"{kind} {ident} already exists", field="id", code="duplicate-id")
        self.session.add(row)
        self._created[(model, ident)] = row
        self._known[model].add(ident)
        self._absent.get(model, set()).discard(ident)
        if isinstance(institution, list):
            self.record_for(f"registry:{kind}:created", ident, payload, institution)
        else:
            self.record(f"registry:{kind}:created", ident, payload, institution)

    def record(self, kind: str, subject: str, payload: dict[str, Any], institution: str | None) -> int:
        """Append a ledger record in this transaction; returns its sequence number. A change to what the
        gate caches also moves the registry version, once per transaction."""
        if kind.startswith(CACHED_KINDS) and not self.session.info.get("registry_bumped"):
            moved = self.session.execute(update(m.RegistryState).where(m.RegistryState.id == 1)
                                         .values(version=m.RegistryState.version + 1))
            if moved.rowcount == 0:  # an emptied database: start the count again
                self.session.add(m.RegistryState(id=1, version=1))
            self.session.info["registry_bumped"] = True
        return ledger.append(
            self.session,
            kind=kind,
            subject=subject,
            at=self.at,
            payload=payload,
            institution_id=institution,
            algorithm=self.algorithm,
        ).seq

    def record_for(self, kind: str, subject: str, payload: dict[str, Any], institutions: list[str]) -> int:
        """Record an event once for each institution it concerns (a shared agency's people concern every
        institution that entrusts the agency); once without an institution when it concerns none yet."""
        seq = 0
        for institution in institutions or [None]:  # type: ignore[list-item]
            seq = self.record(kind, subject, payload, institution)
        return seq

    def record_for_agency(self, kind: str, subject: str, payload: dict[str, Any], agency_id: str) -> int:
        return self.record_for(kind, subject, payload, tenancy.institutions_of_agency(self.session, agency_id))

    def record_for_org(self, kind: str, subject: str, payload: dict[str, Any], org_id: str) -> int:
        return self.record_for(kind, subject, payload, tenancy.institutions_of_org(self.session, org_id))

    def org_exists(self, org: str) -> bool:
        return self.session.get(m.Institution, org) is not None or self.session.get(m.Agency, org) is not None

    # -- entities --------------------------------------------------------------------------------
    def add_institution(self, data: s.InstitutionIn, policy: s.PolicyIn | None = None) -> m.Institution:
        policy_data = policy.model_dump(by_alias=True, exclude_none=True) if policy else {}
        if policy is not None:
            check_policy(policy)
        row = m.Institution(id=data.id, name=data.name, profile=DEFAULT_PROFILE, policy=policy_data)
        self._new(row, "institution", data.id, {"name": data.name, "policy": policy_data}, data.id)
        return row

    def add_agency(self, data: s.AgencyIn, *, by: str | None = None) -> m.Agency:
        """Register an agency (a shared record). `by`: the institution that registered it over the API; the
        event is recorded for it and for every institution that lists or approves the agency."""
        if data.parent is not None:
            self.require(m.Agency, data.parent, kind="agency", field="parent")
        row = m.Agency(id=data.id, name=data.name, parent_id=data.parent, registered_by=by)
        concerned = list(dict.fromkeys([*([by] if by else []), *data.listed_by, *data.approved_by]))
        self._new(row, "agency", data.id, data.model_dump(mode="json"), concerned)
        self.session.flush()
        for inst in data.listed_by:
            self.require(m.Institution, inst, kind="institution", field="listed_by")
            self.session.add(
                m.AgencyListing(institution_id=inst, agency_id=data.id, status=ListingStatus.ACTIVE, since=self.at)
            )
        for inst in data.approved_by:
            self.require(m.Institution, inst, kind="institution", field="approved_by")
            self.session.add(m.SubcontractorApproval(institution_id=inst, agency_id=data.id))
        return row

    def add_agreement(self, data: s.AgreementIn) -> m.Agreement:
        self.require(m.Institution, data.institution, kind="institution", field="institution")
        self.require(m.Agency, data.agency, kind="agency", field="agency")
        row = m.Agreement(
            id=data.id,
            institution_id=data.institution,
            agency_id=data.agency,
            valid_from=data.from_,
            valid_to=data.to,
            subcontracting=data.subcontracting,
        )
        self._new(row, "agreement", data.id, data.model_dump(mode="json", by_alias=True), data.institution)
        return row

    def add_collector(self, data: s.CollectorIn) -> m.Collector:
        if not self.org_exists(data.org):
            raise NotFound("organisation", data.org, field="org")
        row = m.Collector(
            id=data.id,
            org_id=data.org,
            kind=data.kind,
            status=data.status,
            pre_job_exam=data.pre_job_exam,
            pledge_signed=data.pledge_signed,
            last_training=data.last_training,
            approved=data.approved,
        )
        self._new(row, "collector", data.id, data.model_dump(mode="json"),
                  tenancy.institutions_of_org(self.session, data.org))
        if data.last_training is not None:
            self.session.add(m.Training(collector_id=data.id, day=data.last_training))
        return row

    def add_tool(self, data: s.ToolIn) -> m.Tool:
        self.require(m.Institution, data.institution, kind="institution", field="institution")
        if data.org is not None and not self.org_exists(data.org):
            raise NotFound("organisation", data.org, field="org")
        row = m.Tool(
            id=data.id,
            institution_id=data.institution,
            type=data.type,
            official=data.official,
            filed=data.filed,
            org_id=data.org,
            active_from=data.active_from,
            active_to=data.active_to,
        )
        self._new(row, "tool", data.id, data.model_dump(mode="json"), data.institution)
        return row

    def add_template(self, data: s.TemplateIn) -> m.Template:
        self.require(m.Institution, data.institution, kind="institution", field="institution")
        row = m.Template(id=data.id, institution_id=data.institution, audience=data.audience, channel=data.channel)
        self._new(row, "template", data.id, data.model_dump(mode="json"), data.institution)
        self.session.flush()
        self.session.add(
            m.TemplateVersion(
                template_id=data.id,
                version=1,
                text=data.text,
                sealed=data.sealed,
                status="approved" if data.approved else "pending",
            )
        )
        return row

    def add_debtor(
        self, data: s.DebtorIn, default_timezone: str = s.DEFAULT_TIMEZONE, institution: str | None = None
    ) -> m.Debtor:
        """Register a debtor; `institution` marks the tenant that registered it over the API."""
        row = m.Debtor(id=data.id, timezone=data.timezone or default_timezone, status=data.status,
                       institution_id=institution)
        write_personal(self.session, row, {"name": data.name, "phone": data.phone, "id_number": data.id_number,
                                           "address": data.address})
        # Personal data stays out of the ledger: only the id and non-personal fields are recorded.
        self._new(row, "debtor", data.id, {"timezone": row.timezone, "status": data.status}, institution)
        return row

    def add_contact(self, data: s.ContactIn, *, institution: str | None = None) -> m.Contact:
        """`institution`: who registered it over the API; else every institution the debtor owes."""
        self.require(m.Debtor, data.debtor, kind="debtor", field="debtor")
        if self._exists(m.Debtor, data.id):
            raise Conflict(f"{data.id} 已是债务人", f"{data.id} is already a debtor", field="id", code="duplicate-id")
        row = m.Contact(
            id=data.id,
            debtor_id=data.debtor,
            relation=data.relation,
            refused=data.refused,
            refused_at=self.at if data.refused else None,
            offers_to_repay=data.offers_to_repay,
        )
        write_personal(self.session, row, {"name": data.name, "phone": data.phone})
        if data.refused:  # registered as already refused: its number is refused too (art. 8(三))
            refusals.remember(self.session, row, tenancy.institutions_of_debtor(self.session, data.debtor), self.at)
        self._new(row, "contact", data.id, data.model_dump(mode="json", exclude={"name", "phone"}),
                  [institution] if institution else tenancy.institutions_of_debtor(self.session, data.debtor))
        return row

    def add_debt(self, data: s.DebtIn) -> m.Debt:
        self.require(m.Institution, data.institution, kind="institution", field="institution")
        self.require(m.Debtor, data.debtor, kind="debtor", field="debtor")
        for g in data.guarantors:
            self.require(m.Debtor, g, kind="debtor", field="guarantors")
        row = m.Debt(
            id=data.id,
            institution_id=data.institution,
            debtor_id=data.debtor,
            product=data.product,
            overdue_amount=data.overdue_amount,
            overdue_since=data.overdue_since,
            status=data.status,
            settled_at=self.at if data.status == "settled" else None,
        )
        self._new(row, "debt", data.id, data.model_dump(mode="json"), data.institution)
        self._new_debt_placements[data.id] = []
        if data.guarantors:
            self.session.flush()  # the debt row before the rows that refer to it
        for g in dict.fromkeys(data.guarantors):
            self.session.add(m.DebtGuarantor(debt_id=data.id, debtor_id=g))
        return row

    def add_placement(self, data: s.PlacementIn, *, lock: Any = None) -> m.Placement:
        """Place a debt with an agency. An overlapping placement of the same debt is refused (art. 17(三))."""
        debt = self.get(m.Debt, data.debt, kind="debt", field="debt")
        self.require(m.Agency, data.agency, kind="agency", field="agency")
        if lock is not None:
            lock(self.session, m.Debt.id, debt.id)
        self._refuse_overlap(data.debt, data.from_, data.to)
        row = m.Placement(debt_id=data.debt, agency_id=data.agency, valid_from=data.from_, valid_to=data.to)
        self.session.add(row)
        if data.debt in self._new_debt_placements:
            self._new_debt_placements[data.debt].append(row)
        self.record("registry:placement:created", data.debt, data.model_dump(mode="json", by_alias=True), debt.institution_id)
        return row

    def _refuse_overlap(self, debt_id: str, start: date, end: date, *, ignore: int | None = None) -> None:
        """INVARIANT: the placements of one debt never overlap (art. 17(三)); dates are inclusive."""
        overlap: m.Placement | None
        if debt_id in self._new_debt_placements and ignore is None:  # a debt created in this unit of work
            overlap = next((p for p in self._new_debt_placements[debt_id]
                            if p.valid_from <= end and p.valid_to >= start), None)
        else:
            stmt = select(m.Placement).where(
                m.Placement.debt_id == debt_id, m.Placement.valid_from <= end, m.Placement.valid_to >= start
            )
            if ignore is not None:
                stmt = stmt.where(m.Placement.id != ignore)
            overlap = self.session.execute(stmt).scalars().first()
        if overlap is not None:
            raise Conflict(
                f"债务 {debt_id} 在 {overlap.valid_from}–{overlap.valid_to} 已委托给 {overlap.agency_id}，"
                f"同一期间只能委托一家催收机构（第17条第(三)款）",
                f"debt {debt_id} is already placed with {overlap.agency_id} for {overlap.valid_from}–"
                f"{overlap.valid_to}; one debt, one agency at a time (art. 17(三))",
                field="from",
                code=SINGLE_AGENCY,
            )

    def add_debtor_agreement(self, data: s.DebtorAgreementIn) -> m.DebtorAgreement:
        self.require(m.Debtor, data.debtor, kind="debtor", field="debtor")
        self.require(m.Institution, data.institution, kind="institution", field="institution")
        row = m.DebtorAgreement(
            debtor_id=data.debtor,
            institution_id=data.institution,
            windows=[w.model_dump(by_alias=True, exclude_none=True) for w in data.windows],
            voice_cap=data.voice_cap,
            effective_call_cap=data.effective_call_cap,
            visit_cap=data.visit_cap,
            unreachable=data.unreachable.model_dump() if data.unreachable else None,
        )
        self.session.add(row)
        self.record(
            "registry:debtor-agreement:created", data.debtor, data.model_dump(mode="json", by_alias=True), data.institution
        )
        return row

    def _prefetch_absent(self, world: s.World) -> None:
        kinds: list[tuple[type[Base], list[str]]] = [
            (m.Institution, _ids(world.institutions)), (m.Agency, _ids(world.agencies)),
            (m.Agreement, _ids(world.agreements)), (m.Collector, _ids(world.collectors)), (m.Tool, _ids(world.tools)),
            (m.Template, _ids(world.templates)), (m.Debtor, _ids(world.debtors) + _ids(world.contacts)),
            (m.Contact, _ids(world.contacts)), (m.Debt, _ids(world.debts)),
        ]
        for model, ids in kinds:
            present: set[str] = set()
            for start in range(0, len(ids), 500):
                chunk = ids[start:start + 500]
                present |= set(self.session.execute(select(model.id).where(model.id.in_(chunk))).scalars())
            self._absent.setdefault(model, set()).update(set(ids) - present)

    def load_world(self, world: s.World, default_timezone: str = s.DEFAULT_TIMEZONE) -> None:
        """Create a whole world in dependency order (scenario setup, imports, the demo).

        Ids are checked for duplicates with one query per kind, not one per row."""
        self._prefetch_absent(world)
        for item in world.institutions:
            self.add_institution(item)
        for agency in _parents_first(world.agencies):
            self.add_agency(agency)
            self.session.flush()
        steps: list[tuple[list[Any], Any]] = [
            (world.agreements, self.add_agreement),
            (world.collectors, self.add_collector),
            (world.tools, self.add_tool),
            (world.templates, self.add_template),
            (world.debtors, lambda d: self.add_debtor(d, default_timezone)),
            (world.contacts, self.add_contact),
            (world.debts, self.add_debt),
            (world.placements, self.add_placement),
            (world.debtor_agreements, self.add_debtor_agreement),
        ]
        for items, add in steps:
            for item in items:
                add(item)
            self.session.flush()
        # contacts registered as refused before their debtor's debts were: their numbers, now that they are
        refusals.remember_registered(self.session, [c.id for c in world.contacts if c.refused], self.at)


    # -- updates (HTTP PATCH): each change appends `registry:<entity>:updated` ----------------------
    # `changes` are keyed by the row's attribute names and hold only what the caller sent.
    def _update(self, row: Base, kind: str, ident: str, changes: dict[str, Any], institution: str | None,
                payload: dict[str, Any] | None = None) -> None:
        for attr, value in changes.items():
            setattr(row, attr, value)
        self.record(f"registry:{kind}:updated", ident, changes if payload is None else payload, institution)

    def update_institution(self, ident: str, changes: dict[str, Any]) -> m.Institution:
        row = self.get(m.Institution, ident, kind="institution")
        self._update(row, "institution", ident, changes, ident)
        return row

    def update_agreement(self, ident: str, changes: dict[str, Any]) -> m.Agreement:
        row = self.get(m.Agreement, ident, kind="agreement")
        self._check_period(changes.get("valid_from", row.valid_from), changes.get("valid_to", row.valid_to), "to")
        self._update(row, "agreement", ident, changes, row.institution_id)
        return row

    def update_collector(self, ident: str, changes: dict[str, Any]) -> m.Collector:
        """Qualifications only (the collector's shared record: changed by its own organisation or the platform);
        status and trainings change through their own events. Recorded for every institution it concerns."""
        row = self.get(m.Collector, ident, kind="collector")
        for attr, value in changes.items():
            setattr(row, attr, value)
        self.record_for_org("registry:collector:updated", ident, changes, row.org_id)
        return row

    def update_tool(self, ident: str, changes: dict[str, Any]) -> m.Tool:
        row = self.get(m.Tool, ident, kind="tool")
        if changes.get("org_id") is not None and not self.org_exists(changes["org_id"]):
            raise NotFound("organisation", changes["org_id"], field="org")
        start, end = changes.get("active_from", row.active_from), changes.get("active_to", row.active_to)
        if start is not None and end is not None:
            self._check_period(start, end, "active_to")
        self._update(row, "tool", ident, changes, row.institution_id)
        return row

    def update_template(self, ident: str, changes: dict[str, Any]) -> m.Template:
        """Whether the template is in use; its text changes only as a new version (art. 15(一))."""
        row = self.get(m.Template, ident, kind="template")
        self._update(row, "template", ident, changes, row.institution_id)
        return row

    def update_debtor(self, ident: str, changes: dict[str, Any], *, institution: str | None = None) -> m.Debtor:
        """Personal fields are re-encrypted; the ledger names the fields changed, never their values.
        `institution`: who changed it, for a debtor shared by imports (else the debtor's owner)."""
        row = self.get(m.Debtor, ident, kind="debtor")
        personal = {k: v for k, v in changes.items() if k in ("name", "phone", "id_number", "address")}
        plain = {k: v for k, v in changes.items() if k not in ("name", "phone", "id_number", "address")}
        write_personal(self.session, row, personal)
        for attr, value in plain.items():
            setattr(row, attr, value)
        concerned = [institution] if institution else tenancy.institutions_of_debtor(self.session, ident)
        self.record_for("registry:debtor:updated", ident, {"fields": sorted(changes), **plain}, concerned)
        return row

    def update_contact(self, ident: str, changes: dict[str, Any], *, institution: str | None = None) -> m.Contact:
        row = self.get(m.Contact, ident, kind="contact")
        personal = {k: v for k, v in changes.items() if k in ("name", "phone")}
        plain = {k: v for k, v in changes.items() if k not in personal}
        write_personal(self.session, row, personal)
        for attr, value in plain.items():
            setattr(row, attr, value)
        concerned = [institution] if institution else tenancy.institutions_of_debtor(self.session, row.debtor_id)
        self.record_for("registry:contact:updated", ident, {"fields": sorted(changes), **plain}, concerned)
        return row

    def update_debt(self, ident: str, changes: dict[str, Any]) -> m.Debt:
        """Product and arrears; status changes through repayments, guarantors through `guarantors`."""
        row = self.get(m.Debt, ident, kind="debt")
        guarantors = changes.pop("guarantors", None)
        payload: dict[str, Any] = dict(changes)
        if guarantors is not None:
            for g in guarantors:
                self.get(m.Debtor, g, kind="debtor", field="guarantors")
            current = self.session.execute(select(m.DebtGuarantor).where(m.DebtGuarantor.debt_id == ident)).scalars()
            for link in current:
                self.session.delete(link)
            self.session.flush()
            for g in dict.fromkeys(guarantors):
                self.session.add(m.DebtGuarantor(debt_id=ident, debtor_id=g))
            payload["guarantors"] = list(dict.fromkeys(guarantors))
        self._update(row, "debt", ident, changes, row.institution_id, payload)
        return row

    def update_placement(self, placement_id: int, changes: dict[str, Any], *, lock: Any = None) -> m.Placement:
        """Shorten or extend a placement; periods of one debt still never overlap (art. 17(三))."""
        row = self.session.get(m.Placement, placement_id)
        if row is None:
            raise NotFound("placement", str(placement_id))
        if lock is not None:
            lock(self.session, m.Debt.id, row.debt_id)
        start, end = changes.get("valid_from", row.valid_from), changes.get("valid_to", row.valid_to)
        self._check_period(start, end, "to")
        self._refuse_overlap(row.debt_id, start, end, ignore=row.id)
        debt = self.get(m.Debt, row.debt_id, kind="debt")
        self._update(row, "placement", row.debt_id, changes, debt.institution_id, {"placement": row.id, **changes})
        return row

    def update_debtor_agreement(self, agreement_id: int, changes: dict[str, Any]) -> m.DebtorAgreement:
        row = self.session.get(m.DebtorAgreement, agreement_id)
        if row is None:
            raise NotFound("debtor agreement", str(agreement_id))
        self._update(row, "debtor-agreement", row.debtor_id, changes, row.institution_id,
                     {"debtor_agreement": row.id, **changes})
        return row

    def approve_subcontractor(self, institution: str, agency: str) -> m.SubcontractorApproval:
        """An institution's advance approval of a subcontractor (art. 17(四)); recorded as created."""
        self.get(m.Institution, institution, kind="institution", field="institution")
        self.get(m.Agency, agency, kind="agency", field="agency")
        if self.session.get(m.SubcontractorApproval, (institution, agency)) is not None:
            raise Conflict(f"已批准转委托机构 {agency}", f"subcontractor {agency} is already approved",
                           field="agency", code="duplicate-id")
        row = m.SubcontractorApproval(institution_id=institution, agency_id=agency)
        self.session.add(row)
        self.record("registry:subcontractor-approval:created", agency, {"agency": agency}, institution)
        return row


    @staticmethod
    def _check_period(start: Any, end: Any, field: str) -> None:
        if end < start:
            raise InvalidInput("结束日期早于开始日期", "the period ends before it starts", field=field)


def _ids(items: list[Any]) -> list[str]:
    return [item.id for item in items]


def _parents_first(agencies: list[s.AgencyIn]) -> list[s.AgencyIn]:
    by_id = {a.id: a for a in agencies}
    ordered: list[s.AgencyIn] = []
    seen: set[str] = set()

    def visit(agency: s.AgencyIn, trail: tuple[str, ...]) -> None:
        if agency.id in seen:
            return
        if agency.id in trail:
            raise InvalidInput("转委托关系成环", f"subcontracting cycle: {' → '.join(trail + (agency.id,))}", field="parent")
        if agency.parent in by_id:
            visit(by_id[agency.parent], trail + (agency.id,))
        seen.add(agency.id)
        ordered.append(agency)

    for agency in agencies:
        visit(agency, ())
    return ordered


def to_policy(data: s.PolicyIn | dict[str, Any] | None) -> InstitutionPolicy:
    """Turn stored or submitted policy into the rulebook's InstitutionPolicy."""
    if data is None:
        return InstitutionPolicy()
    if isinstance(data, dict):
        data = s.PolicyIn.model_validate(data)
    quiet = data.quiet_hours
    return InstitutionPolicy(
        voice_cap=data.voice_cap,
        effective_call_cap=data.effective_call_cap,
        visit_cap=data.visit_cap,
        combined_voice_cap=data.combined_voice_cap,
        quiet_hours=QuietHours(parse_hhmm(quiet.from_), parse_hhmm(quiet.to)) if quiet else None,
        unreachable=UnreachableDefinition(**data.unreachable.model_dump()) if data.unreachable else None,
        lease_ttl_s=data.lease_ttl_s,
    )


def check_policy(data: s.PolicyIn) -> None:
    """Refuse a policy looser than the guideline, naming the field."""
    try:
        validate_policy(to_policy(data), load_profile(DEFAULT_PROFILE))
    except PolicyError as exc:
        raise InvalidInput(exc.message_zh, exc.message_en, field=f"policy.{exc.field}", code="policy-looser-than-guideline") from exc
