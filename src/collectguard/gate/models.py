"""Attempts and their leases on per-day quotas."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Index, Integer, Numeric, String, false, text
from sqlalchemy.orm import Mapped, mapped_column

from collectguard.db.base import Base, Id


class AttemptRow(Base):
    __tablename__ = "attempts"
    # The caller's id; "<institution>/<id>" when another institution already used that id (api/attempt_ids.py).
    id: Mapped[str] = mapped_column(String(140), primary_key=True)
    decision_id: Mapped[str] = mapped_column(String(36), unique=True)
    institution_id: Mapped[str] = mapped_column(Id)
    debt_id: Mapped[str] = mapped_column(Id, index=True)
    collector_id: Mapped[str] = mapped_column(Id, index=True)
    party_id: Mapped[str] = mapped_column(Id)
    party_kind: Mapped[str] = mapped_column(String(16))
    debtor_id: Mapped[str] = mapped_column(Id)  # the party, or the debtor a contact belongs to
    channel: Mapped[str] = mapped_column(String(16))
    mode: Mapped[str] = mapped_column(String(16))
    product: Mapped[str | None] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column()
    allowed: Mapped[bool] = mapped_column(Boolean)
    failing: Mapped[list[str]] = mapped_column(JSON, default=list)
    quota_rule: Mapped[str | None] = mapped_column(String(64))
    lease_state: Mapped[str] = mapped_column(String(16), default="none")
    lease_expires_at: Mapped[datetime | None] = mapped_column()
    connected: Mapped[bool | None] = mapped_column(Boolean)
    duration_s: Mapped[Decimal | None] = mapped_column(Numeric(10, 3))
    meaningful: Mapped[bool | None] = mapped_column(Boolean)
    effective: Mapped[bool | None] = mapped_column(Boolean)
    outcome_at: Mapped[datetime | None] = mapped_column()  # when the outcome was reported (the gate's clock)
    ended_at: Mapped[datetime | None] = mapped_column()  # when the call ended, as the outcome says (optional)
    # A contact made although the gate denied it: a connected outcome reported for a denied attempt (RULES.md,
    # Counting and concurrency). It counts like any other; this says it was made against the deny.
    against_deny: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    request: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    decision: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


Index("ix_attempts_counting", AttemptRow.institution_id, AttemptRow.debtor_id, AttemptRow.at)
Index("ix_attempts_held", AttemptRow.lease_state, AttemptRow.lease_expires_at)
# The gate reads a batch's debtors' recent attempts (every institution: leases expire per debtor).
Index("ix_attempts_debtor_at", AttemptRow.debtor_id, AttemptRow.at)
# An agency's evidence (monitoring.repository.evidence_counts): its collectors' attempts of a period, and the contacts
# made against a deny by the time they ended (a few: a partial index), migration 0021.
Index("ix_attempts_collector_at", AttemptRow.institution_id, AttemptRow.collector_id, AttemptRow.at)
Index("ix_attempts_against_deny", AttemptRow.institution_id, AttemptRow.ended_at,
      sqlite_where=text("against_deny = 1"), postgresql_where=text("against_deny"))


class DailyFigures(Base):
    """What was asked and answered, and what happened, per institution, local day (the day of the attempt's
    `at` in the institution's zone), organisation (the collector's: an agency, or the institution itself),
    collector and channel. Maintained by the gate in the same transaction as the decisions and outcomes
    (gate/daily.py); an outcome counts on its attempt's row."""

    __tablename__ = "daily_figures"
    institution_id: Mapped[str] = mapped_column(Id, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    org_id: Mapped[str] = mapped_column(Id, primary_key=True)
    collector_id: Mapped[str] = mapped_column(Id, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    allowed: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    denied: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    outcomes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    connected: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    against_deny: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class DailyDenials(Base):
    """Denied attempts per failing rule, on the same key as `daily_figures` (one per failing rule id)."""

    __tablename__ = "daily_denials"
    institution_id: Mapped[str] = mapped_column(Id, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    org_id: Mapped[str] = mapped_column(Id, primary_key=True)
    collector_id: Mapped[str] = mapped_column(Id, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    rule: Mapped[str] = mapped_column(String(64), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
