"""Events outside HTTP — a scenario's steps, the demo, tests, imports: each is one transaction around its
domain's service, as an endpoint would open it. The gate decides and settles; what changes what it decides is
its domains' business (agencies, collectors, templates, debts, holds), recorded in the ledger like any change.

    events = Events(store)
    events.repayment(RepaymentIn(debt="loan1", settled=True), at)

Each method takes an aware time (`at`, when it happens) and returns what the service returns.
"""

from __future__ import annotations

from datetime import datetime

from collectguard.agencies.schemas import AgencyStatusIn
from collectguard.collectors import service as collectors
from collectguard.collectors.schemas import CollectorStatusIn, TrainingIn
from collectguard.complaints import service as complaints
from collectguard.complaints.schemas import ComplaintAssignIn, ComplaintIn, ComplaintResolvedIn
from collectguard.db.store import Store
from collectguard.debts import service as debts
from collectguard.debts.schemas import ContactRefusedIn, DebtorStatusIn, RepaymentIn
from collectguard.errors import InvalidInput
from collectguard.holds import service as holds
from collectguard.holds.schemas import HoldIn, HoldOut, HoldReleaseIn
from collectguard.incidents import service as incidents
from collectguard.incidents.schemas import IncidentIn, IncidentNotifiedIn
from collectguard.ledger.tags import Tag
from collectguard.oversight import calendar
from collectguard.oversight import service as oversight
from collectguard.oversight.schemas import (
    CheckObligationsIn,
    CommitmentsIn,
    EvaluationIn,
    InspectionIn,
    ListingIn,
    RectificationDoneIn,
    RectificationOrderIn,
    TerminationIn,
)
from collectguard.registry.schemas import EventOut, PlacementIn
from collectguard.registry.unit import Units
from collectguard.templates import service as templates
from collectguard.templates.schemas import TemplateApprovalIn, TemplateEditIn


