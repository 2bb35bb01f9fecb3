"""Oversight over time, in the caller's transaction (services never commit), each change in the ledger:
admission evaluations and written commitments before an agency is listed (art. 17), annual and pre-expiry
evaluations (art. 18(二)), inspections (art. 12(二)), rectification orders that may stop collection (art. 18(三))
and termination (art. 18(四)).

An agency's lifecycle with an institution: applied (registered, an agreement) → evaluated → committed → listed →
(rectification with stop, suspended) → terminated; delisted agencies come back only through listing again.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from collectguard.agencies import service as agencies
from collectguard.agencies.schemas import AgencyStatusIn
from collectguard.errors import Conflict, InvalidInput, NotFound, Refused
from collectguard.ledger.tags import Tag
from collectguard.notices import service as notices
from collectguard.oversight import models as om
from collectguard.oversight import repository as repo
from collectguard.oversight.schemas import (
    Commitment,
    CommitmentsIn,
    EvaluationIn,
    EvaluationKind,
    InspectionIn,
    InspectionKind,
    ListingIn,
    RectificationDoneIn,
    RectificationOrderIn,
    StaffIn,
    TerminationIn,
    TerminationReason,
)
from collectguard.registry import models as m
from collectguard.registry.schemas import EventOut
from collectguard.registry.unit import Unit
from collectguard.rulebook.profile import DEFAULT_PROFILE, load_profile
from collectguard.rulebook.sampling import canonical_seed
from collectguard.rulebook.vocabulary import ListingStatus

# RULES.md's conduct rules (checked on content: templates before use, transcripts after).
CONDUCT_RULES = frozenset({"art11-identity", "art11-truthful", "art11-official-channel", "art11-no-extra-fees",
                           "art11-no-illegal-funding", "art16-recording-notice", "art16-etiquette",
                           "art16-visit-conduct", "art8-contact-no-disclosure"})
ADMISSION = "art17-agency-admission"
COMMITMENTS = "art17-commitments"
# Statuses an agency leaves only through admission again (art. 17): never listed, taken off, or terminated.
UNLISTED = (None, ListingStatus.DELISTED, ListingStatus.TERMINATED)


def refusal(rule: str, zh: str, en: str) -> tuple[str, str, str, str]:
    """A refused rule, with its article and title from the profile, and what exactly is missing."""
    meta = load_profile(DEFAULT_PROFILE).obligations[rule]
    return (rule, meta.article, f"{meta.title_zh}：{zh}（第{meta.article}条）",
            f"{meta.title_en}: {en} (art. {meta.article})")


def _agency(unit: Unit, institution: str, agency: str) -> m.Agency:
    unit.get(m.Institution, institution, kind="institution", field="institution")
    return unit.get(m.Agency, agency, kind="agency", field="agency")


def add_staff(unit: Unit, data: StaffIn) -> om.Staff:
    if not unit.org_exists(data.org):
        raise NotFound("organisation", data.org, field="org")
    row = om.Staff(id=data.id, org_id=data.org, role=data.role, name=data.name)
    unit.new(row, "staff", data.id, Tag.STAFF_CREATED, {"org": data.org, "role": data.role}, None)
    return row


# -- evaluations and commitments (art. 17(一)(二), 18(二)) ---------------------------------------------------
def evaluate(unit: Unit, data: EvaluationIn, *, suggested: dict[str, Any] | None = None) -> om.AgencyEvaluation:
    """Record an evaluation with the evaluator's scores (and, where the ledger holds evidence, suggested ones).
    A pre-expiry evaluation names an agreement of this institution with this agency."""
    _agency(unit, data.institution, data.agency)
    if data.agreement is not None:
        agreement = unit.get(m.Agreement, data.agreement, kind="agreement", field="agreement")
        if agreement.institution_id != data.institution or agreement.agency_id != data.agency:
            raise NotFound("agreement", data.agreement, field="agreement")
    _check_files(unit, data.institution, [e.hash for e in data.evidence])
    payload = data.model_dump(mode="json")
    row = om.AgencyEvaluation(
        id=data.id, institution_id=data.institution, agency_id=data.agency, kind=data.kind,
        agreement_id=data.agreement, scores=dict(data.scores), passed=data.passed, evaluator=data.evaluator,
        evidence=payload["evidence"], suggested=suggested, note=data.note, at=unit.at,
        day=repo.local_day(unit.session, data.institution, unit.at), ledger_seq=0)
    row.ledger_seq = unit.new(row, "evaluation", data.id, Tag.AGENCY_EVALUATED, {**payload, "suggested": suggested},
                              data.institution)
    return row


def commit(unit: Unit, data: CommitmentsIn) -> list[om.AgencyCommitment]:
    """The agency's written commitments (art. 17(二)); given in several steps they add up, a commitment given again
    replaces the earlier record of it."""
    _agency(unit, data.institution, data.agency)
    seq = unit.record(Tag.AGENCY_COMMITMENTS_GIVEN, data.agency, data.model_dump(mode="json"), data.institution)
    rows = []
    for item in dict.fromkeys(data.items):
        row = unit.session.get(om.AgencyCommitment, (data.institution, data.agency, item))
        if row is None:
            row = om.AgencyCommitment(institution_id=data.institution, agency_id=data.agency, item=item,
                                      at=unit.at, ledger_seq=seq)
            unit.session.add(row)
        row.document_hash, row.at, row.ledger_seq = data.document_hash, unit.at, seq
        rows.append(row)
    return rows


def admission_refusals(unit: Unit, institution: str, agency: str) -> list[tuple[str, str, str, str]]:
    """What stands between an agency and the name list: a passed admission evaluation and the three written
    commitments — given since its last termination, if it was terminated. A subcontractor is admitted by the
    institution's advance approval (art. 17(四)) under its parent's admission."""
    if unit.get(m.Agency, agency, kind="agency", field="agency").parent_id is not None:
        return []
    since = repo.terminated_at(unit.session, institution, agency)
    unit.session.flush()
    found: list[tuple[str, str, str, str]] = []
    admission = repo.latest_admission(unit.session, institution, agency)
    if admission is None or (since is not None and admission.at <= since):
        found.append(refusal(ADMISSION, "尚无准入评估", "no admission evaluation"
                             + (" since the agency was terminated" if since else "")))
    elif not admission.passed:
        found.append(refusal(ADMISSION, f"最近一次准入评估 {admission.id} 未通过",
                             f"the latest admission evaluation {admission.id} did not pass"))
    missing = [c.value for c in Commitment if c not in repo.commitments_since(unit.session, institution, agency, since)]
    if missing:
        found.append(refusal(COMMITMENTS, f"缺少书面承诺 {', '.join(missing)}",
                             f"missing written commitments: {', '.join(missing)}"))
    return found


def suggested_grades(unit: Unit, data: EvaluationIn) -> dict[str, Any] | None:
    """For an annual or pre-expiry evaluation, the grades the ledger's evidence suggests for the five criteria of
    art. 18(二) over the year before (monitoring.service.agency_evidence), kept beside the evaluator's scores."""
    if data.kind is EvaluationKind.ADMISSION:
        return None
    from collectguard.monitoring.service import agency_evidence  # a sibling domain, read only

    evidence = agency_evidence(unit.session, data.institution, data.agency, unit.at - timedelta(days=365), unit.at)
    return evidence.model_dump(mode="json")


