"""The demo's debtors, their contacts, debts, placements with agencies and debtor agreements.

One debt per debtor; about 10% of debts have a guarantor (another debtor); about 70% are placed with one
of the two entrusted agencies (some after an earlier, finished placement with the other one, never
overlapping); a few percent of debtors agreed contact windows or a different daily voice cap.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from collectguard.demo.identities import (
    UniqueDraw,
    synthetic_address,
    synthetic_id_number,
    synthetic_name,
    synthetic_phone,
    synthetic_uyghur_name,
)
from collectguard.demo.organisations import ENTRUSTED_AGENCIES, LENDER, agreement_period

SHANGHAI = "Asia/Shanghai"
URUMQI = "Asia/Urumqi"
URUMQI_SHARE = 0.06
DECEASED_SHARE = 0.003
MARKED_UNREACHABLE_SHARE = 0.02  # a supervisor marked them unreachable (art. 8(二)), contacts may be asked
GUARANTEED_SHARE = 0.10
SETTLED_SHARE = 0.02
PLACED_SHARE = 0.70
EARLIER_PLACEMENT_SHARE = 0.15
AGREEMENT_SHARE = 0.03
REFUSED_SHARE = 0.03
OFFERS_TO_REPAY_SHARE = 0.02

# product → (median overdue amount in yuan, share of debts)
PRODUCTS = {"现金贷": (6_000, 0.5), "信用卡": (12_000, 0.25), "消费分期": (3_500, 0.25)}
RELATIONS = {"配偶": 20, "父母": 25, "子女": 8, "兄弟姐妹": 12, "同事": 15, "朋友": 15, "同学": 5}
FAMILY = frozenset({"配偶", "父母", "子女", "兄弟姐妹"})
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]
WEEKEND = ["sat", "sun"]
AGREEMENT_KINDS: tuple[dict[str, Any], ...] = (
    {"windows": [{"from": "18:30", "to": "21:30", "days": WEEKDAYS}]},  # weekday evenings only
    {"windows": [{"from": "18:30", "to": "21:30", "days": WEEKDAYS}, {"from": "10:00", "to": "17:00", "days": WEEKEND}]},
    {"windows": [{"from": "12:00", "to": "13:30"}, {"from": "19:00", "to": "21:00"}]},  # lunch break and evening
    {"voice_cap": 1, "effective_call_cap": 1},  # lowered: at most one call a day
    {"voice_cap": 5},  # raised: the debtor asked for more reminders
)


@dataclass
class Population:
    debtors: list[dict[str, Any]] = field(default_factory=list)
    contacts: list[dict[str, Any]] = field(default_factory=list)
    debts: list[dict[str, Any]] = field(default_factory=list)
    placements: list[dict[str, Any]] = field(default_factory=list)
    debtor_agreements: list[dict[str, Any]] = field(default_factory=list)


def _debtor(rng: random.Random, ident: str, phones: UniqueDraw, ids: UniqueDraw) -> dict[str, Any]:
    zone = URUMQI if rng.random() < URUMQI_SHARE else SHANGHAI
    name = synthetic_uyghur_name(rng) if zone == URUMQI and rng.random() < 0.5 else synthetic_name(rng)
    roll = rng.random()
    status = "deceased" if roll < DECEASED_SHARE else "unreachable" if roll < DECEASED_SHARE + MARKED_UNREACHABLE_SHARE else "normal"
    return {"id": ident, "name": name, "phone": phones(synthetic_phone, rng), "id_number": ids(synthetic_id_number, rng),
            "address": synthetic_address(rng), "timezone": zone, "status": status}


def _contacts(rng: random.Random, debtor: str, phones: UniqueDraw) -> list[dict[str, Any]]:
    count = rng.choices((1, 2, 3), weights=(40, 40, 20))[0]
    relations = rng.choices(list(RELATIONS), weights=list(RELATIONS.values()), k=count)
    rows = []
    for n, relation in enumerate(relations, 1):
        row: dict[str, Any] = {"id": f"{debtor}-k{n}", "debtor": debtor, "relation": relation,
                               "name": synthetic_name(rng), "phone": phones(synthetic_phone, rng)}
        roll = rng.random()
        if roll < REFUSED_SHARE:
            row["refused"] = True
        elif relation in FAMILY and roll < REFUSED_SHARE + OFFERS_TO_REPAY_SHARE * 2:
            row["offers_to_repay"] = True
        rows.append(row)
    return rows


def _amount(rng: random.Random, median: int) -> Decimal:
    value = min(max(rng.lognormvariate(0, 0.8) * median, 200), 300_000)
    return Decimal(f"{value:.2f}")


def _overdue_days(rng: random.Random) -> int:
    bucket = rng.random()
    if bucket < 0.55:
        return rng.randint(1, 30)  # M1
    if bucket < 0.85:
        return rng.randint(31, 90)  # M2–M3
    return rng.randint(91, 720)  # M4+


def _debt(rng: random.Random, ident: str, debtor: str, start: date) -> dict[str, Any]:
    product = rng.choices(list(PRODUCTS), weights=[w for _, w in PRODUCTS.values()])[0]
    return {
        "id": ident,
        "institution": LENDER,
        "debtor": debtor,
        "product": product,
        "overdue_amount": _amount(rng, PRODUCTS[product][0]),
        "overdue_since": start - timedelta(days=_overdue_days(rng)),
        "status": "settled" if rng.random() < SETTLED_SHARE else "open",
    }


def _placements(rng: random.Random, debt: str, start: date) -> list[dict[str, Any]]:
    """The current placement (covering at least 30 days after `start`) and maybe an earlier one with the
    other agency; both inside the year's agreements, never overlapping."""
    first, last = agreement_period(start)
    agency = rng.choices(ENTRUSTED_AGENCIES, weights=(55, 45))[0]
    begin = max(first, start - timedelta(days=rng.randint(0, 60)))
    end = min(last, begin + timedelta(days=rng.choice((90, 120, 180))))
    rows = [{"debt": debt, "agency": agency, "from": begin, "to": end}]
    if rng.random() < EARLIER_PLACEMENT_SHARE:
        other = next(a for a in ENTRUSTED_AGENCIES if a != agency)
        earlier_end = begin - timedelta(days=rng.randint(1, 10))
        earlier_begin = max(first, earlier_end - timedelta(days=rng.randint(30, 90)))
        if earlier_begin <= earlier_end:
            rows.insert(0, {"debt": debt, "agency": other, "from": earlier_begin, "to": earlier_end})
    return rows


def population(rng: random.Random, count: int, start: date) -> Population:
    width = max(5, len(str(count)))
    ids = [f"d{n:0{width}d}" for n in range(1, count + 1)]
    phones, id_numbers = UniqueDraw(), UniqueDraw()
    world = Population()
    for n, debtor in enumerate(ids, 1):
        world.debtors.append(_debtor(rng, debtor, phones, id_numbers))
        world.contacts += _contacts(rng, debtor, phones)
        debt = _debt(rng, f"debt-{n:0{width}d}", debtor, start)
        if count > 1 and rng.random() < GUARANTEED_SHARE:
            debt["guarantors"] = [rng.choice([d for d in rng.sample(ids, 2) if d != debtor])]
        world.debts.append(debt)
        if rng.random() < PLACED_SHARE:
            world.placements += _placements(rng, debt["id"], start)
        if rng.random() < AGREEMENT_SHARE:
            world.debtor_agreements.append({"debtor": debtor, "institution": LENDER, **rng.choice(AGREEMENT_KINDS)})
    return world
