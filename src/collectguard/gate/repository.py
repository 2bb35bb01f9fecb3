"""Load the immutable facts the rulebook judges, for a whole batch of attempts at once.

The registry (collectors, agencies, agreements, tools, templates, policies) comes from the in-process
snapshot; the debtors' own rows (party, debt, guarantors, placements, agreement, holds, recent attempts)
are read with one query per table for every debtor of the batch, in the batch's transaction, after the
debtors are locked.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session

from collectguard.errors import NotFound
from collectguard.gate.models import AttemptRow
from collectguard.gate.schemas import AttemptIn
from collectguard.gate.snapshot import RegistrySnapshot
from collectguard.holds.models import HoldRow
from collectguard.registry import models as m
from collectguard.registry.refusals import refused_for
from collectguard.registry.service import to_policy
from collectguard.rulebook import facts as f
from collectguard.rulebook.calendar import Window
from collectguard.rulebook.policy import DebtorAgreementTerms, Limits, resolve_limits
from collectguard.rulebook.profile import Profile, UnreachableDefinition, parse_hhmm
from collectguard.rulebook.vocabulary import (
    WEEKDAYS,
    Channel,
    DebtorStatus,
    DebtStatus,
    Delivery,
    LeaseState,
    Mode,
    PartyKind,
    Purpose,
)

MAX_CHAIN = 8  # subcontracting depth we follow before calling it a loop


@dataclass
class Past:
    """An attempt row as the batch sees it: loaded, or decided earlier in the same batch."""

    id: str
    institution_id: str
    at: datetime
    channel: str
    mode: str
    allowed: bool
    party_id: str
    quota_rule: str | None
    lease_state: str
    lease_expires_at: datetime | None
    connected: bool | None
    product: str | None
    # the outcome as reported, so that an identical retry gets the first answer
    duration_s: Decimal | None = None
    meaningful: bool | None = None
    effective: bool | None = None
    outcome_at: datetime | None = None
    ended_at: datetime | None = None
    against_deny: bool = False

    _frozen: f.PastAttempt | None = field(default=None, repr=False, compare=False)

    def judged_at(self, at: datetime) -> f.PastAttempt:
        """The rulebook's view of this attempt at `at`: a held lease past its expiry counts as expired."""
        frozen = self._frozen
        if frozen is None or (frozen.lease_state.value, frozen.connected, frozen.quota_rule, frozen.ended_at) != (
                self.lease_state, self.connected, self.quota_rule, self.ended_at):  # an outcome settled it since
            frozen = self._frozen = f.PastAttempt(
                id=self.id, at=self.at, channel=Channel(self.channel), mode=Mode(self.mode), allowed=self.allowed,
                party_id=self.party_id, quota_rule=self.quota_rule, lease_state=LeaseState(self.lease_state),
                connected=self.connected, product=self.product, ended_at=self.ended_at,
            )
        if frozen.lease_state is LeaseState.HELD and self.lease_expires_at is not None and self.lease_expires_at <= at:
            return replace(frozen, lease_state=LeaseState.EXPIRED)
        return frozen


def _ids(name: str = "ids") -> Any:
    return bindparam(name, expanding=True)


# Statements built once (SQLAlchemy caches their compiled form); each takes a list of ids.
DEBTORS = select(m.Debtor.id, m.Debtor.timezone, m.Debtor.status).where(m.Debtor.id.in_(_ids()))
CONTACT_OWNERS = select(m.Contact.id, m.Contact.debtor_id).where(m.Contact.id.in_(_ids()))
CONTACTS = select(m.Contact.id, m.Contact.debtor_id, m.Contact.refused, m.Contact.offers_to_repay,
                  m.Contact.phone_index).where(m.Contact.id.in_(_ids()))
DEBTS = select(m.Debt.id, m.Debt.institution_id, m.Debt.debtor_id, m.Debt.product, m.Debt.status,
               m.Debt.settled_at).where(m.Debt.id.in_(_ids()))
GUARANTORS = select(m.DebtGuarantor.debt_id, m.DebtGuarantor.debtor_id).where(m.DebtGuarantor.debt_id.in_(_ids()))
PLACEMENTS = select(m.Placement.debt_id, m.Placement.agency_id, m.Placement.valid_from, m.Placement.valid_to) \
    .where(m.Placement.debt_id.in_(_ids())).order_by(m.Placement.id)