def known_rules() -> frozenset[str]:
    """Rule ids a finding may cite: the contact gate's, the obligations' and the conduct rules' (RULES.md)."""
    profile = load_profile(DEFAULT_PROFILE)
    return frozenset(r.id for r in profile.rules) | frozenset(profile.obligations) | CONDUCT_RULES


# -- the name list (art. 17(二), 18(一)) ---------------------------------------------------------------------
def list_agency(unit: Unit, data: ListingIn) -> EventOut:
    """Put the agency on the institution's name list (after admission and commitments) or take it off. An open
    rectification order with stop keeps it paused when listed again."""
    _agency(unit, data.institution, data.agency)
    current = repo.listing(unit.session, data.institution, data.agency)
    status = ListingStatus(current.status) if current is not None else None
    if not data.listed:
        if status in UNLISTED:
            raise Conflict(f"{data.agency} 不在本机构名单上", f"{data.agency} is not on the institution's name list",
                           field="agency", code="not-listed")
        return _set_listing(unit, data.institution, data.agency, ListingStatus.DELISTED, Tag.AGENCY_DELISTED,
                            data.note)
    refused = admission_refusals(unit, data.institution, data.agency)
    if refused:
        raise Refused(refused, field="agency")
    target = ListingStatus.RECTIFICATION_STOP if _open_stop(unit, data.institution, data.agency) \
        else ListingStatus.ACTIVE
    return _set_listing(unit, data.institution, data.agency, target, Tag.AGENCY_LISTED, data.note)


