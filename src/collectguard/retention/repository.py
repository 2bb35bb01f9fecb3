"""Queries of retention: policies, the debtors a purge may consider and the facts it decides on (in bulk, a batch
of debtors per query), the deletion log and destruction requests. Reads only; the service changes."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import String, and_, case, column, exists, func, or_, select, table
from sqlalchemy.orm import Session

from collectguard.complaints.models import Complaint
from collectguard.db.base import UTCDateTime
from collectguard.db.query import paged, where_given
from collectguard.debts.models import Debt, DebtGuarantor, Debtor
from collectguard.holds.models import HoldRow
from collectguard.ledger.models import LedgerRecord
from collectguard.ledger.tags import Tag
from collectguard.registry import models as m
from collectguard.retention import models as rm
from collectguard.retention.rules import DebtorFacts, latest
from collectguard.retention.schemas import DEFAULT_YEARS, SubjectKind

RESOLVED = "resolved"
# The gate's table, read as a table: retention reads when a debtor was last contacted, nothing more.
ATTEMPTS = table("attempts", column("debtor_id", String), column("at", UTCDateTime()))


def policy(session: Session, institution_id: str) -> rm.RetentionPolicy | None:
    return session.get(rm.RetentionPolicy, institution_id)


def years_of(session: Session, institutions: Sequence[str]) -> dict[str, int]:
    """Each institution's retention years (DEFAULT_YEARS where none was set)."""
    set_ = dict(session.execute(select(rm.RetentionPolicy.institution_id, rm.RetentionPolicy.years).where(
        rm.RetentionPolicy.institution_id.in_(list(institutions)))).all())
    return {i: set_.get(i, DEFAULT_YEARS) for i in institutions}


def zones_of(session: Session, institutions: Sequence[str]) -> dict[str, str]:
    return dict(session.execute(select(m.Institution.id, m.Institution.timezone).where(
        m.Institution.id.in_(list(institutions)))).all())


def _purged() -> Any:
    return exists().where(rm.DeletionLogEntry.subject_id == Debtor.id,
                          rm.DeletionLogEntry.subject_kind == SubjectKind.DEBTOR.value)


def candidates(session: Session, institution_id: str, *, after: str = "", batch: int = 1000) -> list[str]:
    """The next `batch` debtors (by id, after `after`) with a debt at the institution, none of whose own debts
    anywhere is open, and not purged yet. The rest of the decision is rules.decide's, on `facts`."""
    open_debt = exists().where(Debt.debtor_id == Debtor.id, Debt.status != "settled")
    # One uncorrelated IN (…): a correlated EXISTS let SQLite walk the institution's index for every debtor.
    here = Debtor.id.in_(select(Debt.debtor_id).where(Debt.institution_id == institution_id))
    return list(session.execute(select(Debtor.id).where(Debtor.id > after, here, ~open_debt, ~_purged())
                                .order_by(Debtor.id).limit(batch)).scalars())


def facts(session: Session, debtor_ids: Sequence[str]) -> list[DebtorFacts]:
    """What the decision needs of each debtor, in a handful of queries for the whole batch: his debts and the
    debts he guarantees (open ones keep him), their institutions and zones, and his last activity — a debt
    settled, an attempt, a repayment recorded, a complaint received or resolved, a hold released."""
    ids = list(debtor_ids)
    if not ids:
        return []
    debts: dict[str, list[tuple[str, str, str, datetime | None]]] = defaultdict(list)
    own = select(Debt.debtor_id, Debt.id, Debt.institution_id, Debt.status, Debt.settled_at).where(
        Debt.debtor_id.in_(ids))
    guaranteed = select(DebtGuarantor.debtor_id, Debt.id, Debt.institution_id, Debt.status, Debt.settled_at).join(
        Debt, Debt.id == DebtGuarantor.debt_id).where(DebtGuarantor.debtor_id.in_(ids))
    for debtor, debt, institution, status, settled in session.execute(own.union_all(guaranteed)):
        debts[debtor].append((debt, institution, status, settled))
    debt_ids = sorted({d[0] for rows in debts.values() for d in rows})
    owner = {d[0]: debtor for debtor, rows in debts.items() for d in rows}

    attempts = ATTEMPTS
    last_attempt = dict(session.execute(select(attempts.c.debtor_id, func.max(attempts.c.at)).where(
        attempts.c.debtor_id.in_(ids)).group_by(attempts.c.debtor_id)).all())
    last_repayment: dict[str, datetime] = {}
    for chunk in _chunks(debt_ids, 500):
        for subject, at in session.execute(select(LedgerRecord.subject, func.max(LedgerRecord.at)).where(
                LedgerRecord.subject.in_(chunk), LedgerRecord.kind == Tag.DEBT_REPAYMENT_RECORDED.value)
                .group_by(LedgerRecord.subject)):
            who = owner[subject]
            last_repayment[who] = latest(last_repayment.get(who), at) or at
    complaints: dict[str, tuple[int, datetime | None]] = {}
    for complained, open_, received, resolved in session.execute(select(
            Complaint.debtor_id, func.sum(case((Complaint.status != RESOLVED, 1), else_=0)),
            func.max(Complaint.received_at), func.max(Complaint.resolved_at)).where(
            Complaint.debtor_id.in_(ids)).group_by(Complaint.debtor_id)):
        complaints[str(complained)] = (int(open_ or 0), latest(_aware(received), _aware(resolved)))
    holds: dict[str, tuple[int, datetime | None]] = {}
    hold_rows = session.execute(select(HoldRow.debtor_id, HoldRow.debt_id, HoldRow.released_at).where(
        or_(HoldRow.debtor_id.in_(ids), HoldRow.debt_id.in_(debt_ids))))
    for held, held_debt, released in hold_rows:
        holder = held or owner.get(held_debt or "")
        if holder is None:
            continue
        n, last = holds.get(holder, (0, None))
        holds[holder] = (n + (released is None), latest(last, released))
    institutions = sorted({d[1] for rows in debts.values() for d in rows})
    zones = zones_of(session, institutions)
    out = []
    for debtor in ids:
        rows = debts.get(debtor, [])
        n_holds, hold_last = holds.get(debtor, (0, None))
        n_complaints, complaint_last = complaints.get(debtor, (0, None))
        out.append(DebtorFacts(
            debtor_id=debtor, institutions=frozenset(r[1] for r in rows),
            open_debts=sum(1 for r in rows if r[2] != "settled"),
            last_activity=latest(*(r[3] for r in rows), _aware(last_attempt.get(debtor)),
                                 last_repayment.get(debtor), complaint_last, hold_last),
            open_holds=n_holds, open_complaints=n_complaints,
            zones={i: zones.get(i, "Asia/Shanghai") for i in {r[1] for r in rows}}))
    return out


