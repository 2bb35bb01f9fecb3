"""债务人 What the debtor pages read: find a debtor, a page of debtors (masked), and one debtor's timeline.

Who sees what is the API's rule (debts/repository.py, art. 20(三)): an institution's people see its debtors (owed,
guaranteed or registered by it); an agency operator only the debtors of debts placed with its agency today (the
debtor's local day), their contacts (masked name and phone, nothing else personal) and its own work. Anything
else is not found. Personal data is masked here (privacy/masking.py); clear values only through `reveal`, which
the page records in the ledger before it shows them.

Scale: one debtor's attempts are read through `ix_attempts_counting` (institution, debtor, at) newest first, as
many as the page needs, then the page's rows in full; a page of debtors is one LIMIT/OFFSET query and a COUNT.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, false, func, or_, select
from sqlalchemy.orm import Session, aliased

from collectguard.agencies import repository as agencies
from collectguard.auth.roles import Permission, Principal
from collectguard.console.reads.planner import unindexed
from collectguard.debts import repository as repo
from collectguard.debts.models import Contact, Debt, DebtGuarantor, Debtor, Placement
from collectguard.errors import InvalidInput, NotFound
from collectguard.gate.models import AttemptRow
from collectguard.holds.models import HoldRow
from collectguard.ledger.models import LedgerRecord
from collectguard.ledger.tags import Tag
from collectguard.notices.models import NoticeKind, OutboxRow
from collectguard.privacy.kinds import PiiKind
from collectguard.privacy.lookup import blind_index, normalise
from collectguard.privacy.masking import mask_address, mask_id_number, mask_name, mask_phone
from collectguard.registry import models as m
from collectguard.registry.personal import find_debtors, keyring_of, read_personal
from collectguard.rulebook.calendar import local_date
from collectguard.rulebook.profile import DEFAULT_PROFILE, load_profile
from collectguard.users.models import UserRow

# -- who may see which debtor (the API's rule, debts/repository.py) ------------------------------------------


def _debts_of(session: Session, p: Principal, debtor_id: str) -> list[Debt]:
    """The institution's debts this debtor owes (and, for the institution's own people, guarantees)."""
    owes = Debt.debtor_id == debtor_id
    if p.agency_id is None:
        owes = or_(owes, Debt.id.in_(select(DebtGuarantor.debt_id).where(DebtGuarantor.debtor_id == debtor_id)))
    return list(session.execute(select(Debt).where(Debt.institution_id == p.institution_id, owes)
                                .order_by(Debt.id)).scalars())


def visible_debtor(session: Session, p: Principal, debtor_id: str, at: datetime) -> tuple[Debtor, list[Debt]]:
    """The debtor and the debts the viewer may see of it, or NotFound (as if it did not exist).

    An institution's people: `debts.repository.debtor_visible`. An agency operator: the debtor's own debts placed
    with the agency today, each tested by `debts.repository.placed_with_now` — the test `debtor_visible` makes
    through `placed_now` for every debt placed with the agency, here for this debtor's few debts only."""
    if p.agency_id is None:
        return repo.debtor_visible(session, p, debtor_id, at, field="debtor_id"), _debts_of(session, p, debtor_id)
    entrusted = agencies.entrusted(session, p)
    placed = [d for d in _debts_of(session, p, debtor_id) if repo.placed_with_now(session, d, entrusted, at)]
    row = session.get(Debtor, debtor_id) if placed else None
    if row is None:
        raise NotFound("debtor", debtor_id, field="debtor_id")
    return row, placed


def _debt_visible(session: Session, p: Principal, debt: Debt, at: datetime) -> bool:
    try:
        repo.debt(session, p, debt.id, at)
    except NotFound:
        return False
    return True


def _zones_today(session: Session, at: datetime) -> list[tuple[str, date]]:
    return [(z, local_date(at, ZoneInfo(z))) for z in session.execute(select(Debtor.timezone).distinct()).scalars()]