def change_status(unit: Unit, data: AgencyStatusIn) -> EventOut:
    """The name-list status event of FORMAT.md (`agency_status`): suspend, reactivate, terminate. Putting an
    agency that is not on the list (never, delisted, terminated) back to active is a listing: it needs admission."""
    if data.status is ListingStatus.TERMINATED:
        return terminate(unit, TerminationIn(institution=data.institution, agency=data.agency,
                                             reason=TerminationReason.OTHER))
    _agency(unit, data.institution, data.agency)
    current = repo.listing(unit.session, data.institution, data.agency)
    status = ListingStatus(current.status) if current is not None else None
    if data.status is ListingStatus.ACTIVE and status in UNLISTED:
        refused = admission_refusals(unit, data.institution, data.agency)
        if refused:
            raise Refused(refused, field="agency")
    if data.status is ListingStatus.ACTIVE and _open_stop(unit, data.institution, data.agency):
        raise Conflict("整改（暂停催收）未完成，不能恢复", "a rectification order with stop is still open: collection "
                       "resumes when it is done (POST /v1/rectification-orders/{id}/done)", field="status",
                       code="rectification-open")
    return agencies.agency_status(unit, data)


def terminate(unit: Unit, data: TerminationIn) -> EventOut:
    """End the entrustment at once (art. 18(四)): the gate denies the agency from this instant, and each debt of
    the institution placed with it today gets a stop notice (art. 11(五))."""
    _agency(unit, data.institution, data.agency)
    # Locked before it is checked: a second termination at once waits, then finds the agency terminated.
    current = unit.session.get(m.AgencyListing, (data.institution, data.agency), with_for_update=True,
                               populate_existing=True)
    if current is not None and current.status == ListingStatus.TERMINATED:
        raise Conflict(f"{data.agency} 已终止委托", f"{data.agency} is already terminated", field="agency",
                       code="already-terminated")
    event = agencies.agency_status(unit, AgencyStatusIn(institution=data.institution, agency=data.agency,
                                                        status=ListingStatus.TERMINATED))
    debts = repo.placed_debts(unit.session, data.institution, data.agency,
                              repo.local_day(unit.session, data.institution, unit.at))
    for debt in debts:
        notices.stop_notice(unit, data.institution, data.agency, debt, {"reason": "agency_terminated"})
    seq = unit.record(Tag.AGENCY_TERMINATED, data.agency, {**data.model_dump(mode="json"), "stop_notices": debts},
                      data.institution)
    return EventOut(kind=Tag.AGENCY_TERMINATED, subject=data.agency, ledger_seq=seq,
                    detail={"listing_seq": event.ledger_seq, "stop_notices": debts})