AGREEMENTS = select(m.DebtorAgreement.institution_id, m.DebtorAgreement.debtor_id, m.DebtorAgreement.windows,
                    m.DebtorAgreement.voice_cap, m.DebtorAgreement.effective_call_cap, m.DebtorAgreement.visit_cap,
                    m.DebtorAgreement.unreachable).where(m.DebtorAgreement.debtor_id.in_(_ids()))
HOLDS = select(HoldRow.id, HoldRow.institution_id, HoldRow.debt_id, HoldRow.debtor_id, HoldRow.reason,
               HoldRow.starts_at, HoldRow.released_at) \
    .where(or_(HoldRow.debt_id.in_(_ids("debts")), HoldRow.debtor_id.in_(_ids())))
# A Past is built from the attempts row by name: its fields are the columns read, so a column added to one and
# not the other, or the two in another order, cannot shift a value into the wrong field.
PAST_COLUMNS = tuple(c.name for c in fields(Past) if c.init and not c.name.startswith("_"))
PAST = select(*(getattr(AttemptRow, name) for name in PAST_COLUMNS), AttemptRow.debtor_id) \
    .where(AttemptRow.debtor_id.in_(_ids()),
           or_(AttemptRow.at >= bindparam("since"), AttemptRow.lease_state == LeaseState.HELD.value,
               AttemptRow.id.in_(_ids("named"))))


def parties(session: Session, party_ids: list[str]) -> tuple[dict[str, tuple[PartyKind, str, Any]], dict[str, Any]]:
    """party id → (kind, debtor id, None), and the debtors' rows (id, timezone, status): whose party each is,
    so that the caller knows which debtors to lock. A party id names a debtor (borrower or guarantor) or a
    contact; unknown ids are left out. A contact's own facts are read only once its debtor is locked
    (`load_contacts`); on PostgreSQL the debtors' rows are read again under the lock (`lock_debtors`)."""
    conn = session.connection()
    debtors = {d.id: d for d in conn.execute(DEBTORS, {"ids": party_ids})}
    found: dict[str, tuple[PartyKind, str, Any]] = {d: (PartyKind.DEBTOR, d, None) for d in debtors}
    rest = [p for p in party_ids if p not in found]
    if rest:
        for c in conn.execute(CONTACT_OWNERS, {"ids": rest}):
            found[c.id] = (PartyKind.CONTACT, c.debtor_id, None)
        missing = unique(c[1] for c in found.values() if c[1] not in debtors)
        if missing:
            debtors.update({d.id: d for d in conn.execute(DEBTORS, {"ids": missing})})
    return found, debtors


def load_contacts(session: Session, found: dict[str, tuple[PartyKind, str, Any]]) -> None:
    """The contact parties' rows (refused, offers_to_repay, the number's keyed hash), read after their debtors
    are locked: a refusal or an offer to repay is committed under the same debtor's lock, so one committed
    while the batch waited for the lock is seen (issue 10, item 9). A contact gone meanwhile is left out."""
    contacts = [p for p, (kind, _, _) in found.items() if kind is PartyKind.CONTACT]
    if not contacts:
        return
    rows = {c.id: c for c in session.connection().execute(CONTACTS, {"ids": contacts})}
    for party in contacts:
        if party in rows:
            found[party] = (PartyKind.CONTACT, found[party][1], rows[party])  # the debtor locked
        else:
            del found[party]