def agency_debtors(session: Session, p: Principal, at: datetime) -> ColumnElement[bool]:
    """`debts.repository.debtor_filter` for an agency operator, in one statement: a debt of the institution owed
    by the debtor is placed with the agency (its parent, for a subcontractor) on the debtor's local day. The
    day is asked per time zone the debtors live in (a handful), so no debt is tested one by one
    (tests/console/test_debtors.py checks it finds what `debtor_filter` finds)."""
    entrusted = agencies.entrusted(session, p)
    owner = aliased(Debtor)  # its own alias: the subquery must not correlate with the outer query's debtor
    today = [and_(owner.timezone == zone, Placement.valid_from <= day, Placement.valid_to >= day)
             for zone, day in _zones_today(session, at)]
    # One uncorrelated IN (…): as a correlated EXISTS, SQLite's planner walked the agency's placements once per
    # debtor (41 s for 10,000 debtors in `python -m bench.console_pages`; 28 ms as written here).
    placed = select(Debt.debtor_id).join(Placement, Placement.debt_id == Debt.id).join(
        owner, owner.id == Debt.debtor_id).where(Debt.institution_id == p.institution_id,
                                                 Placement.agency_id == entrusted, or_(false(), *today))
    return Debtor.id.in_(placed)


def debtor_scope(session: Session, p: Principal, at: datetime) -> ColumnElement[bool]:
    return agency_debtors(session, p, at) if p.agency_id is not None else repo.debtor_filter(session, p, at)


# -- masked (or revealed) personal data ----------------------------------------------------------------------
@dataclass(frozen=True)
class Person:
    id: str
    name: str | None
    phone: str | None
    id_number: str | None
    address: str | None
    timezone: str
    status: str
    status_reason: str | None
    revealed: bool = False


def person(row: Debtor, p: Principal, *, reveal: bool = False) -> Person:
    """As `debts.endpoints.debtor_out` shows it: masked for everyone, an agency without ID number or address;
    clear only for an audited reveal."""
    clear = read_personal(row)
    if reveal:
        return Person(row.id, clear["name"], clear["phone"], clear.get("id_number"), clear.get("address"),
                      row.timezone, row.status, row.status_reason, revealed=True)
    agency = p.agency_id is not None
    return Person(row.id, mask_name(clear["name"]), mask_phone(clear["phone"]),
                  None if agency else mask_id_number(clear.get("id_number")),
                  None if agency else mask_address(clear.get("address")),
                  row.timezone, row.status, None if agency else row.status_reason)


def revealed_fields(who: Person) -> list[str]:
    return [f for f in ("name", "phone", "id_number", "address") if getattr(who, f) is not None]


@dataclass(frozen=True)
class ContactView:
    id: str
    relation: str | None
    name: str | None
    phone: str | None
    refused: bool
    refused_at: datetime | None
    offers_to_repay: bool


def contacts(session: Session, debtor_id: str) -> list[ContactView]:
    rows = session.execute(select(Contact).where(Contact.debtor_id == debtor_id).order_by(Contact.id)).scalars()
    out = []
    for c in rows:
        clear = read_personal(c)
        out.append(ContactView(c.id, c.relation, mask_name(clear.get("name")), mask_phone(clear.get("phone")),
                               c.refused, c.refused_at, c.offers_to_repay))
    return out


# -- finding a debtor ----------------------------------------------------------------------------------------
ID_NUMBER = re.compile(r"^(\d{17}[\dXx]|\d{15})$")
PHONE = re.compile(r"^\+?[\d\s\-()]{7,20}$")
IDENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:\-]{0,63}$")


@dataclass(frozen=True)
class Found:
    person: Person
    how: str  # phone | id_number | contact_phone | debtor_id | debt_id
    via: str | None = None  # the contact or debt that led to the debtor