def _set_listing(unit: Unit, institution: str, agency: str, status: ListingStatus, tag: Tag,
                 note: str | None = None) -> EventOut:
    agencies.agency_status(unit, AgencyStatusIn(institution=institution, agency=agency, status=status))
    seq = unit.record(tag, agency, {"status": status.value, **({"note": note} if note else {})}, institution)
    return EventOut(kind=tag, subject=agency, ledger_seq=seq, detail={"status": status.value})


def _open_stop(unit: Unit, institution: str, agency: str) -> bool:
    unit.session.flush()
    return bool(repo.orders(unit.session, institution, agency_id=agency, open_only=True, stop_only=True)[1])


# -- inspections (art. 12(二)) ------------------------------------------------------------------------------
def inspect(unit: Unit, data: InspectionIn, *, known_rules: frozenset[str]) -> om.Inspection:
    """Record an inspection and its findings. `self` inspects the institution itself or an agency it works with;
    the others inspect an agency. With a period and a sample size, the seed of its sample is recorded (made
    here when not given) so anyone draws the same sample again."""
    unit.get(m.Institution, data.institution, kind="institution", field="institution")
    if not (data.kind is InspectionKind.SELF and data.org == data.institution):
        unit.get(m.Agency, data.org, kind="agency", field="org")
    for i, f in enumerate(data.findings):
        if f.rule not in known_rules:
            raise InvalidInput(f"未知规则编号 {f.rule}", f"unknown rule id {f.rule!r}", field=f"findings.{i}.rule")
    _check_files(unit, data.institution, [e.hash for e in data.evidence])
    # The seed as the sampler writes it (hex without leading zeros): the one recorded is the one a sample shows.
    seed = canonical_seed(data.seed or secrets.token_hex(16)) if data.sample_size else None
    payload = {**data.model_dump(mode="json"), "seed": seed}
    row = om.Inspection(
        id=data.id, institution_id=data.institution, kind=data.kind, org_id=data.org, inspector=data.inspector,
        period_from=data.period_from, period_to=data.period_to, seed=seed, sample_size=data.sample_size,
        note=data.note, at=unit.at, day=repo.local_day(unit.session, data.institution, unit.at), ledger_seq=0)
    row.ledger_seq = unit.new(row, "inspection", data.id, Tag.INSPECTION_RECORDED, payload, data.institution)
    for n, f in enumerate(data.findings, start=1):
        unit.session.add(om.InspectionFinding(inspection_id=data.id, n=n, rule=f.rule, severity=f.severity,
                                              note=f.note))
    return row


# -- rectification (art. 18(三)) ----------------------------------------------------------------------------
def order(unit: Unit, data: RectificationOrderIn) -> om.RectificationOrder:
    """Order the agency to rectify by `due`; with `stop_collection` its collection for the institution pauses
    (the gate denies `art17-agency-listed`) until the order is done. An order may answer an inspection finding."""
    _agency(unit, data.institution, data.agency)
    finding = None
    if data.inspection is not None:
        inspection = unit.get(om.Inspection, data.inspection, kind="inspection", field="inspection")
        if inspection.institution_id != data.institution:
            raise NotFound("inspection", data.inspection, field="inspection")
        if inspection.org_id != data.agency:
            raise InvalidInput(f"该检查针对 {inspection.org_id}，不是 {data.agency}",
                               f"the inspection is of {inspection.org_id}, not of {data.agency}", field="inspection")
        if data.finding is not None:
            # Locked before it is checked: a concurrent order for the same finding waits, then sees it taken.
            finding = unit.session.get(om.InspectionFinding, (data.inspection, data.finding), with_for_update=True,
                                       populate_existing=True)
            if finding is None:
                raise NotFound("finding", f"{data.inspection}#{data.finding}", field="finding")
            if finding.order_id is not None:
                raise Conflict(f"该发现已有整改单 {finding.order_id}", f"the finding already opened order "
                               f"{finding.order_id}", field="finding", code="finding-has-order")
    if data.due < repo.local_day(unit.session, data.institution, unit.at):
        raise InvalidInput("整改期限早于今天", "`due` is before today", field="due")
    row = om.RectificationOrder(
        id=data.id, institution_id=data.institution, agency_id=data.agency, reason=data.reason, due=data.due,
        stop_collection=data.stop_collection, inspection_id=data.inspection, finding_n=data.finding,
        note=data.note, opened_at=unit.at, ledger_seq=0)
    row.ledger_seq = unit.new(row, "rectification order", data.id, Tag.RECTIFICATION_ORDERED,
                              data.model_dump(mode="json"), data.institution)
    if finding is not None:
        finding.order_id = data.id
    current = repo.listing(unit.session, data.institution, data.agency)
    if data.stop_collection and current is not None and current.status == ListingStatus.ACTIVE:
        agencies.agency_status(unit, AgencyStatusIn(institution=data.institution, agency=data.agency,
                                                    status=ListingStatus.RECTIFICATION_STOP))
    return row