@dataclass
class DebtorRows:
    """What the database says about the debtors (and debts) of a batch, loaded in bulk."""

    debtors: dict[str, Any] = field(default_factory=dict)
    debts: dict[str, Any] = field(default_factory=dict)
    guarantors: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    placements: dict[str, list[f.Placement]] = field(default_factory=lambda: defaultdict(list))
    agreements: dict[tuple[str, str], Any] = field(default_factory=dict)
    holds_by_inst: dict[str, list[tuple[Any, f.Hold]]] = field(default_factory=lambda: defaultdict(list))
    past: dict[str, dict[str, Past]] = field(default_factory=lambda: defaultdict(dict))
    # (institution, phone index) of the batch's contact parties whose number refused (art. 8(三))
    refused_numbers: set[tuple[str, str]] = field(default_factory=set)

    @classmethod
    def load(cls, session: Session, debtors: dict[str, Any], debt_ids: list[str]) -> DebtorRows:
        """Everything but the attempts (see `load_past`), one query per table, for the debtors already read
        (and locked) by the caller."""
        conn = session.connection()
        rows = cls(debtors=debtors)
        debtor_ids = list(debtors)
        if debt_ids:
            rows.debts = {d.id: d for d in conn.execute(DEBTS, {"ids": debt_ids})}
            for debt_id, guarantor in conn.execute(GUARANTORS, {"ids": debt_ids}):
                rows.guarantors[debt_id].append(guarantor)
            for p in conn.execute(PLACEMENTS, {"ids": debt_ids}):
                rows.placements[p.debt_id].append(f.Placement(p.debt_id, p.agency_id, p.valid_from, p.valid_to))
        if debtor_ids:
            rows.agreements = {(a.institution_id, a.debtor_id): a for a in conn.execute(AGREEMENTS, {"ids": debtor_ids})}
        for h in conn.execute(HOLDS, {"ids": debtor_ids, "debts": debt_ids}):
            rows.holds_by_inst[h.institution_id].append((h, f.Hold(
                id=h.id, reason=h.reason, starts_at=h.starts_at, released_at=h.released_at, debt_id=h.debt_id,
                debtor_id=h.debtor_id)))
        return rows

    def load_refused(self, session: Session, contacts: Iterable[Any]) -> None:
        """Which of these contacts' numbers refused further contact, for which institution: a refusal
        follows the number to every contact registered with it (registry/refusals.py)."""
        self.refused_numbers = refused_for(session, (c.phone_index for c in contacts))

    def refused(self, institution_id: str, contact: Any) -> bool:
        """The contact refused, or its number did for this institution under another contact id."""
        return bool(contact.refused or (contact.phone_index
                                        and (institution_id, contact.phone_index) in self.refused_numbers))

    def load_past(self, session: Session, debtor_ids: list[str], since: datetime, named: list[str]) -> None:
        """The debtors' attempts since `since` (every institution: expiry is per debtor), every lease still
        held however old, and the attempts named (outcomes may come late)."""
        for r in session.connection().execute(PAST, {"ids": debtor_ids, "since": since, "named": named}):
            row = r._mapping
            self.past[row["debtor_id"]][row["id"]] = Past(**{name: row[name] for name in PAST_COLUMNS})

    def holds_for(self, institution_id: str, debt_id: str, debtor_id: str) -> tuple[f.Hold, ...]:
        return tuple(h for row, h in self.holds_by_inst.get(institution_id, ())
                     if row.debt_id == debt_id or row.debtor_id == debtor_id)

    def history(self, institution_id: str, debtor_id: str, at: datetime, limits: Limits) -> tuple[f.PastAttempt, ...]:
        """Attempts of this institution to the debtor and the debtor's contacts, far enough back for the
        unreachable window, the letter interval and today's caps (rules filter what they may see).
        No upper bound: a lease taken by a caller whose clock ran ahead still counts against its day."""
        since = at - timedelta(days=history_days(limits))
        return tuple(p.judged_at(at) for p in self.past.get(debtor_id, {}).values()
                     if p.institution_id == institution_id and p.at >= since)


def history_days(limits: Limits) -> int:
    return max(limits.unreachable.window_days, limits.letter_interval_days, 1) + 1


def agreement_terms(agreement: Any) -> DebtorAgreementTerms | None:
    if agreement is None:
        return None
    return DebtorAgreementTerms(
        windows=tuple(
            Window(
                parse_hhmm(w["from"]),
                parse_hhmm(w["to"]),
                None if w.get("days") is None else frozenset(WEEKDAYS.index(d) for d in w["days"]),
            )
            for w in agreement.windows or []
        ),
        voice_cap=agreement.voice_cap,
        effective_call_cap=agreement.effective_call_cap,
        visit_cap=agreement.visit_cap,
        unreachable=UnreachableDefinition(**agreement.unreachable) if agreement.unreachable else None,
    )