def search(session: Session, p: Principal, at: datetime, text: str) -> tuple[str, list[Found]]:
    """Debtors the viewer may see matching a phone number or ID number typed in full (the keyed-hash lookup, as
    the registry keeps it: nothing is decrypted to search), or a debtor id or debt id. Returns what the text was
    taken for (phone, id_number, ident) and what was found, masked."""
    text = text.strip()
    if not text:
        return "", []
    compact = re.sub(r"\s", "", text)
    hits: list[tuple[Debtor, str, str | None]]
    if ID_NUMBER.match(compact):
        kind, hits = "id_number", [(d, "id_number", None) for d in find_debtors(session, id_number=compact)]
    elif PHONE.match(text) and sum(ch.isdigit() for ch in text) >= 7:
        kind = "phone"
        try:
            normalise(PiiKind.PHONE, text)
        except InvalidInput:
            return kind, []
        hits = [(d, "phone", None) for d in find_debtors(session, phone=text)]
        index = blind_index(keyring_of(session), text, kind=PiiKind.PHONE)
        for c in session.execute(select(Contact).where(Contact.phone_index == index).order_by(Contact.id)).scalars():
            debtor = session.get(Debtor, c.debtor_id)
            if debtor is not None:
                hits.append((debtor, "contact_phone", c.id))
    elif IDENT.match(text):
        kind = "ident"
        hits = []
        debtor = session.get(Debtor, text)
        if debtor is not None:
            hits.append((debtor, "debtor_id", None))
        debt = session.get(Debt, text)
        if debt is not None and _debt_visible(session, p, debt, at):
            owner = session.get(Debtor, debt.debtor_id)
            if owner is not None:
                hits.append((owner, "debt_id", debt.id))
    else:
        return "unknown", []
    found, seen = [], set()
    for debtor, how, via in hits[:50]:
        if (debtor.id, how, via) in seen:
            continue
        seen.add((debtor.id, how, via))
        try:
            visible_debtor(session, p, debtor.id, at)
        except NotFound:
            continue  # another tenant's, or not placed with this agency: as if it did not exist
        found.append(Found(person(debtor, p), how, via))
    return kind, found


def debtors_page(session: Session, p: Principal, at: datetime, *, sort: str, desc: bool, status: str | None,
                 limit: int, offset: int) -> tuple[list[Person], int]:
    """A page of the debtors the viewer may see, masked, and how many there are."""
    stmt = select(Debtor).where(debtor_scope(session, p, at))
    if status:
        stmt = stmt.where(Debtor.status == status)
    total = session.execute(select(func.count()).select_from(stmt.order_by(None).subquery())).scalar_one()
    column = {"id": Debtor.id, "status": Debtor.status, "timezone": Debtor.timezone}[sort]
    order = [column.desc() if desc else column.asc(), Debtor.id.desc() if desc else Debtor.id.asc()]
    rows = session.execute(stmt.order_by(*order).limit(limit).offset(offset)).scalars().all()
    return [person(r, p) for r in rows], total


# -- the timeline ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Cited:
    rule: str
    article: str
    message: str


@dataclass
class Item:
    """One line of the timeline: `kind` is attempt, hold, hold_released, repayment, notice, refused, placement,
    placement_end, status or reveal; `at` aware UTC; what it says in `data`."""

    kind: str
    at: datetime
    key: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DebtView:
    id: str
    product: str
    overdue_amount: Decimal | None
    overdue_since: date | None
    status: str
    repaid_total: Decimal
    holder: str | None
    guaranteed: bool


def debts_view(session: Session, debtor_id: str, debts: Sequence[Debt], at: datetime) -> list[DebtView]:
    return [DebtView(d.id, d.product, d.overdue_amount, d.overdue_since, d.status, d.repaid_total or Decimal(0),
                  repo.holder(session, d, at), d.debtor_id != debtor_id) for d in debts]


def _family_collectors(session: Session, p: Principal) -> Any:
    assert p.agency_id is not None
    return select(m.Collector.id).where(m.Collector.org_id.in_(agencies.family(session, p.agency_id)))


def _attempts_where(session: Session, p: Principal, debtor_id: str) -> list[ColumnElement[bool]]:
    where = [AttemptRow.institution_id == p.institution_id, AttemptRow.debtor_id == debtor_id]
    if p.agency_id is not None:  # its own and its subcontractors' work only, as GET /v1/attempts/{id}
        where.append(AttemptRow.collector_id.in_(_family_collectors(session, p)))
    return where


def _day_start(day: date, zone: str) -> datetime:
    return datetime.combine(day, time.min, ZoneInfo(zone))


