"""Realistic contact attempts against the demo world, lawful ones mixed with ones the gate must deny.

Each attempt is a dict with the fields of `collectguard.gate.schemas.AttemptIn`. `labelled_attempts`
also says what the gate should answer: `"allow"` or the id of a rule that must be among the failing
ones. The labels hold for attempts decided on a weekday afternoon (14:00–17:00 Beijing time) within
30 days after the world's `start`, against a freshly loaded world, in list order, as long as `n` stays
below about a third of the debtors (lawful attempts then never share a debtor, so no daily cap or
letter interval is reached).
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from collectguard.demo.organisations import (
    ENTRUSTED_AGENCIES,
    HENGYUAN,
    LENDER,
    QIMING,
    QINGHE,
    RETIRED_TOOL,
    build_day,
)
from collectguard.demo.templates import ENVELOPE, LETTER, PENDING, template_id
from collectguard.registry.schemas import CollectorIn, ContactIn, DebtIn, World

ALLOW = "allow"
HORIZON_DAYS = 30
LAWFUL_SHARE = 0.6
PARENT = {QIMING: QINGHE}

Attempt = dict[str, Any]
Labelled = tuple[str, Attempt]


@dataclass
class WorldIndex:
    """What the attempt makers need to know about a world, looked up once."""

    start: date
    debts: list[DebtIn]
    debtor_status: dict[str, str]
    debtor_zone: dict[str, str]
    contacts: dict[str, list[ContactIn]]
    holder: dict[str, str]  # debt → agency holding it for the whole horizon
    agreed_windows: set[str]  # debtors with agreed contact windows
    qualified: dict[str, list[str]]  # org → qualified humans
    unqualified: list[str]
    ai_agents: list[str]
    tools: dict[tuple[str, str], list[str]]  # (operator, type) → tool ids
    org_of: dict[str, str]  # collector → organisation
    used: set[str] = field(default_factory=set)  # debtors already taken by a lawful attempt

    @classmethod
    def of(cls, world: World, start: date) -> WorldIndex:
        last = start + timedelta(days=HORIZON_DAYS)
        contacts: dict[str, list[ContactIn]] = defaultdict(list)
        for contact in world.contacts:
            contacts[contact.debtor].append(contact)
        holder = {p.debt: p.agency for p in world.placements if p.from_ <= start and p.to >= last}
        qualified: dict[str, list[str]] = defaultdict(list)
        unqualified: list[str] = []
        ai_agents: list[str] = []
        for c in world.collectors:
            if c.kind == "ai_agent":
                if c.approved and c.status == "active":
                    ai_agents.append(c.id)
            elif _qualified_throughout(c, start, last):
                qualified[c.org].append(c.id)
            else:
                unqualified.append(c.id)
        tools: dict[tuple[str, str], list[str]] = defaultdict(list)
        for t in world.tools:
            if t.id == RETIRED_TOOL or not (t.official or t.filed):
                continue
            operator = t.org if t.filed and t.org else t.institution
            tools[(operator, t.type)].append(t.id)
        return cls(
            start=start,
            debts=list(world.debts),
            debtor_status={d.id: d.status for d in world.debtors},
            debtor_zone={d.id: d.timezone or "Asia/Shanghai" for d in world.debtors},
            contacts=contacts,
            holder=holder,
            agreed_windows={a.debtor for a in world.debtor_agreements if a.windows},
            qualified=qualified,
            unqualified=unqualified,
            ai_agents=ai_agents,
            tools=tools,
            org_of={c.id: c.org for c in world.collectors},
        )

    def plain(self, debtor: str, status: str = "normal") -> bool:
        """A debtor a lawful attempt may target: in that status, no agreed windows, not yet used."""
        return self.debtor_status[debtor] == status and debtor not in self.agreed_windows and debtor not in self.used

    def pick(self, rng: random.Random, accept: Callable[[DebtIn], bool], tries: int = 400) -> DebtIn | None:
        for _ in range(tries):
            debt = rng.choice(self.debts)
            if accept(debt):
                return debt
        candidates = [d for d in self.debts if accept(d)]
        return rng.choice(candidates) if candidates else None

    def tool(self, rng: random.Random, operator: str, kind: str) -> str:
        return rng.choice(self.tools[(operator, kind)])

    def agency_collector(self, rng: random.Random, debt: DebtIn) -> tuple[str, str] | None:
        """A qualified collector of the agency holding the debt (or of its subcontractor) and their org."""
        agency = self.holder.get(debt.id)
        if agency is None:
            return None
        orgs = [agency] + [sub for sub, parent in PARENT.items() if parent == agency]
        org = rng.choice(orgs)
        return rng.choice(self.qualified[org]), org


def _qualified_throughout(c: CollectorIn, first: date, last: date) -> bool:
    return (
        c.status == "active"
        and c.pledge_signed
        and c.pre_job_exam is not None
        and c.pre_job_exam <= first
        and c.last_training is not None
        and (last - c.last_training).days <= 365
    )


def _open(debt: DebtIn) -> bool:
    return debt.status == "open"


def _base(debt: DebtIn, collector: str, party: str, channel: str, mode: str, **extra: Any) -> Attempt:
    return {"collector": collector, "debt": debt.id, "party": party, "channel": channel, "mode": mode, **extra}


# -- lawful attempts ------------------------------------------------------------------------------
def ai_reminder_call(ix: WorldIndex, rng: random.Random) -> Labelled | None:
    debt = ix.pick(rng, lambda d: _open(d) and ix.plain(d.debtor))
    if debt is None:
        return None
    ix.used.add(debt.debtor)
    return ALLOW, _base(debt, rng.choice(ix.ai_agents), debt.debtor, "voice", "notification",
                        tool=ix.tool(rng, LENDER, "phone"), template=template_id("voice", "debtor"))


def guarantor_reminder_call(ix: WorldIndex, rng: random.Random) -> Labelled | None:
    debt = ix.pick(rng, lambda d: _open(d) and bool(d.guarantors) and ix.plain(d.guarantors[0]))
    if debt is None:
        return None
    ix.used.add(debt.guarantors[0])
    return ALLOW, _base(debt, rng.choice(ix.ai_agents), debt.guarantors[0], "voice", "notification",
                        tool=ix.tool(rng, LENDER, "phone"), template=template_id("voice", "debtor"))


def in_house_message(ix: WorldIndex, rng: random.Random) -> Labelled | None:
    debt = ix.pick(rng, lambda d: _open(d) and ix.plain(d.debtor))
    if debt is None:
        return None
    ix.used.add(debt.debtor)
    channel, kind = rng.choice((("sms", "sms"), ("5g_message", "sms"), ("email", "email"), ("im", "im")))
    return ALLOW, _base(debt, rng.choice(ix.qualified[LENDER]), debt.debtor, channel, "notification",
                        tool=ix.tool(rng, LENDER, kind), template=template_id(channel, "debtor"))


def agency_call(ix: WorldIndex, rng: random.Random) -> Labelled | None:
    debt = ix.pick(rng, lambda d: _open(d) and d.id in ix.holder and ix.plain(d.debtor))
    who = ix.agency_collector(rng, debt) if debt is not None else None
    if debt is None or who is None:
        return None
    ix.used.add(debt.debtor)
    collector, org = who
    return ALLOW, _base(debt, collector, debt.debtor, "voice", "interactive",
                        tool=ix.tool(rng, org, "phone"), recording=True)


def agency_sms(ix: WorldIndex, rng: random.Random) -> Labelled | None:
    debt = ix.pick(rng, lambda d: _open(d) and d.id in ix.holder and ix.plain(d.debtor))
    who = ix.agency_collector(rng, debt) if debt is not None else None
    if debt is None or who is None:
        return None
    ix.used.add(debt.debtor)
    collector, org = who
    return ALLOW, _base(debt, collector, debt.debtor, "sms", "notification",
                        tool=ix.tool(rng, org, "sms"), template=template_id("sms", "debtor"))


def demand_letter(ix: WorldIndex, rng: random.Random) -> Labelled | None:
    debt = ix.pick(rng, lambda d: _open(d) and ix.plain(d.debtor))
    if debt is None:
        return None
    ix.used.add(debt.debtor)
    return ALLOW, _base(debt, rng.choice(ix.qualified[LENDER]), debt.debtor, "letter", "notification",
                        tool=ix.tool(rng, LENDER, "letterhead"), template=LETTER, envelope_template=ENVELOPE,
                        delivery="post")


def field_visit(ix: WorldIndex, rng: random.Random) -> Labelled | None:
    debt = ix.pick(rng, lambda d: _open(d) and d.id in ix.holder and ix.holder[d.id] in ENTRUSTED_AGENCIES
                   and ix.plain(d.debtor))
    if debt is None:
        return None
    ix.used.add(debt.debtor)
    lead, mate = rng.sample(ix.qualified[ix.holder[debt.id]], 2)
    return ALLOW, _base(debt, lead, debt.debtor, "visit", "interactive", team=[lead, mate], ids_shown=True,
                        recording=True)


def _contact_of_unreachable(ix: WorldIndex, rng: random.Random, want: Callable[[ContactIn], bool]) -> tuple[DebtIn, ContactIn] | None:
    debt = ix.pick(rng, lambda d: _open(d) and ix.plain(d.debtor, "unreachable")
                   and any(want(k) for k in ix.contacts[d.debtor]))
    if debt is None:
        return None
    ix.used.add(debt.debtor)
    return debt, rng.choice([k for k in ix.contacts[debt.debtor] if want(k)])


def locate_via_contact(ix: WorldIndex, rng: random.Random) -> Labelled | None:
    found = _contact_of_unreachable(ix, rng, lambda k: not k.refused)
    if found is None:
        return None
    debt, contact = found
    if rng.random() < 0.5:
        return ALLOW, _base(debt, rng.choice(ix.qualified[LENDER]), contact.id, "voice", "interactive",
                            tool=ix.tool(rng, LENDER, "phone"), purpose="locate", recording=True)
    return ALLOW, _base(debt, rng.choice(ix.ai_agents), contact.id, "sms", "notification",
                        tool=ix.tool(rng, LENDER, "sms"), template=template_id("sms", "contact"), purpose="relay")


def repayment_info_for_contact(ix: WorldIndex, rng: random.Random) -> Labelled | None:
    found = _contact_of_unreachable(ix, rng, lambda k: k.offers_to_repay and not k.refused)
    if found is None:
        return None
    debt, contact = found
    return ALLOW, _base(debt, rng.choice(ix.qualified[LENDER]), contact.id, "voice", "interactive",
                        tool=ix.tool(rng, LENDER, "phone"), purpose="repayment_info", recording=True)


# -- attempts the gate must deny --------------------------------------------------------------------
def unqualified_collector(ix: WorldIndex, rng: random.Random) -> Labelled | None:
    collector = rng.choice(ix.unqualified)
    org = ix.org_of[collector]
    debt = ix.pick(rng, lambda d: _open(d) and (org == LENDER or ix.holder.get(d.id) == PARENT.get(org, org)))
    if debt is None:
        return None
    return "art6-collector-qualified", _base(debt, collector, debt.debtor, "voice", "interactive",
                                             tool=ix.tool(rng, org, "phone"), recording=True)


def pending_template(ix: WorldIndex, rng: random.Random) -> Labelled | None:
    debt = ix.pick(rng, _open)
    assert debt is not None
    return "art15-template-approved", _base(debt, rng.choice(ix.ai_agents), debt.debtor, "sms", "notification",
                                            tool=ix.tool(rng, LENDER, "sms"), template=PENDING)


def wrong_tool_type(ix: WorldIndex, rng: random.Random) -> Labelled | None:
    debt = ix.pick(rng, _open)
    assert debt is not None
    return "art10-registered-tool", _base(debt, rng.choice(ix.ai_agents), debt.debtor, "voice", "notification",
                                          tool=ix.tool(rng, LENDER, "sms"), template=template_id("voice", "debtor"))


def retired_tool(ix: WorldIndex, rng: random.Random) -> Labelled | None:
    debt = ix.pick(rng, lambda d: _open(d) and ix.holder.get(d.id) == HENGYUAN)
    if debt is None:
        return None
    return "art10-registered-tool", _base(debt, rng.choice(ix.qualified[HENGYUAN]), debt.debtor, "voice",
                                          "interactive", tool=RETIRED_TOOL, recording=True)


def borrowed_agency_tool(ix: WorldIndex, rng: random.Random) -> Labelled | None:
    debt = ix.pick(rng, lambda d: _open(d) and ix.holder.get(d.id) == HENGYUAN)
    if debt is None:
        return None
    return "art10-registered-tool", _base(debt, rng.choice(ix.qualified[HENGYUAN]), debt.debtor, "voice",
                                          "interactive", tool=ix.tool(rng, QINGHE, "phone"), recording=True)


def not_placed_with_agency(ix: WorldIndex, rng: random.Random) -> Labelled | None:
    org = rng.choice((QINGHE, HENGYUAN, QIMING))
    entrusted = PARENT.get(org, org)
    debt = ix.pick(rng, lambda d: _open(d) and d.id in ix.holder and ix.holder[d.id] != entrusted)
    if debt is None:
        return None
    return "art17-single-agency", _base(debt, rng.choice(ix.qualified[org]), debt.debtor, "voice", "interactive",
                                        tool=ix.tool(rng, org, "phone"), recording=True)


def settled_debt(ix: WorldIndex, rng: random.Random) -> Labelled | None:
    debt = ix.pick(rng, lambda d: d.status == "settled")
    if debt is None:
        return None
    return "art11-stop-after-repayment", _base(debt, rng.choice(ix.ai_agents), debt.debtor, "voice", "notification",
                                               tool=ix.tool(rng, LENDER, "phone"), template=template_id("voice", "debtor"))


def unrecorded_call(ix: WorldIndex, rng: random.Random) -> Labelled | None:
    debt = ix.pick(rng, _open)
    assert debt is not None
    return "art16-recording", _base(debt, rng.choice(ix.qualified[LENDER]), debt.debtor, "voice", "interactive",
                                    tool=ix.tool(rng, LENDER, "phone"), recording=False)


def _contact_attempt(ix: WorldIndex, rng: random.Random, debt: DebtIn, contact: ContactIn, **extra: Any) -> Attempt:
    return _base(debt, rng.choice(ix.qualified[LENDER]), contact.id, "voice", "interactive",
                 tool=ix.tool(rng, LENDER, "phone"), recording=True, **extra)


def demand_from_contact(ix: WorldIndex, rng: random.Random) -> Labelled | None:
    debt = ix.pick(rng, lambda d: _open(d) and any(not k.offers_to_repay for k in ix.contacts[d.debtor]))
    if debt is None:
        return None
    contact = rng.choice([k for k in ix.contacts[debt.debtor] if not k.offers_to_repay])
    purpose = rng.choice((None, "repayment_info"))
    return "art7-collection-target", _contact_attempt(ix, rng, debt, contact, purpose=purpose)


def contact_too_early(ix: WorldIndex, rng: random.Random) -> Labelled | None:
    debt = ix.pick(rng, lambda d: _open(d) and ix.debtor_status[d.debtor] == "normal")
    if debt is None:
        return None
    contact = rng.choice(ix.contacts[debt.debtor])
    return "art8-contact-precondition", _contact_attempt(ix, rng, debt, contact, purpose="locate")


def refused_contact(ix: WorldIndex, rng: random.Random) -> Labelled | None:
    debt = ix.pick(rng, lambda d: _open(d) and any(k.refused for k in ix.contacts[d.debtor]))
    if debt is None:
        return None
    contact = next(k for k in ix.contacts[debt.debtor] if k.refused)
    return "art8-contact-refused", _contact_attempt(ix, rng, debt, contact, purpose="locate")


def debt_text_to_contact(ix: WorldIndex, rng: random.Random) -> Labelled | None:
    debt = ix.pick(rng, _open)
    assert debt is not None
    contact = rng.choice(ix.contacts[debt.debtor])
    return "art8-contact-no-disclosure", _base(debt, rng.choice(ix.ai_agents), contact.id, "sms", "notification",
                                               tool=ix.tool(rng, LENDER, "sms"), template=template_id("sms", "debtor"),
                                               purpose="relay")


def faxed_letter(ix: WorldIndex, rng: random.Random) -> Labelled | None:
    debt = ix.pick(rng, _open)
    assert debt is not None
    return "art15-letter-no-fax", _base(debt, rng.choice(ix.qualified[LENDER]), debt.debtor, "letter", "notification",
                                        tool=ix.tool(rng, LENDER, "letterhead"), template=LETTER,
                                        envelope_template=ENVELOPE, delivery="fax")


def unsealed_letter(ix: WorldIndex, rng: random.Random) -> Labelled | None:
    debt = ix.pick(rng, _open)
    assert debt is not None
    return "art15-letter-seal", _base(debt, rng.choice(ix.qualified[LENDER]), debt.debtor, "letter", "notification",
                                      tool=ix.tool(rng, LENDER, "letterhead"), template=ENVELOPE, delivery="post")


def lone_visit(ix: WorldIndex, rng: random.Random) -> Labelled | None:
    debt = ix.pick(rng, lambda d: _open(d) and ix.holder.get(d.id) in ENTRUSTED_AGENCIES)
    if debt is None:
        return None
    return "art16-visit-team", _base(debt, rng.choice(ix.qualified[ix.holder[debt.id]]), debt.debtor, "visit",
                                     "interactive", ids_shown=True, recording=True)


def visit_without_ids(ix: WorldIndex, rng: random.Random) -> Labelled | None:
    debt = ix.pick(rng, lambda d: _open(d) and ix.holder.get(d.id) in ENTRUSTED_AGENCIES)
    if debt is None:
        return None
    lead, mate = rng.sample(ix.qualified[ix.holder[debt.id]], 2)
    return "art16-visit-id", _base(debt, lead, debt.debtor, "visit", "interactive", team=[lead, mate],
                                   ids_shown=False, recording=True)


def outside_agreed_window(ix: WorldIndex, rng: random.Random) -> Labelled | None:
    debt = ix.pick(rng, lambda d: _open(d) and d.debtor in ix.agreed_windows
                   and ix.debtor_zone[d.debtor] == "Asia/Shanghai")
    if debt is None:
        return None
    return "art9-quiet-hours", _base(debt, rng.choice(ix.ai_agents), debt.debtor, "voice", "notification",
                                     tool=ix.tool(rng, LENDER, "phone"), template=template_id("voice", "debtor"))


Maker = Callable[[WorldIndex, random.Random], Labelled | None]
LAWFUL: dict[Maker, int] = {
    ai_reminder_call: 25, agency_call: 25, agency_sms: 8, in_house_message: 12, guarantor_reminder_call: 4,
    demand_letter: 4, field_visit: 4, locate_via_contact: 6, repayment_info_for_contact: 1,
}
UNLAWFUL: dict[Maker, int] = {
    unqualified_collector: 8, pending_template: 6, wrong_tool_type: 5, retired_tool: 4, borrowed_agency_tool: 4,
    not_placed_with_agency: 8, settled_debt: 6, unrecorded_call: 6, demand_from_contact: 6, contact_too_early: 8,
    refused_contact: 5, debt_text_to_contact: 6, faxed_letter: 3, unsealed_letter: 3, lone_visit: 3,
    visit_without_ids: 3, outside_agreed_window: 6,
}


def labelled_attempts(world: World, n: int, seed: int = 0, *, start: date | None = None) -> list[Labelled]:
    """`n` attempts with what the gate should answer: `"allow"` or a rule id among the failing ones.
    `start`: the day the world was built for (default: today, as `build_demo_world`'s)."""
    rng = random.Random(f"collectguard-demo:{seed}:attempts")
    ix = WorldIndex.of(world, start or build_day())
    out: list[Labelled] = []
    while len(out) < n:
        pool = LAWFUL if rng.random() < LAWFUL_SHARE else UNLAWFUL
        maker = rng.choices(list(pool), weights=list(pool.values()))[0]
        made = maker(ix, rng) or ai_reminder_call(ix, rng) or pending_template(ix, rng)
        assert made is not None
        label, attempt = made
        out.append((label, {"id": f"demo-{seed}-{len(out) + 1:06d}", **attempt}))
    return out


def sample_attempts(world: World, n: int, seed: int = 0, *, start: date | None = None) -> list[Attempt]:
    """`n` realistic attempt dicts (AttemptIn fields), about 60% lawful and 40% for the gate to deny."""
    return [attempt for _, attempt in labelled_attempts(world, n, seed, start=start)]
