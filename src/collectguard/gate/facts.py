"""Load the immutable facts the rulebook judges from the store, in the decision's transaction."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from collectguard.errors import NotFound
from collectguard.gate.models import AttemptRow
from collectguard.gate.schemas import AttemptIn
from collectguard.gate.snapshot import RegistrySnapshot
from collectguard.holds.service import holds_for
from collectguard.registry import models as m
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


def resolve_party(session: Session, party_id: str) -> tuple[PartyKind, m.Debtor, m.Contact | None]:
    """A party id names a debtor (borrower or guarantor) or a contact."""
    debtor = session.get(m.Debtor, party_id)
    if debtor is not None:
        return PartyKind.DEBTOR, debtor, None
    contact = session.get(m.Contact, party_id)
    if contact is None:
        raise NotFound("party", party_id, field="party")
    debtor = session.get(m.Debtor, contact.debtor_id)
    assert debtor is not None
    return PartyKind.CONTACT, debtor, contact


def limits_for(session: Session, profile: Profile, institution_id: str, policy: dict[str, Any], debtor_id: str) -> Limits:
    agreement = session.execute(
        select(m.DebtorAgreement).where(
            m.DebtorAgreement.debtor_id == debtor_id, m.DebtorAgreement.institution_id == institution_id
        )
    ).scalar_one_or_none()
    terms = None
    if agreement is not None:
        terms = DebtorAgreementTerms(
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
    return resolve_limits(profile, to_policy(policy or None), terms)


def history(
    session: Session, institution_id: str, debtor_id: str, at: datetime, limits: Limits
) -> tuple[f.PastAttempt, ...]:
    """Attempts of this institution to the debtor and the debtor's contacts, far enough back for the
    unreachable window, the letter interval and today's caps (rules filter what they may see)."""
    days = max(limits.unreachable.window_days, limits.letter_interval_days, 1) + 1
    rows = session.execute(
        select(AttemptRow).where(
            AttemptRow.institution_id == institution_id,
            AttemptRow.debtor_id == debtor_id,
            # No upper bound: a lease taken by a caller whose clock ran ahead still counts against its day.
            AttemptRow.at >= at - timedelta(days=days),
        )
    ).scalars()
    past = []
    for row in rows:
        state = LeaseState(row.lease_state)
        if state is LeaseState.HELD and row.lease_expires_at is not None and row.lease_expires_at <= at:
            state = LeaseState.EXPIRED
        past.append(
            f.PastAttempt(
                id=row.id,
                at=row.at,
                channel=Channel(row.channel),
                mode=Mode(row.mode),
                allowed=row.allowed,
                party_id=row.party_id,
                quota_rule=row.quota_rule,
                lease_state=state,
                connected=row.connected,
                product=row.product,
            )
        )
    return tuple(past)


def load_facts(
    session: Session,
    profile: Profile,
    attempt: AttemptIn,
    at: datetime,
    snap: RegistrySnapshot,
    party: tuple[PartyKind, m.Debtor, m.Contact | None],
) -> f.Facts:
    """The facts of one attempt: the debtor's own rows from the database, the rest from the snapshot."""
    debt = session.get(m.Debt, attempt.debt)
    if debt is None:
        raise NotFound("debt", attempt.debt, field="debt")
    collector = snap.collectors.get(attempt.collector)
    if collector is None:
        raise NotFound("collector", attempt.collector, field="collector")
    kind, debtor, contact = party  # resolved (and locked) by the caller
    institution_id = debt.institution_id
    limits = limits_for(session, profile, institution_id, snap.policies.get(institution_id, {}), debtor.id)

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
        team = {member_id: snap.collectors.get(member_id) for member_id in attempt.team}

    tool = snap.tools.get(attempt.tool) if attempt.tool else None
    guarantors = tuple(
        session.execute(select(m.DebtGuarantor.debtor_id).where(m.DebtGuarantor.debt_id == debt.id)).scalars()
    )
    placements = tuple(
        f.Placement(p.debt_id, p.agency_id, p.valid_from, p.valid_to)
        for p in session.execute(select(m.Placement).where(m.Placement.debt_id == debt.id)).scalars()
    )
    receiver = attempt.receiver
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
            receiver=f.Receiver(**receiver.model_dump()) if receiver else None,
        ),
        institution_id=institution_id,
        limits=limits,
        collector=collector,
        team=team,
        agency=agency,
        parent_agency=parent,
        root_agency=root,
        agreements=agreements,
        placements=placements,
        tool=tool,
        template=snap.templates.get(attempt.template) if attempt.template else None,
        envelope_template=snap.templates.get(attempt.envelope_template) if attempt.envelope_template else None,
        debt=f.Debt(
            id=debt.id,
            institution_id=debt.institution_id,
            debtor_id=debt.debtor_id,
            product=debt.product,
            guarantor_ids=guarantors,
            status=DebtStatus(debt.status),
            settled_at=debt.settled_at,
        ),
        party=f.Party(
            id=attempt.party,
            kind=kind,
            debtor_id=debtor.id,
            timezone=debtor.timezone,
            debtor_status=DebtorStatus(debtor.status),
            refused=bool(contact and contact.refused),
            offers_to_repay=bool(contact and contact.offers_to_repay),
        ),
        history=history(session, institution_id, debtor.id, at, limits),
        holds=holds_for(session, institution_id, debt.id, debtor.id),
    )


