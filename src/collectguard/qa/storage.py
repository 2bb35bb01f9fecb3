"""Findings into the ledger (art. 12(三)): each inspected call is attached to its attempt, so violations
per collector and per agency per day can be read back, and the call itself (its turns and findings, with
phone numbers, ID numbers and e-mail addresses masked) can be shown beside them (the console's QA page)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    column,
    func,
    select,
    table,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from collectguard.db.base import Base, Id, UTCDateTime
from collectguard.errors import Conflict, NotFound
from collectguard.ledger import service as ledger
from collectguard.ledger.tags import Tag
from collectguard.privacy.redact import redact
from collectguard.registry import models as m

# The attempts table as QA reads it: only the columns it needs, declared here so that QA never imports the gate
# (an import contract, pyproject.toml). The gate owns the table (gate/models.py, AttemptRow).
ATTEMPTS = table("attempts", column("id", String), column("institution_id", String), column("collector_id", String),
                 column("debtor_id", String), column("at", UTCDateTime()))


class QaFindingRow(Base):
    """One finding of one inspected call, attached to the attempt it came from."""

    __tablename__ = "qa_findings"
    __table_args__ = (UniqueConstraint("attempt_id", "call_id", "seq"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    attempt_id: Mapped[str] = mapped_column(ForeignKey("attempts.id"), index=True)
    call_id: Mapped[str] = mapped_column(String(200))
    seq: Mapped[int] = mapped_column(Integer)  # the finding's position in the call, 0 = clean call marker
    collector_id: Mapped[str] = mapped_column(Id, index=True)
    org_id: Mapped[str] = mapped_column(Id, index=True)
    institution_id: Mapped[str] = mapped_column(Id, index=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    category: Mapped[str | None] = mapped_column(String(64))
    rule: Mapped[str | None] = mapped_column(String(64))
    severity: Mapped[str | None] = mapped_column(String(16))


# The findings (not the clean-call markers, seq 0) of an institution by day, with every column the console's QA page
# filters and counts by: its counts and pages read this index only, however many clean calls there are.
Index("ix_qa_findings_found", QaFindingRow.institution_id, QaFindingRow.day, QaFindingRow.org_id,
      QaFindingRow.collector_id, QaFindingRow.rule, QaFindingRow.category, QaFindingRow.severity,
      sqlite_where=QaFindingRow.seq > 0, postgresql_where=QaFindingRow.seq > 0)


class QaCallRow(Base):
    """One inspected call as it is shown: its turns and findings, personal data masked by shape (mobile and ID
    numbers, e-mail addresses: `privacy.redact`) before it is stored. Names cannot be recognised in free text."""

    __tablename__ = "qa_calls"
    __table_args__ = (UniqueConstraint("attempt_id", "call_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    attempt_id: Mapped[str] = mapped_column(ForeignKey("attempts.id"), index=True)
    call_id: Mapped[str] = mapped_column(String(200))
    institution_id: Mapped[str] = mapped_column(Id, index=True)
    audience: Mapped[str | None] = mapped_column(String(16))
    turns: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # speaker, start, end, text
    findings: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # FORMAT.md findings, in seq order


@dataclass(frozen=True)
class Inspected:
    """A call's findings as the inspector produced them (`Finding.to_output()` dicts), and, when known, the call's
    audience and turns (`{"speaker", "start", "end", "text"}`) to keep beside them."""

    call_id: str
    attempt_id: str
    findings: list[dict[str, Any]]
    audience: str | None = None
    turns: list[dict[str, Any]] | None = None


def masked_call(inspected: Inspected) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The call's turns and findings with mobile numbers, ID numbers and e-mail addresses masked."""
    turns = [{"speaker": t.get("speaker"), "start": t.get("start"), "end": t.get("end"),
              "text": redact(str(t.get("text") or ""))} for t in inspected.turns or ()]
    findings = [{**f, "evidence": redact(str(f.get("evidence") or ""))} for f in inspected.findings]
    return turns, findings


def record(session: Session, inspected: Inspected, at: datetime, algorithm: str = "sm3") -> int:
    """Attach one call's findings to its attempt and append `qa:call:inspected` to the ledger."""
    attempt = session.execute(select(ATTEMPTS).where(ATTEMPTS.c.id == inspected.attempt_id)).first()
    if attempt is None:
        raise NotFound("attempt", inspected.attempt_id, field="attempt_id")
    already = session.execute(
        select(QaFindingRow.id).where(QaFindingRow.attempt_id == attempt.id, QaFindingRow.call_id == inspected.call_id)
    ).first()
    if already is not None:
        raise Conflict(
            f"通话 {inspected.call_id} 的质检结果已登记", f"findings of call {inspected.call_id} are already recorded",
            field="attempt_id", code="qa-already-recorded",
        )
    collector = session.get(m.Collector, attempt.collector_id)
    debtor = session.get(m.Debtor, attempt.debtor_id)
    org = collector.org_id if collector else "?"
    day = attempt.at.astimezone(ZoneInfo(debtor.timezone if debtor else "Asia/Shanghai")).date()
    rows = [
        QaFindingRow(
            attempt_id=attempt.id, call_id=inspected.call_id, seq=i + 1, collector_id=attempt.collector_id,
            org_id=org, institution_id=attempt.institution_id, day=day,
            category=f["category"], rule=f["rule"], severity=f["severity"],
        )
        for i, f in enumerate(inspected.findings)
    ] or [
        QaFindingRow(attempt_id=attempt.id, call_id=inspected.call_id, seq=0, collector_id=attempt.collector_id,
                     org_id=org, institution_id=attempt.institution_id, day=day)
    ]
    session.add_all(rows)
    turns, findings = masked_call(inspected)
    session.add(QaCallRow(attempt_id=attempt.id, call_id=inspected.call_id, institution_id=attempt.institution_id,
                          audience=inspected.audience, turns=turns, findings=findings))
    return ledger.append(
        session, kind=Tag.QA_CALL_INSPECTED, subject=attempt.id, at=at, institution_id=attempt.institution_id,
        algorithm=algorithm,
        payload={"call_id": inspected.call_id, "collector": attempt.collector_id, "org": org, "day": day,
                 # the evidence (words of the call, which may name the debtor) stays out of the ledger: a purge
                 # past retention empties the stored call, and the ledger must not keep what it removed
                 "findings": [{k: v for k, v in f.items() if k != "evidence"} for f in inspected.findings]},
    ).seq


def violation_counts(session: Session, by: str, institution: str | None = None) -> list[dict[str, Any]]:
    """Violations per collector (or per agency/organisation) per day, with the calls inspected."""
    key = {"collector": QaFindingRow.collector_id, "agency": QaFindingRow.org_id}[by]
    stmt = (
        select(
            key.label("who"), QaFindingRow.day,
            func.count(func.distinct(QaFindingRow.call_id)).label("calls"),
            func.count(QaFindingRow.category).label("violations"),
        )
        .group_by(key, QaFindingRow.day)
        .order_by(QaFindingRow.day, key)
    )
    if institution:
        stmt = stmt.where(QaFindingRow.institution_id == institution)
    return [
        {by: who, "day": day.isoformat(), "calls": calls, "violations": violations}
        for who, day, calls, violations in session.execute(stmt)
    ]


def record_all(session: Session, items: Iterable[Inspected], at: datetime, algorithm: str = "sm3") -> list[int]:
    return [record(session, item, at, algorithm) for item in items]
