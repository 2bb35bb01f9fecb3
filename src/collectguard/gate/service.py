"""The gate service: the one public API that scenarios, HTTP and replay call.

`decide` evaluates an attempt and, when it is allowed, takes the lease on its per-day quota in the same
transaction, serialised per debtor (row lock on PostgreSQL, BEGIN IMMEDIATE on SQLite): never
check-then-act. `record_outcome` settles leases; the event methods change what later decisions see.
Each call is one transaction and appends to the ledger.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from collectguard.db.store import Store
from collectguard.errors import CollectGuardError, Conflict, InvalidInput
from collectguard.fields import MAX_TOTAL
from collectguard.gate import schemas as g
from collectguard.gate.batch import expiry_entry, lock_debtors, run_batch
from collectguard.gate.committer import GroupCommitter
from collectguard.gate.facts import unique
from collectguard.gate.models import AttemptRow
from collectguard.gate.snapshot import SnapshotCache
from collectguard.holds import service as holds
from collectguard.holds.schemas import HoldIn, HoldOut, HoldReleaseIn
from collectguard.ledger.service import append_many
from collectguard.notices import outbox
from collectguard.registry import models as m
from collectguard.registry import refusals, tenancy
from collectguard.registry.schemas import PlacementIn
from collectguard.registry.service import Registry
from collectguard.rulebook.calendar import local_date
from collectguard.rulebook.profile import DEFAULT_PROFILE, Profile, load_profile
from collectguard.rulebook.vocabulary import DebtStatus, LeaseState

T = TypeVar("T")
TRAINING_ZONE = ZoneInfo("Asia/Shanghai")


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise InvalidInput("时间必须带时区", "`at` must be timezone-aware", field="at")
    return at


class Gate:
    def __init__(self, store: Store, *, algorithm: str = "sm3", profile: str = DEFAULT_PROFILE) -> None:
        self.store = store
        self.algorithm = algorithm
        self.profile: Profile = load_profile(profile)
        self.snapshots = SnapshotCache()
        self.committer = GroupCommitter(self._batch)

    # -- plumbing --------------------------------------------------------------------------------
    @contextmanager
    def _unit(self, at: datetime) -> Iterator[tuple[Session, Registry]]:
        with self.store.transaction() as session:
            yield session, Registry(session, at=at, algorithm=self.algorithm)

    def _lock_debtor(self, session: Session, debtor_id: str) -> None:
        self.store.lock(session, m.Debtor.id, debtor_id)

    def _event(self, at: datetime, action: Callable[[Session, Registry], T]) -> T:
        at = _aware(at)
        with self._unit(at) as (session, registry):
            return action(session, registry)

    # -- the gate --------------------------------------------------------------------------------
    def decide(self, attempt: g.AttemptIn, at: datetime) -> g.DecisionOut:
        """Evaluate an attempt and, if allowed, lease its per-day quota — atomically. Retrying an attempt id
        returns the first answer and never takes a second lease."""
        return self.committer.submit("decide", attempt, _aware(at))  # type: ignore[no-any-return]

    def decide_many(self, attempts: list[tuple[g.AttemptIn, datetime]]) -> list[g.DecisionOut | CollectGuardError]:
        """Decide many attempts (a dialer's batch): each gets its decision or its own error, in order."""
        return self.committer.submit_many("decide", [(a, _aware(at)) for a, at in attempts])

    def record_outcome(self, outcome: g.OutcomeIn, at: datetime) -> g.OutcomeOut:
        """Settle a lease: connected/effective consumes it, anything else releases it. A late outcome
        (after the lease expired) still settles it."""
        return self.committer.submit("outcome", outcome, _aware(at))  # type: ignore[no-any-return]

    def _batch(self, decides: list[tuple[Any, datetime]], outcomes: list[tuple[Any, datetime]]) -> tuple[list[Any], list[Any]]:
        """One batch in one transaction. A unique violation means another process (the several workers of
        `serve` on PostgreSQL) inserted the same attempt id after this batch looked for it, on another debtor's
        lock: its row is committed by now, so the batch runs once more in a fresh transaction, which finds it
        and answers as for any retry (the first answer, or attempt-id-reused) instead of failing."""
        for last in (False, True):
            try:
                with self.store.transaction() as session:
                    return run_batch(self.store, session, self.profile, lambda: self.snapshots.get(session), decides,
                                     outcomes, self.algorithm)
            except IntegrityError:
                if last:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        """Stop the writer thread (it is a daemon thread: closing is optional)."""
        self.committer.close()

    def expire_leases(self, at: datetime, *, limit: int | None = None) -> list[str]:
        """Mark leases whose outcome has not arrived by their expiry: they count as consumed (fail safe)
        and each is recorded as a missing outcome (`gate:lease:expired`, with its institution). `limit`: at
        most this many, the oldest first, in one transaction (the server's sweeper works in batches)."""
        at = _aware(at)
        with self.store.transaction() as session:
            due = session.execute(select(AttemptRow.id, AttemptRow.debtor_id).where(
                AttemptRow.lease_state == LeaseState.HELD, AttemptRow.lease_expires_at <= at)
                .order_by(AttemptRow.lease_expires_at, AttemptRow.id).limit(limit)).all()
            lock_debtors(self.store, session, unique(debtor for _, debtor in due))
            expired = sorted(session.execute(
                update(AttemptRow)
                .where(AttemptRow.id.in_([i for i, _ in due]), AttemptRow.lease_state == LeaseState.HELD)
                .values(lease_state=LeaseState.EXPIRED.value)
                .returning(AttemptRow.id, AttemptRow.quota_rule, AttemptRow.lease_expires_at, AttemptRow.institution_id)
            ).all())
            append_many(session, [expiry_entry(at, *row) for row in expired], algorithm=self.algorithm)
            return [row[0] for row in expired]

    # -- events ----------------------------------------------------------------------------------
    def repayment(self, data: g.RepaymentIn, at: datetime) -> g.EventOut:
        def act(session: Session, registry: Registry) -> g.EventOut:
            debt = registry.get(m.Debt, data.debt, kind="debt", field="debt")
            self._lock_debtor(session, debt.debtor_id)
            if data.amount is not None:
                total = (debt.repaid_total or 0) + data.amount
                if total > MAX_TOTAL:
                    raise InvalidInput(f"还款合计将超过上限 {MAX_TOTAL} 元", f"the repayments of this debt would total "
                                       f"more than {MAX_TOTAL} yuan", field="amount", code="amount-too-large")
                debt.repaid_total = total
            detail: dict[str, Any] = {"amount": data.amount, "settled": data.settled}
            if data.settled and debt.status != DebtStatus.SETTLED:
                debt.status = DebtStatus.SETTLED
                debt.settled_at = at
                debtor = registry.get(m.Debtor, debt.debtor_id, kind="debtor")
                today = local_date(at, ZoneInfo(debtor.timezone))
                holder = session.execute(
                    select(m.Placement.agency_id).where(
                        m.Placement.debt_id == debt.id,
                        m.Placement.valid_from <= today,
                        m.Placement.valid_to >= today,
                    )
                ).scalar_one_or_none()
                detail["stop_notice_to"] = holder
            record = registry.record("debt:repayment:recorded", debt.id, detail, debt.institution_id)
            if detail.get("stop_notice_to"):
                self._stop_notice(registry, debt.institution_id, detail["stop_notice_to"], debt.id, {"reason": "settled"}, at)
            return g.EventOut(kind="debt:repayment:recorded", subject=debt.id, ledger_seq=record, detail=detail)

        return self._event(at, act)

    def contact_refused(self, data: g.ContactRefusedIn, at: datetime, *, institution: str | None = None) -> g.EventOut:
        """`institution`: who recorded it (over the API); else every institution the contact's debtor owes."""
        def act(session: Session, registry: Registry) -> g.EventOut:
            contact = registry.get(m.Contact, data.contact, kind="contact", field="contact")
            self._lock_debtor(session, contact.debtor_id)
            contact.refused = True
            contact.refused_at = at
            concerned = [institution] if institution else tenancy.institutions_of_debtor(session, contact.debtor_id)
            refusals.remember(session, contact, concerned, at)  # the refusal follows the number (art. 8(三))
            seq = registry.record_for("contact:contact:refused", contact.id, {"debtor": contact.debtor_id}, concerned)
            return g.EventOut(kind="contact:contact:refused", subject=contact.id, ledger_seq=seq)

        return self._event(at, act)

    def debtor_status(self, data: g.DebtorStatusIn, at: datetime) -> g.EventOut:
        def act(session: Session, registry: Registry) -> g.EventOut:
            debtor = registry.get(m.Debtor, data.debtor, kind="debtor", field="debtor")
            self._lock_debtor(session, debtor.id)
            debtor.status = data.status
            debtor.status_reason = data.reason
            seq = registry.record_for("debtor:status:changed", debtor.id, {"status": data.status, "reason": data.reason},
                                      tenancy.institutions_of_debtor(session, debtor.id))
            return g.EventOut(kind="debtor:status:changed", subject=debtor.id, ledger_seq=seq)

        return self._event(at, act)

    def agency_status(self, data: g.AgencyStatusIn, at: datetime) -> g.EventOut:
        def act(session: Session, registry: Registry) -> g.EventOut:
            registry.get(m.Institution, data.institution, kind="institution", field="institution")
            registry.get(m.Agency, data.agency, kind="agency", field="agency")
            listing = session.get(m.AgencyListing, (data.institution, data.agency))
            if listing is None:
                listing = m.AgencyListing(institution_id=data.institution, agency_id=data.agency, status=data.status, since=at)
                session.add(listing)
            listing.status = data.status
            listing.since = at
            seq = registry.record("agency:listing:changed", data.agency, {"status": data.status}, data.institution)
            return g.EventOut(kind="agency:listing:changed", subject=data.agency, ledger_seq=seq)

        return self._event(at, act)

    def collector_status(self, data: g.CollectorStatusIn, at: datetime, *, institution: str | None = None) -> g.EventOut:
        """A collector's status. From the collector's own organisation (or the platform: `institution` None) it
        changes the shared record; from an institution about another organisation's collector it is that
        institution's own acceptance, which no other institution's gate reads (art. 19(五))."""
        def act(session: Session, registry: Registry) -> g.EventOut:
            collector = registry.get(m.Collector, data.collector, kind="collector", field="collector")
            if institution is not None and collector.org_id != institution:
                acceptance = session.get(m.CollectorAcceptance, (institution, collector.id))
                if acceptance is None:
                    session.add(m.CollectorAcceptance(institution_id=institution, collector_id=collector.id,
                                                      status=data.status, since=at))
                else:
                    acceptance.status, acceptance.since = data.status, at
                seq = registry.record("collector:acceptance:changed", collector.id, {"status": data.status}, institution)
                return g.EventOut(kind="collector:acceptance:changed", subject=collector.id, ledger_seq=seq)
            collector.status = data.status
            seq = registry.record_for_org("collector:status:changed", collector.id, {"status": data.status},
                                          collector.org_id)
            return g.EventOut(kind="collector:status:changed", subject=collector.id, ledger_seq=seq)

        return self._event(at, act)

    def training(self, data: g.TrainingIn, at: datetime, *, institution: str | None = None) -> g.EventOut:
        """A training passed. Recorded by the collector's own organisation (or the platform) it is shared; recorded
        by an institution for another organisation's collector it counts for that institution only. A day after
        today (in China, Asia/Shanghai, where the request is made) is refused: it would qualify the collector
        before the training took place, and for ever after."""
        today = local_date(_aware(at), TRAINING_ZONE)
        if data.date > today:
            raise InvalidInput(f"培训日期 {data.date} 晚于今天（{today}）", f"the training day {data.date} is after "
                               f"today ({today}, Asia/Shanghai)", field="date", code="training-in-future")
        def act(session: Session, registry: Registry) -> g.EventOut:
            collector = registry.get(m.Collector, data.collector, kind="collector", field="collector")
            if institution is not None and collector.org_id != institution:
                session.add(m.Training(collector_id=collector.id, day=data.date, institution_id=institution))
                seq = registry.record("collector:training:recognised", collector.id, {"date": data.date}, institution)
                return g.EventOut(kind="collector:training:recognised", subject=collector.id, ledger_seq=seq)
            session.add(m.Training(collector_id=collector.id, day=data.date))
            if collector.last_training is None or data.date > collector.last_training:
                collector.last_training = data.date
            seq = registry.record_for_org("collector:training:recorded", collector.id, {"date": data.date},
                                          collector.org_id)
            return g.EventOut(kind="collector:training:recorded", subject=collector.id, ledger_seq=seq)

        return self._event(at, act)

    def template_approval(self, data: g.TemplateApprovalIn, at: datetime, *, pending_only: bool = False) -> g.EventOut:
        """Approve or reject the current version, in one transaction with the template's row locked, so that
        no edit lands between the review and the decision (issue 10, item 4). `data.version` names the version
        decided (over HTTP it must): if it is no longer the current one, 409 `template-version-changed`.
        Approval first runs the QA rules and the template checks (art. 15(一)) on that version's text; with
        findings it is refused (409 `template-lint-failed`), the refusal and its findings are recorded, and
        the version stays pending. `pending_only` (HTTP): a version already decided is a 409
        `template-not-pending`; the platform (scenario files) may also withdraw an approval."""
        from collectguard.qa import templates as qa

        findings: list[dict[str, Any]] = []

        def act(session: Session, registry: Registry) -> g.EventOut | None:
            self.store.lock(session, m.Template.id, data.template)  # edits take it too (edit_template)
            template = registry.get(m.Template, data.template, kind="template", field="template")
            if data.version is not None and data.version != template.current_version:
                raise Conflict(
                    f"模板 {template.id} 的当前版本已是第 {template.current_version} 版，不是所审批的第 {data.version} 版；"
                    "请审阅新版本后再审批",
                    f"template {template.id} is at version {template.current_version} now, not version "
                    f"{data.version} that was reviewed; review the new version first",
                    field="version", code="template-version-changed",
                )
            version = session.get(m.TemplateVersion, (template.id, template.current_version))
            assert version is not None
            if pending_only and version.status != "pending":
                raise Conflict(f"模板 {template.id} 当前版本状态为 {version.status}，不是待审批",
                               f"template {template.id}'s current version is {version.status}, not pending",
                               field="template_id", code="template-not-pending")
            if data.approved:
                findings.extend(f.to_output() for f in qa.lint_template(version.text, template.audience,
                                                                           template.channel))
                if findings:  # recorded, and committed: the refusal is part of the record
                    registry.record("template:version:lint-refused", template.id,
                                    {"version": version.version, "findings": findings}, template.institution_id)
                    return None
            version.status = "approved" if data.approved else "rejected"
            seq = registry.record(
                "template:version:" + version.status, template.id,
                {"version": version.version}, template.institution_id,
            )
            return g.EventOut(kind="template:version:" + version.status, subject=template.id, ledger_seq=seq)

        event = self._event(at, act)
        if event is None:
            raise Conflict(
                f"模板 {data.template} 未通过审核检查（{len(findings)} 项），不能批准",
                f"template {data.template} fails {len(findings)} review check(s) and cannot be approved",
                field="template", code="template-lint-failed", details=findings,
            )
        return event

    def edit_template(self, data: g.TemplateEditIn, at: datetime) -> g.EventOut:
        """An edited template is a new version that needs approval again (art. 15(一))."""

        def act(session: Session, registry: Registry) -> g.EventOut:
            self.store.lock(session, m.Template.id, data.template)  # one edit or approval at a time
            template = registry.get(m.Template, data.template, kind="template", field="template")
            current = session.get(m.TemplateVersion, (template.id, template.current_version))
            assert current is not None
            version = template.current_version + 1
            session.add(
                m.TemplateVersion(
                    template_id=template.id, version=version, text=data.text,
                    sealed=current.sealed if data.sealed is None else data.sealed, status="pending",
                )
            )
            template.current_version = version
            seq = registry.record("template:version:created", template.id, {"version": version}, template.institution_id)
            return g.EventOut(kind="template:version:created", subject=template.id, ledger_seq=seq)

        return self._event(at, act)

    def place_hold(self, data: HoldIn, at: datetime) -> HoldOut:
        """Stop collection of a debt or a debtor across every agency and channel (product rule
        `hold-active`), and tell the agency holding the debt to stop (art. 11(五))."""

        def act(session: Session, registry: Registry) -> HoldOut:
            if data.debt is not None:
                debt = registry.get(m.Debt, data.debt, kind="debt", field="debt")
                self._lock_debtor(session, debt.debtor_id)
            elif data.debtor is not None:
                self._lock_debtor(session, data.debtor)
            hold = holds.place(registry, data)
            for debt_id, agency in self._holders(session, data, at):
                self._stop_notice(registry, data.institution, agency, debt_id,
                                  {"reason": f"hold:{data.reason}", "hold": data.id}, at)
            return hold

        return self._event(at, act)

    def release_hold(self, data: HoldReleaseIn, at: datetime, institution: str | None = None) -> HoldOut:
        return self._event(at, lambda session, registry: holds.release(registry, data, institution))

    @staticmethod
    def _stop_notice(registry: Registry, institution: str, agency: str, debt_id: str, detail: dict[str, Any],
                     at: datetime) -> None:
        """Art. 11(五): tell the holding agency to stop, in the same transaction as the cause; the outbox
        delivers it (signed webhook, retries), so a crash after commit loses nothing."""
        stop = {"agency": agency, **detail}
        notice = outbox.enqueue(registry.session, institution_id=institution, agency_id=agency, debt_id=debt_id,
                                reason=detail["reason"], payload=stop, at=at)
        registry.record("gate:stop-notice:queued", debt_id, {**stop, "notice": notice}, institution)

    @staticmethod
    def _holders(session: Session, data: HoldIn, at: datetime) -> list[tuple[str, str]]:
        """(debt, agency) pairs currently placed that a new hold stops."""
        debts = select(m.Debt.id, m.Debt.debtor_id).where(m.Debt.institution_id == data.institution)
        debts = debts.where(m.Debt.id == data.debt) if data.debt else debts.where(m.Debt.debtor_id == data.debtor)
        out = []
        for debt_id, debtor_id in session.execute(debts).all():
            debtor = session.get(m.Debtor, debtor_id)
            today = local_date(at, ZoneInfo(debtor.timezone if debtor else "Asia/Shanghai"))
            agency = session.execute(
                select(m.Placement.agency_id).where(
                    m.Placement.debt_id == debt_id, m.Placement.valid_from <= today, m.Placement.valid_to >= today
                )
            ).scalar_one_or_none()
            if agency:
                out.append((debt_id, agency))
        return out

    def placement(self, data: PlacementIn, at: datetime) -> g.EventOut:
        def act(session: Session, registry: Registry) -> g.EventOut:
            registry.add_placement(data, lock=self.store.lock)
            seq = registry.session.info["last_ledger_seq"]
            return g.EventOut(kind="registry:placement:created", subject=data.debt, ledger_seq=seq)

        return self._event(at, act)