def done(unit: Unit, data: RectificationDoneIn, *, institution: str | None = None) -> om.RectificationOrder:
    """The rectification is done (late or on time): the order is met; collection resumes when no other order
    with stop is open. `institution`: the caller's, when it acts for one (another's order is not found)."""
    unit.lock(om.RectificationOrder.id, data.order)  # two at once: the second waits, then finds it done
    row = unit.fresh(om.RectificationOrder, data.order, kind="rectification order", field="order")
    if institution is not None and row.institution_id != institution:
        raise NotFound("rectification order", data.order, field="order")
    if row.done_at is not None:
        raise Conflict(f"整改单 {row.id} 已完成", f"order {row.id} is already done", field="order",
                       code="already-done")
    row.done_at, row.done_note = unit.at, data.note
    row.done_day = repo.local_day(unit.session, row.institution_id, unit.at)
    row.done_seq = unit.record(Tag.RECTIFICATION_DONE, row.id, {**data.model_dump(mode="json"),
                                                                "agency": row.agency_id}, row.institution_id)
    current = repo.listing(unit.session, row.institution_id, row.agency_id)
    if (row.stop_collection and current is not None and current.status == ListingStatus.RECTIFICATION_STOP
            and not _open_stop(unit, row.institution_id, row.agency_id)):
        agencies.agency_status(unit, AgencyStatusIn(institution=row.institution_id, agency=row.agency_id,
                                                    status=ListingStatus.ACTIVE))
    return row


# -- evidence files -------------------------------------------------------------------------------------------
def _check_files(unit: Unit, institution: str, hashes: list[str]) -> None:
    """Evidence is cited by hash; a hash never stored by this institution is an error, not a dangling cite."""
    for i, h in enumerate(hashes):
        if unit.session.get(om.EvidenceFile, (h, institution)) is None:
            raise NotFound("evidence file", h, field=f"evidence.{i}.hash")


def stage(session: Session, institution: str, agency: str) -> dict[str, Any]:
    """Where the agency stands with the institution in its lifecycle, from the records (a read)."""
    current = repo.listing(session, institution, agency)
    status = ListingStatus(current.status) if current is not None else None
    since = repo.terminated_at(session, institution, agency)
    admission = repo.latest_admission(session, institution, agency)
    given = repo.commitments_since(session, institution, agency, since)
    if status is not None and status is not ListingStatus.ACTIVE:
        name = {ListingStatus.RECTIFICATION_STOP: "rectification"}.get(status, status.value)
    elif status is ListingStatus.ACTIVE:
        name = "listed"
    elif admission is not None and admission.passed and len(given) == len(Commitment):
        name = "committed"
    elif admission is not None:
        name = "evaluated"
    else:
        name = "applied"
    return {"stage": name, "listing_status": status.value if status else None, "admission": admission,
            "commitments": sorted(given), "missing": [c for c in Commitment if c not in given]}


__all__ = ["EvaluationKind", "add_staff", "change_status", "commit", "done", "evaluate", "inspect", "list_agency",
           "order", "stage", "terminate"]
