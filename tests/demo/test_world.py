"""The demo world has the shape the brief asks for, and is synthetic and deterministic."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date
from decimal import Decimal

import phonenumbers

from collectguard.demo.organisations import LENDER, LENDER_NAME, LENDER_SHORT
from collectguard.demo.templates import ENVELOPE, FLAWED, LETTER, NOTIFICATION_CHANNELS, PENDING, template_id
from collectguard.demo.world import build_demo_world, counts_of
from collectguard.privacy.synthetic import id_checksum_ok
from collectguard.qa.templates import lint_template
from collectguard.registry.schemas import World
from collectguard.rulebook.profile import DEFAULT_PROFILE, load_profile
from collectguard.rulebook.vocabulary import ToolType

from .conftest import DAY, MEDIUM

DEBT_FIELDS = load_profile(DEFAULT_PROFILE).debt_fields


def _has_debt_field(text: str) -> bool:
    return any("{" + name + "}" in text for name in DEBT_FIELDS)


def test_world_validates_and_round_trips(medium_world: World) -> None:
    again = World.model_validate(medium_world.model_dump(by_alias=True))
    assert again == medium_world


def test_organisations(medium_world: World) -> None:
    w = medium_world
    assert [(i.id, i.name) for i in w.institutions] == [(LENDER, LENDER_NAME)]
    assert len(w.agencies) == 3
    subs = [a for a in w.agencies if a.parent]
    assert len(subs) == 1 and subs[0].approved_by == [LENDER] and not subs[0].listed_by
    entrusted = {a.id for a in w.agencies if a.listed_by == [LENDER]}
    assert len(entrusted) == 2 and subs[0].parent in entrusted
    assert all(a.name for a in w.agencies)
    by_agency = {a.agency: a for a in w.agreements}
    assert set(by_agency) == entrusted
    assert by_agency[subs[0].parent].subcontracting
    assert all(a.from_ <= date(2026, 1, 1) and a.to >= date(2026, 12, 31) for a in w.agreements)


def test_collectors(medium_world: World) -> None:
    w = medium_world
    assert len(w.collectors) == 50
    kinds = Counter(c.kind for c in w.collectors)
    assert kinds["ai_agent"] == 10 and kinds["human"] == 40
    assert all(c.org == LENDER and c.approved for c in w.collectors if c.kind == "ai_agent")
    orgs = Counter(c.org for c in w.collectors if c.kind == "human")
    assert set(orgs) == {LENDER} | {a.id for a in w.agencies}
    start = DAY
    unfit = [c for c in w.collectors if c.kind == "human"
             and (not c.pledge_signed or c.last_training is None or (start - c.last_training).days > 365)]
    assert 2 <= len(unfit) <= 6
    assert all(c.pre_job_exam and c.last_training and c.pre_job_exam <= c.last_training
               for c in w.collectors if c.kind == "human")


def test_tools_cover_every_type(medium_world: World) -> None:
    w = medium_world
    agencies = {a.id for a in w.agencies}
    assert {t.type for t in w.tools if t.official} == set(ToolType)
    assert {t.type for t in w.tools if t.filed} == set(ToolType)
    assert all(t.org in agencies for t in w.tools if t.filed)
    assert all(t.institution == LENDER for t in w.tools)


def test_templates(medium_world: World) -> None:
    by_id = {t.id: t for t in medium_world.templates}
    for channel in NOTIFICATION_CHANNELS:
        for audience in ("debtor", "contact"):
            t = by_id[template_id(channel, audience)]
            assert t.approved and t.audience == audience and t.channel == channel
            assert LENDER_SHORT in t.text
    assert not any(_has_debt_field(t.text) for t in medium_world.templates if t.audience == "contact")
    assert _has_debt_field(by_id[template_id("sms", "debtor")].text)
    assert by_id[LETTER].sealed and by_id[LETTER].approved and by_id[LETTER].channel == "letter"
    assert not _has_debt_field(by_id[ENVELOPE].text)
    assert {t.id for t in medium_world.templates if not t.approved} == {PENDING, FLAWED}
    assert not lint_template(by_id[PENDING].text, "debtor", "sms")  # a clean draft, ready to approve
    assert [f.rule for f in lint_template(by_id[FLAWED].text, "debtor", "sms")] == ["art7-collection-target"]


def test_debtors_are_synthetic(medium_world: World) -> None:
    phones = [d.phone for d in medium_world.debtors] + [k.phone for k in medium_world.contacts]
    assert all(phones) and len(set(phones)) == len(phones)
    for phone in phones:
        assert phone is not None
        assert not phonenumbers.is_valid_number(phonenumbers.parse(phone, "CN")), phone
    for d in medium_world.debtors:
        assert d.id_number is not None and d.id_number.startswith("99") and id_checksum_ok(d.id_number)
        assert d.name and d.address


def test_population_proportions(medium_world: World) -> None:
    w = medium_world
    assert len(w.debtors) == len(w.debts) == MEDIUM
    zones = Counter(d.timezone for d in w.debtors)
    assert set(zones) == {"Asia/Shanghai", "Asia/Urumqi"} and zones["Asia/Shanghai"] > 0.85 * MEDIUM
    per_debtor = Counter(k.debtor for k in w.contacts)
    assert set(per_debtor) == {d.id for d in w.debtors}
    assert set(per_debtor.values()) == {1, 2, 3}
    assert any(k.refused for k in w.contacts) and any(k.offers_to_repay for k in w.contacts)
    assert {"配偶", "父母", "同事", "朋友"} <= {k.relation for k in w.contacts}
    guaranteed = [d for d in w.debts if d.guarantors]
    assert 0.07 < len(guaranteed) / MEDIUM < 0.13
    assert all(g != d.debtor for d in guaranteed for g in d.guarantors)
    assert {d.product for d in w.debts} == {"现金贷", "信用卡", "消费分期"}
    assert all(d.overdue_amount is not None and d.overdue_amount == d.overdue_amount.quantize(Decimal("0.01"))
               and d.overdue_amount > 0 for d in w.debts)
    assert all(d.overdue_since is not None and d.overdue_since < date(2026, 5, 1) for d in w.debts)
    assert 0.01 < len(w.debtor_agreements) / MEDIUM < 0.06
    assert any(a.windows for a in w.debtor_agreements)
    assert {a.voice_cap for a in w.debtor_agreements if a.voice_cap is not None} >= {1, 5}


def test_placements_within_agreements_and_never_overlapping(medium_world: World) -> None:
    w = medium_world
    agreements = {a.agency: a for a in w.agreements}
    placed = {p.debt for p in w.placements}
    assert 0.65 < len(placed) / MEDIUM < 0.75
    by_debt = defaultdict(list)
    for p in w.placements:
        agreement = agreements[p.agency]  # only the two entrusted agencies hold debts
        assert agreement.from_ <= p.from_ <= p.to <= agreement.to
        by_debt[p.debt].append(p)
    for periods in by_debt.values():
        periods.sort(key=lambda p: p.from_)
        for earlier, later in zip(periods, periods[1:], strict=False):
            assert earlier.to < later.from_
    assert any(len(periods) > 1 for periods in by_debt.values())


def test_same_seed_same_world_other_seed_other_world() -> None:
    one = build_demo_world(seed=11, debtors=200, start=DAY)
    assert one == build_demo_world(seed=11, debtors=200, start=DAY)
    assert one.debtors != build_demo_world(seed=12, debtors=200, start=DAY).debtors


def test_counts_of(medium_world: World) -> None:
    counts = counts_of(medium_world)
    assert counts["debtors"] == MEDIUM and counts["ai_agents"] == 10 and counts["subcontractors"] == 1
