"""One unit of work on the registry: a session, the time it acts at, and the ledger it records every change in.

Every domain service (agencies, collectors, tools, templates, debts, holds, notices, keys) takes a `Unit` and
acts inside the caller's transaction: services never commit, `Store.transaction` does. `Registry` (the bulk
loader) is a `Unit` too, so a scenario's whole world loads in one transaction with the same checks.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from collectguard.db.base import Base
from collectguard.errors import Conflict, InvalidInput, NotFound
from collectguard.ledger import service as ledger
from collectguard.ledger.tags import Tag
from collectguard.registry import models as m
from collectguard.registry import tenancy

if TYPE_CHECKING:
    from collectguard.db.store import Store

T = TypeVar("T", bound=Base)


class Unit:
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
        self.new_debt_placements: dict[str, list[m.Placement]] = {}

    # -- rows ------------------------------------------------------------------------------------
    def get(self, model: type[T], ident: Any, *, kind: str, field: str | None = None) -> T:
        row = self._created.get((model, ident)) or self.session.get(model, ident)
        if row is None:
            raise NotFound(kind, str(ident), field=field)
        return row

    def fresh(self, model: type[T], ident: Any, *, kind: str, field: str | None = None) -> T:
        """The row as it is now, read again even if this session holds it: after `lock`, what another
        transaction committed before the lock was granted is seen (PostgreSQL reads committed data)."""
        row = self.session.get(model, ident, populate_existing=True)
        if row is None:
            raise NotFound(kind, str(ident), field=field)
        return row

    def require(self, model: type[Base], ident: str, *, kind: str, field: str | None = None) -> None:
        """Check that a row exists, remembering the answer for this unit of work (bulk loads check the
        same institutions and debtors thousands of times)."""
        if ident in self._known.setdefault(model, set()):
            return
        self.get(model, ident, kind=kind, field=field)
        self._known[model].add(ident)

    def exists(self, model: type[Base], ident: str) -> bool:
        if ident in self._known.setdefault(model, set()):
            return True
        if ident in self._absent.setdefault(model, set()):
            return False
        return self.session.get(model, ident) is not None

    def remember_absent(self, model: type[Base], ids: set[str]) -> None:
        """Ids a bulk load found absent with one query: `exists` then needs none per row."""
        self._absent.setdefault(model, set()).update(ids)

    def new(self, row: Base, kind: str, ident: str, tag: Tag, payload: dict[str, Any],
            institution: str | list[str] | None) -> int:
        """Add a new row (a 409 if its id exists) and record `tag` for the institution(s) it concerns; returns the
        (last) record's sequence number."""
        model = type(row)
        if self.exists(model, ident):
            raise Conflict(f"{kind} {ident} 已存在", f"{kind} {ident} already exists", field="id", code="duplicate-id")
        self.session.add(row)
        self._created[(model, ident)] = row
        self._known[model].add(ident)
        self._absent.get(model, set()).discard(ident)
        if isinstance(institution, list):
            return self.record_for(tag, ident, payload, institution)
        return self.record(tag, ident, payload, institution)

    def update(self, row: Base, tag: Tag, ident: str, changes: dict[str, Any], institution: str | None,
               payload: dict[str, Any] | None = None) -> None:
        """Apply a PATCH (`changes` keyed by the row's attribute names, only what was sent) and record it."""
        for attr, value in changes.items():
            setattr(row, attr, value)
        self.record(tag, ident, changes if payload is None else payload, institution)

    def org_exists(self, org: str) -> bool:
        return self.session.get(m.Institution, org) is not None or self.session.get(m.Agency, org) is not None

    def lock(self, column: Any, key: str) -> None:
        """Serialise writers on one row (a debtor, a debt): a row lock on PostgreSQL; SQLite's BEGIN IMMEDIATE
        already serialised every writer."""
        if self.session.get_bind().dialect.name == "postgresql":
            self.session.execute(select(column).where(column == key).with_for_update())

    # -- the ledger ------------------------------------------------------------------------------
    def record(self, tag: Tag, subject: str, payload: dict[str, Any], institution: str | None) -> int:
        """Append a ledger record in this transaction; returns its sequence number."""
        return ledger.append(
            self.session,
            kind=tag,
            subject=subject,
            at=self.at,
            payload=payload,
            institution_id=institution,
            algorithm=self.algorithm,
        ).seq

    def record_for(self, tag: Tag, subject: str, payload: dict[str, Any], institutions: list[str]) -> int:
        """Record an event once for each institution it concerns (a shared agency's people concern every
        institution that entrusts the agency); once without an institution when it concerns none yet."""
        seq = 0
        for institution in institutions or [None]:  # type: ignore[list-item]
            seq = self.record(tag, subject, payload, institution)
        return seq

    def record_for_agency(self, tag: Tag, subject: str, payload: dict[str, Any], agency_id: str) -> int:
        return self.record_for(tag, subject, payload, tenancy.institutions_of_agency(self.session, agency_id))

    def record_for_org(self, tag: Tag, subject: str, payload: dict[str, Any], org_id: str) -> int:
        return self.record_for(tag, subject, payload, tenancy.institutions_of_org(self.session, org_id))


def check_period(start: date, end: date, field: str) -> None:
    if end < start:
        raise InvalidInput("结束日期早于开始日期", "the period ends before it starts", field=field)


class Units:
    """Units of work over one store, recording in the ledger with the configured hash (settings' `ledger_hash`):
    an endpoint opens exactly one per request — `write(at)` for a change, `read()` for a read, which on SQLite
    takes no write lock (WAL readers never wait for the gate's writer)."""

    def __init__(self, store: Store, algorithm: str) -> None:
        self.store = store
        self.algorithm = algorithm

    @contextmanager
    def write(self, at: datetime) -> Iterator[Unit]:
        with self.store.transaction() as session:
            yield Unit(session, at=at, algorithm=self.algorithm)

    def read(self) -> AbstractContextManager[Session]:
        """`Store.read()`: a read-only unit (a session). Write nothing in it."""
        return self.store.read()

