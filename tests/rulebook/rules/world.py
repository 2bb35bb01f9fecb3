"""A small world for the per-rule tests: one attempt that every rule allows, and helpers to change it.

`call()` is an in-house, qualified human collector of `bank` phoning debtor d1 about loan1 at 10:00 in
Shanghai on a Wednesday, with an official phone and an approved debtor template. `via_agency()` moves the
collector to agency agA, listed and under an agreement, with loan1 placed with it. Each test changes only
what its case is about, so a failing rule names its own problem and nothing else.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

from collectguard.rulebook import Decision, evaluate, load_profile
from collectguard.rulebook import facts as f
from collectguard.rulebook.policy import resolve_limits
from collectguard.rulebook.rules import Context, Fail
from collectguard.rulebook.vocabulary import (
    Audience,
    Channel,
    CollectorKind,
    DebtorStatus,
    ListingStatus,
    Mode,
    PartyKind,
    Purpose,
    ToolType,
)

PROFILE = load_profile()
AT = datetime(2026, 5, 20, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, a Wednesday
TRAINED = date(2026, 1, 5)


def call(**attempt: Any) -> f.Facts:
    """The baseline: allowed by every rule. `attempt` changes attempt fields."""
    return f.Facts(
        at=AT,
        attempt=replace(
            f.Attempt("a1", "c1", "loan1", "d1", Channel.VOICE, Mode.NOTIFICATION, tool_id="tel", template_id="tpl"),
            **attempt,
        ),
        institution_id="bank",
        limits=resolve_limits(PROFILE),
        collector=f.Collector("c1", CollectorKind.HUMAN, "bank", pre_job_exam=TRAINED, pledge_signed=True,
                              last_training=TRAINED),
        tool=f.Tool("tel", "bank", ToolType.PHONE, official=True),
        template=f.Template("tpl", "bank", Audience.DEBTOR, Channel.VOICE, True, "请按时还款"),
        debt=f.Debt("loan1", "bank", "d1", "card"),
        party=f.Party("d1", PartyKind.DEBTOR, "d1", "Asia/Shanghai"),
    )


def via_agency(x: f.Facts, **agency: Any) -> f.Facts:
    """The same attempt by collector c1 of agency agA (listed, under an agreement, holding the placement)."""
    assert x.collector is not None
    return replace(
        x,
        collector=replace(x.collector, org_id="agA"),
        agency=replace(f.Agency("agA", None, ListingStatus.ACTIVE), **agency),
        agreements=(f.Agreement("ag1", "agA", date(2026, 1, 1), date(2026, 12, 31)),),
        placements=(f.Placement("loan1", "agA", date(2026, 5, 1), date(2026, 6, 30)),),
    )


def via_subcontractor(x: f.Facts, **sub: Any) -> f.Facts:
    """The attempt by collector c1 of subB, an approved subcontractor of agA whose agreement allows it."""
    x = via_agency(x)
    assert x.collector is not None
    return replace(
        x,
        collector=replace(x.collector, org_id="subB"),
        agency=replace(f.Agency("subB", "agA", None, approved_as_subcontractor=True), **sub),
        parent_agency=f.Agency("agA", None, ListingStatus.ACTIVE),
        root_agency=f.Agency("agA", None, ListingStatus.ACTIVE),
        agreements=(f.Agreement("ag1", "agA", date(2026, 1, 1), date(2026, 12, 31), subcontracting=True),),
    )


def to_contact(x: f.Facts, *, purpose: Purpose = Purpose.RELAY, **party: Any) -> f.Facts:
    """The attempt to contact k1 of debtor d1 (who is unreachable, so contacts may be approached)."""
    return replace(
        x,
        attempt=replace(x.attempt, party_id="k1", purpose=purpose),
        party=replace(f.Party("k1", PartyKind.CONTACT, "d1", "Asia/Shanghai",
                              debtor_status=DebtorStatus.UNREACHABLE), **party),
        template=f.Template("tpl", "bank", Audience.CONTACT, Channel.VOICE, True, "请转告机主回电"),
    )


def judge(x: f.Facts) -> Decision:
    return evaluate(x, PROFILE)


def reasons(x: f.Facts, rule: str) -> tuple[str, str]:
    """The one failing rule's message (zh, en); the decision must fail that rule and no other."""
    decision = judge(x)
    assert decision.failing_rules == (rule,), (decision.violations, decision.errors)
    (v,) = decision.violations
    return v.message_zh, v.message_en


def message(x: f.Facts, rule: str) -> tuple[str, str]:
    """The message (zh, en) of one failing rule, whatever else fails."""
    decision = judge(x)
    found = [v for v in decision.violations if v.rule == rule]
    assert found, (rule, decision.violations, decision.errors)
    return found[0].message_zh, found[0].message_en


def check(rule_id: str, x: f.Facts) -> Fail | None:
    """Run one rule's own check alone, as the profile assembled it."""
    return PROFILE.rule(rule_id).check(Context(x, PROFILE))