def _aware(value: Any) -> datetime | None:
    """A time read through a plain table or an aggregate (SQLite gives naive text or datetimes): aware UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return UTCDateTime().process_result_value(value, None)


def _chunks(items: Sequence[str], size: int) -> list[Sequence[str]]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def debts_of(session: Session, debtor_ids: Sequence[str]) -> dict[str, str]:
    """Debt id → debtor id of the debtors' own debts."""
    return dict(session.execute(select(Debt.id, Debt.debtor_id).where(Debt.debtor_id.in_(list(debtor_ids)))).all())


# -- the deletion log and destruction requests -------------------------------------------------------------------
def deletion_log(session: Session, institution_id: str, *, subject_kind: str | None = None,
                 reason: str | None = None, subject_id: str | None = None, run_id: str | None = None,
                 request_ids: Sequence[str] | None = None, since: datetime | None = None,
                 until: datetime | None = None, limit: int | None = 50,
                 offset: int = 0) -> tuple[list[rm.DeletionLogEntry], int]:
    e = rm.DeletionLogEntry
    stmt = where_given(select(e).where(e.institution_id == institution_id), (e.subject_kind, subject_kind or None),
                       (e.reason, reason or None), (e.subject_id, subject_id or None), (e.run_id, run_id or None))
    if request_ids is not None:
        stmt = stmt.where(e.request_id.in_(list(request_ids)))
    if since is not None:
        stmt = stmt.where(e.at >= since)
    if until is not None:
        stmt = stmt.where(e.at < until)
    return paged(session, stmt.order_by(e.at.desc(), e.id.desc()), limit, offset)


def requests(session: Session, institution_id: str, *, agency_id: str | None = None, status: str | None = None,
             limit: int | None = 50, offset: int = 0) -> tuple[list[rm.DestructionRequest], int]:
    r = rm.DestructionRequest
    stmt = select(r).where(r.institution_id == institution_id)
    if agency_id is not None:
        stmt = stmt.where(r.agency_id == agency_id)
    if status is not None:
        stmt = stmt.where(r.status == status)
    return paged(session, stmt.order_by(r.requested_at.desc(), r.id), limit, offset)


def pending_request(session: Session, institution_id: str, agency_id: str) -> rm.DestructionRequest | None:
    r = rm.DestructionRequest
    return session.execute(select(r).where(r.institution_id == institution_id, r.agency_id == agency_id,
                                           r.status == "requested")).scalars().first()


def runs(session: Session, institution_id: str, limit: int = 10) -> list[rm.RetentionRun]:
    return list(session.execute(select(rm.RetentionRun).where(rm.RetentionRun.institution_id == institution_id)
                                .order_by(rm.RetentionRun.at.desc()).limit(limit)).scalars())


def agreements(session: Session, institution_id: str, agency_id: str) -> list[m.Agreement]:
    return list(session.execute(select(m.Agreement).where(
        m.Agreement.institution_id == institution_id, m.Agreement.agency_id == agency_id)
        .order_by(m.Agreement.valid_to.desc())).scalars())


def placed_debtors(session: Session, institution_id: str, agency_id: str) -> int:
    """How many of the institution's debtors were ever placed with the agency (the copies it destroys)."""
    return int(session.execute(select(func.count(func.distinct(Debt.debtor_id))).select_from(m.Placement).join(
        Debt, and_(Debt.id == m.Placement.debt_id, Debt.institution_id == institution_id))
        .where(m.Placement.agency_id == agency_id)).scalar_one())
