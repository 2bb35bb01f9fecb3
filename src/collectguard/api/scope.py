"""Tenant and agency scoping. Anything outside the caller's institution (or, for an agency, outside what
is placed with it now) is reported as not found, so nothing leaks that it exists (art. 19(五), 20(三))."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Date, Select, and_, bindparam, exists, func, or_, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from collectguard.api import attempt_ids
from collectguard.auth.roles import Principal
from collectguard.auth.service import Forbidden
from collectguard.db.store import Store
from collectguard.errors import NotFound, Unavailable
from collectguard.gate.models import AttemptRow
from collectguard.registry import models as m
from collectguard.registry import tenancy
from collectguard.rulebook.calendar import local_date

SHANGHAI = ZoneInfo("Asia/Shanghai")


def agency_family(session: Session, agency_id: str) -> set[str]:
    """The agency and its subcontractors (an operator of the parent sees its subcontractors' work)."""
    subs = session.execute(select(m.Agency.id).where(m.Agency.parent_id == agency_id)).scalars()
    return {agency_id, *subs}


def placed_with_now(session: Session, debt: m.Debt, agency_id: str, at: datetime) -> bool:
    debtor = session.get(m.Debtor, debt.debtor_id)
    today = local_date(at, ZoneInfo(debtor.timezone if debtor else "Asia/Shanghai"))
    return session.execute(
        select(
            exists().where(
                m.Placement.debt_id == debt.id, m.Placement.agency_id == agency_id,
                m.Placement.valid_from <= today, m.Placement.valid_to >= today,
            )
        )
    ).scalar_one()


def debt(session: Session, p: Principal, debt_id: str, at: datetime, *, field: str = "debt") -> m.Debt:
    row = session.get(m.Debt, debt_id)
    if row is None or row.institution_id != p.institution_id:
        raise NotFound("debt", debt_id, field=field)
    if p.agency_id is not None:
        if not placed_with_now(session, row, entrusted_agency(session, p), at):
            raise NotFound("debt", debt_id, field=field)
    return row


def entrusted_agency(session: Session, p: Principal) -> str:
    """The agency a debt is placed with for this caller: a subcontractor works for its parent's placements."""
    assert p.agency_id is not None
    agency = session.get(m.Agency, p.agency_id)
    return agency.parent_id if agency is not None and agency.parent_id else p.agency_id


def placed_now(session: Session, p: Principal, at: datetime) -> list[str]:
    """Ids of the caller's institution's debts placed with the caller's agency today (debtor's local day).

    Candidates come from SQL with a day's margin either side; each is then checked exactly in the
    debtor's time zone, the same test the gate's scope uses."""
    entrusted = entrusted_agency(session, p)
    today = local_date(at, SHANGHAI)
    candidates = session.execute(
        select(m.Debt).join(m.Placement, m.Placement.debt_id == m.Debt.id).where(
            m.Debt.institution_id == p.institution_id, m.Placement.agency_id == entrusted,
            m.Placement.valid_from <= today + timedelta(days=1), m.Placement.valid_to >= today - timedelta(days=1),
        )
    ).scalars().unique().all()
    return [d.id for d in candidates if placed_with_now(session, d, entrusted, at)]


def debt_filter(session: Session, p: Principal, at: datetime) -> ColumnElement[bool]:
    own = m.Debt.institution_id == p.institution_id
    if p.agency_id is not None:
        return own & m.Debt.id.in_(placed_now(session, p, at))
    return own


def debtor_filter(session: Session, p: Principal, at: datetime) -> ColumnElement[bool]:
    if p.agency_id is not None:  # debtors of the debts placed now; never guarantors (art. 20(三))
        return m.Debtor.id.in_(select(m.Debt.debtor_id).where(m.Debt.id.in_(placed_now(session, p, at))))
    debts = select(m.Debt.id).where(m.Debt.institution_id == p.institution_id)
    return or_(
        m.Debtor.institution_id == p.institution_id,
        m.Debtor.id.in_(select(m.Debt.debtor_id).where(m.Debt.institution_id == p.institution_id)),
        m.Debtor.id.in_(select(m.DebtGuarantor.debtor_id).where(m.DebtGuarantor.debt_id.in_(debts))),
    )


def debtor_visible(session: Session, p: Principal, debtor_id: str, at: datetime, field: str = "debtor") -> m.Debtor:
    row = session.execute(select(m.Debtor).where(m.Debtor.id == debtor_id, debtor_filter(session, p, at))).scalar()
    if row is None:
        raise NotFound("debtor", debtor_id, field=field)
    return row


def contact_visible(session: Session, p: Principal, contact_id: str, at: datetime) -> m.Contact:
    row = session.get(m.Contact, contact_id)
    if row is None:
        raise NotFound("contact", contact_id, field="contact")
    try:
        debtor_visible(session, p, row.debtor_id, at)
    except NotFound:
        raise NotFound("contact", contact_id, field="contact") from None
    return row


def attempt_party(session: Session, p: Principal, debt: m.Debt, party_id: str, at: datetime) -> None:
    """The party of an attempt: the debt's borrower, a guarantor or a contact of either always passes (the
    rulebook judges it); another person the caller may see passes too (art. 7 will deny); anyone else is
    not found, so whether the id exists in another tenant is never revealed."""
    liable = {debt.debtor_id, *session.execute(
        select(m.DebtGuarantor.debtor_id).where(m.DebtGuarantor.debt_id == debt.id)).scalars()}
    contact = session.get(m.Contact, party_id)
    if party_id in liable or (contact is not None and contact.debtor_id in liable):
        return
    try:
        if contact is not None:
            contact_visible(session, p, party_id, at)
        else:
            debtor_visible(session, p, party_id, at)
    except NotFound:
        raise NotFound("party", party_id, field="party") from None


def collector_usable(session: Session, p: Principal, collector_id: str) -> m.Collector:
    """An agency-bound caller may act only for its own (or its subcontractors') collectors."""
    row = session.get(m.Collector, collector_id)
    if row is None:
        raise NotFound("collector", collector_id, field="collector")
    if p.agency_id is not None and row.org_id not in agency_family(session, p.agency_id):
        raise Forbidden("不能代表其他机构的催收人员", "cannot act for another organisation's collector", field="collector")
    if p.agency_id is None and row.org_id != p.institution_id and not session.execute(
            select(tenancy.works_with(p.institution_id, row.org_id))).scalar():
        raise NotFound("collector", collector_id, field="collector")  # another tenant's agency: as if unknown
    return row


def attempt(session: Session, p: Principal, attempt_id: str) -> AttemptRow:
    """The caller's attempt by the id it sent: its own reuse of an id first, then the id as given."""
    row = session.get(AttemptRow, attempt_ids.scoped(p.institution_id, attempt_id)) or session.get(AttemptRow, attempt_id)
    if row is None or row.institution_id != p.institution_id:
        raise NotFound("attempt", attempt_id, field="attempt")
    if p.agency_id is not None:
        collector = session.get(m.Collector, row.collector_id)
        if collector is None or collector.org_id not in agency_family(session, p.agency_id):
            raise NotFound("attempt", attempt_id, field="attempt")
    return row


# -- the gate's routes: every check of a request in one statement ------------------------------------------
# `ask` needs scope.debt, collector_usable and attempt_party; `outcome` needs scope.attempt. Each is one
# SELECT of scalar subqueries, evaluated here in the same order and with the same answers as the functions
# above (tests/api/test_authz_matrix.py). The debtor's local day is not known before the debtor's time zone
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
    """entrusted_agency in SQL: the caller's agency's parent, else the caller's agency."""
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
    """scope.debt, collector_usable and attempt_party for one attempt, in one statement (the usual case;
    a party who is neither liable for the debt nor a contact of someone liable takes the long way). Returns the
    id the attempt is stored under (api/attempt_ids.py)."""
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
                placed = debt is not None and placed_with_now(session, debt, entrusted_agency(session, p), at)
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
        attempt_party(session, p, debt, party_id, at)
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