class LimitsCache:
    """Resolved limits per institution (policy from the snapshot) and debtor agreement, for one batch."""

    def __init__(self, profile: Profile, snap: RegistrySnapshot, rows: DebtorRows) -> None:
        self.profile, self.snap, self.rows = profile, snap, rows
        self._plain: dict[str, Limits] = {}

    def get(self, institution_id: str, debtor_id: str) -> Limits:
        agreement = self.rows.agreements.get((institution_id, debtor_id))
        if agreement is not None:
            return resolve_limits(self.profile, self._policy(institution_id), agreement_terms(agreement))
        if institution_id not in self._plain:
            self._plain[institution_id] = resolve_limits(self.profile, self._policy(institution_id), None)
        return self._plain[institution_id]

    def _policy(self, institution_id: str) -> Any:
        return to_policy(self.snap.policies.get(institution_id) or None)


def build_facts(
    attempt: AttemptIn,
    at: datetime,
    snap: RegistrySnapshot,
    rows: DebtorRows,
    limits: LimitsCache,
    party: tuple[PartyKind, str, Any],
) -> f.Facts:
    """The facts of one attempt, from the batch's rows and the registry snapshot."""
    debt = rows.debts.get(attempt.debt)
    if debt is None:
        raise NotFound("debt", attempt.debt, field="debt")
    institution_id = debt.institution_id
    collector = snap.collector(attempt.collector, institution_id)
    if collector is None:
        raise NotFound("collector", attempt.collector, field="collector")
    kind, debtor_id, contact = party
    debtor = rows.debtors[debtor_id]
    resolved = limits.get(institution_id, debtor_id)

    agency = parent = root = None
    agreements: tuple[f.Agreement, ...] = ()
    if collector.org_id in snap.agency_parents:
        chain = [collector.org_id]
        while (up := snap.agency_parents.get(chain[-1])) is not None and len(chain) <= MAX_CHAIN:
            chain.append(up)
        agency = snap.agency(chain[0], institution_id)
        if len(chain) > 1:
            parent = snap.agency(chain[1], institution_id)
            root = snap.agency(chain[-1], institution_id)
        agreements = snap.agreements.get((institution_id, chain[-1]), ())

    team: dict[str, f.Collector | None] = {}
    if attempt.channel is Channel.VISIT:
        team = {member_id: snap.collector(member_id, institution_id) for member_id in attempt.team}
    return f.Facts(
        at=at,
        attempt=f.Attempt(
            id=attempt.id,
            collector_id=attempt.collector,
            debt_id=attempt.debt,
            party_id=attempt.party,
            channel=attempt.channel,
            mode=attempt.mode,
            tool_id=attempt.tool,
            template_id=attempt.template,
            purpose=Purpose(attempt.purpose) if attempt.purpose else None,
            recording=attempt.recording,
            team=tuple(attempt.team),
            ids_shown=attempt.ids_shown,
            delivery=Delivery(attempt.delivery) if attempt.delivery else None,
            envelope_template_id=attempt.envelope_template,
            receiver=attempt.receiver,
            receiver_relation=attempt.receiver_relation,
            receiver_told=attempt.receiver_told,
        ),
        institution_id=institution_id,
        limits=resolved,
        collector=collector,
        team=team,
        agency=agency,
        parent_agency=parent,
        root_agency=root,
        agreements=agreements,
        placements=tuple(rows.placements.get(debt.id, ())),
        tool=snap.tools.get(attempt.tool) if attempt.tool else None,
        template=snap.templates.get(attempt.template) if attempt.template else None,
        envelope_template=snap.templates.get(attempt.envelope_template) if attempt.envelope_template else None,
        debt=f.Debt(
            id=debt.id,
            institution_id=debt.institution_id,
            debtor_id=debt.debtor_id,
            product=debt.product,
            guarantor_ids=tuple(rows.guarantors.get(debt.id, ())),
            status=DebtStatus(debt.status),
            settled_at=debt.settled_at,
        ),
        party=f.Party(
            id=attempt.party,
            kind=kind,
            debtor_id=debtor_id,
            timezone=debtor.timezone,
            debtor_status=DebtorStatus(debtor.status),
            refused=bool(contact and rows.refused(institution_id, contact)),
            offers_to_repay=bool(contact and contact.offers_to_repay),
        ),
        history=rows.history(institution_id, debtor_id, at, resolved),
        holds=rows.holds_for(institution_id, debt.id, debtor_id),
    )


def unique(values: Iterable[str]) -> list[str]:
    """Distinct values in a stable (sorted) order: the order PostgreSQL row locks are taken in."""
    return sorted(set(values))