def _events(session: Session, p: Principal, debtor: Debtor, debts: Sequence[Debt], at: datetime) -> list[Item]:
    """Everything but attempts: a debtor has few of these (placements, holds, notices, repayments, refusals)."""
    out: list[Item] = []
    debt_ids = [d.id for d in debts]
    zone = debtor.timezone
    placements = select(Placement).where(Placement.debt_id.in_(debt_ids))
    if p.agency_id is not None:  # only its own current placements, as GET /v1/placements answers it
        today = local_date(at, ZoneInfo(zone))
        placements = placements.where(Placement.agency_id == agencies.entrusted(session, p),
                                      Placement.valid_from <= today + timedelta(days=1),
                                      Placement.valid_to >= today - timedelta(days=1))
    for pl in session.execute(placements).scalars():
        info = {"debt": pl.debt_id, "agency": pl.agency_id, "from": pl.valid_from, "to": pl.valid_to}
        out.append(Item("placement", _day_start(pl.valid_from, zone), f"pl{pl.id}", info))
        end = _day_start(pl.valid_to + timedelta(days=1), zone)
        if end <= at:
            out.append(Item("placement_end", end, f"pe{pl.id}", info))
    if p.can(Permission.HOLD_READ):
        holds = select(HoldRow).where(HoldRow.institution_id == p.institution_id,
                                      or_(HoldRow.debtor_id == debtor.id, HoldRow.debt_id.in_(debt_ids)))
        for h in session.execute(holds).scalars():
            info = {"hold": h.id, "debt": h.debt_id, "reason": h.reason, "note": h.note,
                    "released_at": h.released_at, "release_note": h.release_note}
            out.append(Item("hold", h.starts_at, f"h{h.id}", info))
            if h.released_at is not None:
                out.append(Item("hold_released", h.released_at, f"hr{h.id}", info))
    if p.can(Permission.NOTICES_READ):
        notices = select(OutboxRow).where(OutboxRow.institution_id == p.institution_id,
                                          OutboxRow.kind == NoticeKind.STOP_NOTICE, OutboxRow.debt_id.in_(debt_ids))
        if p.agency_id is not None:  # only those sent to its agency, as GET /v1/notices
            notices = notices.where(OutboxRow.agency_id == p.agency_id)
        for n in session.execute(notices).scalars():
            out.append(Item("notice", n.created_at, f"n{n.id}", {
                "notice": n.id, "debt": n.debt_id, "agency": n.agency_id, "reason": n.reason, "status": n.status,
                "delivered_at": n.delivered_at, "acknowledged_at": n.acknowledged_at, "attempts": n.attempts}))
    for c in session.execute(select(Contact).where(Contact.debtor_id == debtor.id, Contact.refused.is_(True),
                                                   Contact.refused_at.is_not(None))).scalars():
        assert c.refused_at is not None
        out.append(Item("refused", c.refused_at, f"r{c.id}", {"contact": c.id, "relation": c.relation}))
    kinds = [Tag.DEBT_REPAYMENT_RECORDED]
    subjects = list(debt_ids)
    if p.agency_id is None:
        kinds.append(Tag.DEBTOR_STATUS_CHANGED)
        subjects.append(debtor.id)
        if p.can(Permission.LEDGER_READ):
            kinds.append(Tag.PII_REVEALED)
    if subjects:
        ledger = select(LedgerRecord.seq, LedgerRecord.kind, LedgerRecord.subject, LedgerRecord.at,
                        LedgerRecord.body).where(LedgerRecord.subject.in_(subjects),
                                                 unindexed(LedgerRecord.kind).in_(kinds),  # the subject's index
                                                 unindexed(LedgerRecord.institution_id) == p.institution_id)
        names = {Tag.DEBT_REPAYMENT_RECORDED: "repayment", Tag.DEBTOR_STATUS_CHANGED: "status",
                 Tag.PII_REVEALED: "reveal"}
        for seq, kind, subject, when, body in session.execute(ledger):
            payload = json.loads(body).get("payload", {})
            if kind == Tag.PII_REVEALED and subject != debtor.id:
                continue
            out.append(Item(names[Tag(kind)], when, f"l{seq}", {"subject": subject, "seq": seq, **payload}))
    _who_revealed(session, [e for e in out if e.kind == "reveal"])
    return out


def _who_revealed(session: Session, reveals: list[Item]) -> None:
    """A console user's reveal names the person (`user:<id>` in the ledger); an API key's stays its key id."""
    ids = {str(e.data.get("key_id", ""))[5:] for e in reveals if str(e.data.get("key_id", "")).startswith("user:")}
    if not ids:
        return
    names = {i: n for i, n in session.execute(select(UserRow.id, UserRow.username).where(UserRow.id.in_(ids)))}
    for e in reveals:
        key = str(e.data.get("key_id", ""))
        e.data["who"] = names.get(key[5:], key) if key.startswith("user:") else key