def aware(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise InvalidInput("时间必须带时区", "`at` must be timezone-aware", field="at")
    return at


class Events:
    """The events of every domain, one transaction each, ledgered with `algorithm`."""

    def __init__(self, store: Store, *, algorithm: str = "sm3") -> None:
        self.units = Units(store, algorithm)

    def repayment(self, data: RepaymentIn, at: datetime) -> EventOut:
        with self.units.write(aware(at)) as unit:
            return debts.repayment(unit, data)

    def contact_refused(self, data: ContactRefusedIn, at: datetime, *, institution: str | None = None) -> EventOut:
        with self.units.write(aware(at)) as unit:
            return debts.contact_refused(unit, data, institution=institution)

    def debtor_status(self, data: DebtorStatusIn, at: datetime) -> EventOut:
        with self.units.write(aware(at)) as unit:
            return debts.debtor_status(unit, data)

    def placement(self, data: PlacementIn, at: datetime) -> EventOut:
        with self.units.write(aware(at)) as unit:
            return debts.placement(unit, data)

    def agency_status(self, data: AgencyStatusIn, at: datetime) -> EventOut:
        """Suspend, reactivate or terminate; an agency not on the list comes back only through admission."""
        with self.units.write(aware(at)) as unit:
            return oversight.change_status(unit, data)

    # -- oversight over time (OVERSIGHT.md) ------------------------------------------------------------------
    def agency_evaluation(self, data: EvaluationIn, at: datetime) -> EventOut:
        with self.units.write(aware(at)) as unit:
            row = oversight.evaluate(unit, data, suggested=oversight.suggested_grades(unit, data))
            return EventOut(kind=Tag.AGENCY_EVALUATED, subject=row.id, ledger_seq=row.ledger_seq)

    def agency_commitments(self, data: CommitmentsIn, at: datetime) -> EventOut:
        with self.units.write(aware(at)) as unit:
            rows = oversight.commit(unit, data)
            return EventOut(kind=Tag.AGENCY_COMMITMENTS_GIVEN, subject=data.agency, ledger_seq=rows[0].ledger_seq)

    def agency_listing(self, data: ListingIn, at: datetime) -> EventOut:
        with self.units.write(aware(at)) as unit:
            return oversight.list_agency(unit, data)

    def agency_termination(self, data: TerminationIn, at: datetime) -> EventOut:
        with self.units.write(aware(at)) as unit:
            return oversight.terminate(unit, data)

    def inspection(self, data: InspectionIn, at: datetime) -> EventOut:
        with self.units.write(aware(at)) as unit:
            row = oversight.inspect(unit, data, known_rules=oversight.known_rules())
            return EventOut(kind=Tag.INSPECTION_RECORDED, subject=row.id, ledger_seq=row.ledger_seq)

    def rectification_order(self, data: RectificationOrderIn, at: datetime) -> EventOut:
        with self.units.write(aware(at)) as unit:
            row = oversight.order(unit, data)
            return EventOut(kind=Tag.RECTIFICATION_ORDERED, subject=row.id, ledger_seq=row.ledger_seq)

    def rectification_done(self, data: RectificationDoneIn, at: datetime) -> EventOut:
        with self.units.write(aware(at)) as unit:
            row = oversight.done(unit, data)
            return EventOut(kind=Tag.RECTIFICATION_DONE, subject=row.id, ledger_seq=row.done_seq or 0)

    # -- complaints (art. 22) and incidents (arts. 21(二), 24) ---------------------------------------------------
    def complaint(self, data: ComplaintIn, at: datetime) -> EventOut:
        """Register a complaint; `detail["proxy_warning"]` says a proxy without valid authorisation was flagged."""
        with self.units.write(aware(at)) as unit:
            return complaints.register(unit, data)

    def complaint_assign(self, data: ComplaintAssignIn, at: datetime) -> EventOut:
        with self.units.write(aware(at)) as unit:
            return complaints.assign(unit, data)

    def complaint_resolved(self, data: ComplaintResolvedIn, at: datetime) -> EventOut:
        with self.units.write(aware(at)) as unit:
            return complaints.resolve(unit, data)

    def incident(self, data: IncidentIn, at: datetime) -> EventOut:
        with self.units.write(aware(at)) as unit:
            return incidents.report(unit, data)

    def incident_notified(self, data: IncidentNotifiedIn, at: datetime) -> EventOut:
        """Notify the institution (art. 21(二)) or report to the SRO (art. 24); a report missing one of its four
        parts is refused with `art24-major-risk-48h` and changes nothing."""
        with self.units.write(aware(at)) as unit:
            return incidents.notify(unit, data)

    def check_obligations(self, data: CheckObligationsIn, at: datetime) -> list[str]:
        """The keys of the institution's overdue obligations at `at` (OVERSIGHT.md's `check_obligations`)."""
        with self.units.read() as session:
            items = calendar.obligations(session, data.institution, aware(at))
            return sorted(i.key for i in items if i.status == "overdue")

    def collector_status(self, data: CollectorStatusIn, at: datetime, *, institution: str | None = None) -> EventOut:
        with self.units.write(aware(at)) as unit:
            return collectors.collector_status(unit, data, institution=institution)

    def training(self, data: TrainingIn, at: datetime, *, institution: str | None = None) -> EventOut:
        with self.units.write(aware(at)) as unit:
            return collectors.training(unit, data, institution=institution)

    def edit_template(self, data: TemplateEditIn, at: datetime) -> EventOut:
        with self.units.write(aware(at)) as unit:
            return templates.edit(unit, data)

    def template_approval(self, data: TemplateApprovalIn, at: datetime, *, pending_only: bool = False) -> EventOut:
        """A refusal by the review checks is committed (it is part of the record), then raised (409)."""
        with self.units.write(aware(at)) as unit:
            event = templates.decide(unit, data, pending_only=pending_only)
        refused = templates.refusal(event)
        if refused is not None:
            raise refused
        return event

    def place_hold(self, data: HoldIn, at: datetime) -> HoldOut:
        with self.units.write(aware(at)) as unit:
            return holds.place(unit, data)

    def release_hold(self, data: HoldReleaseIn, at: datetime, institution: str | None = None) -> HoldOut:
        with self.units.write(aware(at)) as unit:
            return holds.release(unit, data, institution)
