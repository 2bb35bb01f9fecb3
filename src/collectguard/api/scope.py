"""The gate's scope: the checks of one attempt or outcome request, folded into one statement each.

Anything outside the caller's institution (or, for an agency, outside what is placed with it now) is reported as
not found, so nothing leaks that it exists (art. 19(五), 20(三)). The checks themselves, step by step, are the
domains' repositories' (debts.repository.debt and attempt_party, collectors.repository.usable); `ask` and
`attempt_visible` give exactly their answers in one SELECT (tests/api/test_scope_folded.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Date, Select, and_, bindparam, exists, func, or_, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from collectguard.agencies import repository as agencies
from collectguard.api import attempt_ids
from collectguard.auth.roles import Principal
from collectguard.db.store import Store
from collectguard.debts import repository as debts
from collectguard.errors import Forbidden, NotFound, Unavailable
from collectguard.gate.models import AttemptRow
from collectguard.registry import models as m
from collectguard.registry import tenancy
from collectguard.rulebook.calendar import local_date


def attempt(session: Session, p: Principal, attempt_id: str) -> AttemptRow:
    """The caller's attempt by the id it sent: its own reuse of an id first, then the id as given."""
    row = session.get(AttemptRow, attempt_ids.scoped(p.institution_id, attempt_id)) or session.get(AttemptRow, attempt_id)
    if row is None or row.institution_id != p.institution_id:
        raise NotFound("attempt", attempt_id, field="attempt")
    if p.agency_id is not None:
        collector = session.get(m.Collector, row.collector_id)
        if collector is None or collector.org_id not in agencies.family(session, p.agency_id):
            raise NotFound("attempt", attempt_id, field="attempt")
    return row


# -- the gate's routes: every check of a request in one statement ------------------------------------------
# `ask` needs debts.repository.debt, collectors.repository.usable and debts.repository.attempt_party; `outcome`
# needs `attempt` above. Each is one SELECT of scalar subqueries, evaluated here in the same order and with the
# same answers as those functions (tests/api/test_authz_matrix.py, tests/api/test_scope_folded.py). The debtor's local day is not known before the debtor's time zone
# is read, so the placement test is asked for the three days any zone can be on (UTC day -1, 0, +1) and
# the right one is picked here.
#
# The statements are compiled once per dialect and run on a raw DBAPI connection of the read engine: on
# the 2-core machine SQLAlchemy's per-execution work (the cache key of a statement this size, the ORM
# session, SQLite's BEGIN from Store.read) cost about 1 ms against 0.07 ms for the SELECT itself. One
# statement needs no transaction around it: SQLite and PostgreSQL read it from one snapshot.


class _Prepared:
    """A SELECT compiled once per dialect, run on a pooled raw connection of a store's read engine."""

    def __init__(self, statement: Select[Any] | Any) -> None:
        self.statement = statement
        self.keys = [str(c.key) for c in statement.selected_columns]
        self._compiled: dict[str, Any] = {}

    def one(self, store: Store, params: dict[str, Any]) -> dict[str, Any] | None:
        engine = store.read_engine
        dialect = engine.dialect
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            compiled = self._compiled.setdefault(dialect.name, self.statement.compile(dialect=dialect))
        if dialect.name == "sqlite":  # SQLAlchemy stores SQLite dates as ISO text
            params = {k: v.isoformat() if isinstance(v, date) else v for k, v in params.items()}
        bound = compiled.construct_params(params)
        args: Any = [bound[k] for k in compiled.positiontup] if compiled.positional else bound
        dbapi = dialect.loaded_dbapi
        try:
            raw = engine.raw_connection()
        except (DBAPIError, dbapi.Error) as exc:  # the pool may pass the driver's own error through unwrapped
            raise _unavailable(exc) from exc
        try:
            cursor = raw.cursor()
            try:
                cursor.execute(compiled.string, args)
                row = cursor.fetchone()
            finally:
                cursor.close()
        except (dbapi.OperationalError, dbapi.InterfaceError) as exc:  # down, full, read-only, connection lost
            raw.invalidate(exc)
            raise _unavailable(exc) from exc
        except BaseException:
            raw.close()
            raise
        raw.close()  # back to the pool, which rolls back PostgreSQL's implicit transaction
        return None if row is None else dict(zip(self.keys, row, strict=True))


def _unavailable(exc: BaseException) -> Unavailable:
    return Unavailable("数据库暂不可用，请重试", f"database unavailable, retry: {getattr(exc, 'orig', exc)}",
                       code="db-unavailable")


def _entrusted_sql() -> ColumnElement[Any]:
    """agencies.repository.entrusted in SQL: the caller's agency's parent, else the caller's agency."""
    parent = select(func.nullif(m.Agency.parent_id, "")).where(m.Agency.id == bindparam("agency")).scalar_subquery()
    return func.coalesce(parent, bindparam("agency"))