def _rules(session: Session, institution_id: str) -> Any:
    inst = session.get(m.Institution, institution_id)
    return load_profile(getattr(inst, "profile", None) or DEFAULT_PROFILE)


def _cite(profile: Any, rule_id: str, violations: dict[str, dict[str, Any]], lang: str) -> Cited:
    said = violations.get(rule_id, {})
    try:
        rule = profile.rule(rule_id)
        article, headline = rule.article, (rule.message_en if lang == "en" else rule.message_zh)
    except KeyError:
        article, headline = str(said.get("article", "—")), ""
    message = said.get("message_en" if lang == "en" else "message_zh") or headline
    return Cited(rule_id, article, str(message))


def _attempt_item(row: AttemptRow, profile: Any, lang: str) -> Item:
    decision = row.decision or {}
    violations = {str(v.get("rule")): v for v in decision.get("violations", []) if isinstance(v, dict)}
    request = row.request or {}
    quota = _cite(profile, row.quota_rule, {}, lang) if row.quota_rule else None
    return Item("attempt", row.at, f"a{row.id}", {
        "id": row.id, "debt": row.debt_id, "collector": row.collector_id, "party": row.party_id,
        "party_kind": row.party_kind, "channel": row.channel, "mode": row.mode, "tool": request.get("tool"),
        "template": request.get("template"), "allowed": row.allowed,
        "failing": [_cite(profile, r, violations, lang) for r in row.failing or []],
        "quota": quota, "quotas": decision.get("quotas") or {}, "lease_state": row.lease_state,
        "lease_expires_at": row.lease_expires_at, "connected": row.connected,
        "duration_s": row.duration_s, "meaningful": row.meaningful, "effective": row.effective,
        "outcome_at": row.outcome_at, "ended_at": row.ended_at, "against_deny": row.against_deny,
        "next_allowed_at": decision.get("next_allowed_at"),
    })


@dataclass(frozen=True)
class Timeline:
    items: list[Item]
    total: int
    attempts: int
    denied: int


def timeline(session: Session, p: Principal, debtor: Debtor, debts: Sequence[Debt], at: datetime, *,
             limit: int, offset: int, show: str = "all", lang: str = "zh") -> Timeline:
    """One page of the debtor's timeline, newest first: attempts (with their outcome) merged with the other
    events. Only the first `offset + limit` attempts' keys are read (the index gives them in order), then the
    page's attempts in full."""
    events = [] if show in ("attempts", "denied") else _events(session, p, debtor, debts, at)
    where = _attempts_where(session, p, debtor.id)
    if show == "denied":
        where.append(AttemptRow.allowed.is_(False))
    keys: list[tuple[datetime, str]] = []
    attempts = denied = 0
    if show != "events":
        keys = [(when, ident) for when, ident in session.execute(
            select(AttemptRow.at, AttemptRow.id).where(*where)
            .order_by(AttemptRow.at.desc(), AttemptRow.id.desc()).limit(offset + limit))]
        if show == "all":  # both counts in one pass over the debtor's index range
            attempts, denied = session.execute(select(
                func.count(), func.count().filter(AttemptRow.allowed.is_(False))).where(*where)).one()
        elif len(keys) < offset + limit:
            attempts = len(keys)
        else:
            attempts = session.execute(select(func.count()).select_from(AttemptRow).where(*where)).scalar_one()
    merged = sorted([(when, "a" + ident, None) for when, ident in keys] + [(e.at, e.key, e) for e in events],
                    key=lambda t: (t[0], t[1]), reverse=True)[offset:offset + limit]
    wanted = [k[1:] for _, k, e in merged if e is None]
    rows = {r.id: r for r in session.execute(select(AttemptRow).where(AttemptRow.id.in_(wanted))).scalars()} \
        if wanted else {}
    profile = _rules(session, p.institution_id) if wanted else None
    items = [e if e is not None else _attempt_item(rows[k[1:]], profile, lang) for _, k, e in merged]
    return Timeline(items, attempts + len(events), attempts, denied)