@cache
def _ask_statement(agency: bool) -> _Prepared:
    debt_id = m.Debt.id
    col_org = select(m.Collector.org_id).where(m.Collector.id == bindparam("collector")).scalar_subquery()
    guarantors = select(m.DebtGuarantor.debtor_id).where(m.DebtGuarantor.debt_id == debt_id).correlate(m.Debt)
    columns: list[Any] = [
        m.Debt.institution_id, m.Debt.debtor_id, m.Debtor.timezone,
        col_org.label("collector_org"),
        exists().where(m.DebtGuarantor.debt_id == debt_id, m.DebtGuarantor.debtor_id == bindparam("party"))
        .label("party_guarantor"),
        exists().where(m.Contact.id == bindparam("party"),
                       or_(m.Contact.debtor_id == m.Debt.debtor_id, m.Contact.debtor_id.in_(guarantors)))
        .correlate(m.Debt).label("party_contact_liable"),
        select(AttemptRow.institution_id).where(AttemptRow.id == bindparam("attempt")).scalar_subquery()
        .label("attempt_owner"),
        exists().where(AttemptRow.id == bindparam("attempt_scoped")).label("attempt_scoped"),
    ]
    if agency:
        entrusted = _entrusted_sql()
        for n in range(3):
            day = bindparam(f"day{n}", type_=Date)
            columns.append(exists().where(m.Placement.debt_id == debt_id, m.Placement.agency_id == entrusted,
                                          m.Placement.valid_from <= day, m.Placement.valid_to >= day)
                           .correlate(m.Debt).label(f"placed{n}"))
        family = or_(col_org == bindparam("agency"),
                     exists().where(m.Agency.id == col_org, m.Agency.parent_id == bindparam("agency")))
        columns.append(family.label("collector_in_family"))
    else:
        columns.append(tenancy.works_with(bindparam("institution"), col_org).label("collector_is_agency"))
    return _Prepared(select(*columns).select_from(m.Debt)
                     .outerjoin(m.Debtor, m.Debtor.id == m.Debt.debtor_id)
                     .where(m.Debt.id == bindparam("debt")))


def _three_days(at: datetime) -> dict[str, date]:
    day = at.astimezone(UTC).date()
    return {f"day{n}": day + timedelta(days=n - 1) for n in range(3)}


def ask(store: Store, p: Principal, attempt_id: str, debt_id: str, collector_id: str, party_id: str,
        at: datetime) -> str:
    """debts.repository.debt, collectors.repository.usable and debts.repository.attempt_party for one attempt, in
    one statement (the usual case; a party who is neither liable for the debt nor a contact of someone liable
    takes the long way). Returns the id the attempt is stored under (api/attempt_ids.py)."""
    agency = p.agency_id is not None
    params: dict[str, Any] = {"debt": debt_id, "collector": collector_id, "party": party_id, "attempt": attempt_id,
                              "attempt_scoped": attempt_ids.scoped(p.institution_id, attempt_id)}
    if not agency:
        params["institution"] = p.institution_id
    if agency:
        params |= {"agency": p.agency_id, **_three_days(at)}
    row = _ask_statement(agency).one(store, params)
    if row is None or row["institution_id"] != p.institution_id:
        raise NotFound("debt", debt_id, field="debt")
    if agency:
        zone = row["timezone"] if row["timezone"] is not None else "Asia/Shanghai"
        today = local_date(at, ZoneInfo(zone))
        days = _three_days(at)
        placed = next((row[f"placed{n}"] for n in range(3) if days[f"day{n}"] == today), None)
        if placed is None:  # a zone beyond a day from UTC: ask the long way
            with store.read() as session:
                debt = session.get(m.Debt, debt_id)
                placed = debt is not None and debts.placed_with_now(session, debt, agencies.entrusted(session, p), at)
        if not placed:
            raise NotFound("debt", debt_id, field="debt")
    org = row["collector_org"]
    if org is None:
        raise NotFound("collector", collector_id, field="collector")
    if agency and not row["collector_in_family"]:
        raise Forbidden("不能代表其他机构的催收人员", "cannot act for another organisation's collector", field="collector")
    if not agency and org != p.institution_id and not row["collector_is_agency"]:
        raise NotFound("collector", collector_id, field="collector")
    stored = attempt_ids.for_ask(p.institution_id, attempt_id, row["attempt_owner"], bool(row["attempt_scoped"]))
    if party_id == row["debtor_id"] or row["party_guarantor"] or row["party_contact_liable"]:
        return stored
    with store.read() as session:
        debt = session.get(m.Debt, debt_id)
        assert debt is not None
        debts.attempt_party(session, p, debt, party_id, at)
    return stored


@cache
def _attempt_statement(agency: bool) -> _Prepared:
    """The caller's attempt: its own reuse of the id (`scoped`) first, else the id as given."""
    named = AttemptRow.id.in_([bindparam("attempt"), bindparam("scoped")])
    first = (AttemptRow.id == bindparam("scoped")).desc()
    if not agency:
        return _Prepared(select(AttemptRow.id, AttemptRow.institution_id).where(named).order_by(first))
    org = m.Collector.org_id
    in_family = and_(m.Collector.id.is_not(None),
                     or_(org == bindparam("agency"),
                         exists().where(m.Agency.id == org, m.Agency.parent_id == bindparam("agency"))))
    return _Prepared(select(AttemptRow.id, AttemptRow.institution_id, in_family.label("in_family"))
                     .select_from(AttemptRow).outerjoin(m.Collector, m.Collector.id == AttemptRow.collector_id)
                     .where(named).order_by(first))


def attempt_visible(store: Store, p: Principal, attempt_id: str) -> str:
    """scope.attempt in one statement, without loading the attempt; returns the id it is stored under."""
    agency = p.agency_id is not None
    params = {"attempt": attempt_id, "scoped": attempt_ids.scoped(p.institution_id, attempt_id)}
    if agency:
        params["agency"] = p.agency_id
    row = _attempt_statement(agency).one(store, params)
    if row is None or row["institution_id"] != p.institution_id or (agency and not row["in_family"]):
        raise NotFound("attempt", attempt_id, field="attempt")
    return str(row["id"])
