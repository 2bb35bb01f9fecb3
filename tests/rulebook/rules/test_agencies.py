"""art17-agency-listed, art17-agreement-active, art17-single-agency, art17-subcontracting (rules/agencies.py).

Every problem is named at once (issue 10, fix 7): a subcontractor whose parent and itself are both off the
list, or that fails all three subcontracting conditions, hears of each in one decision.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from collectguard.rulebook import facts as f
from collectguard.rulebook.vocabulary import ListingStatus
from tests.rulebook.rules.world import call, judge, message, reasons, via_agency, via_subcontractor

LISTED = "art17-agency-listed"
AGREEMENT = "art17-agreement-active"
SINGLE = "art17-single-agency"
SUB = "art17-subcontracting"


def test_an_in_house_collector_skips_every_agency_rule() -> None:
    assert judge(replace(call(), placements=(f.Placement("loan1", "agX", date(2026, 5, 1), date(2026, 6, 30)),))).allowed


def test_a_collector_of_another_institution_fails_only_agency_listed() -> None:
    x = call()
    assert x.collector is not None
    zh, en = reasons(replace(x, collector=replace(x.collector, org_id="bank2")), LISTED)
    assert "bank2 is neither the institution nor an agency on its list" in en and "bank2 既不是本机构" in zh


def test_an_agency_off_the_list_is_named_with_its_status() -> None:
    for status in (None, ListingStatus.SUSPENDED, ListingStatus.TERMINATED, ListingStatus.RECTIFICATION_STOP):
        zh, en = reasons(via_agency(call(), listing=status), LISTED)
        shown = status.value if status else "未入名单 / not listed"
        assert f"agA name-list status: {shown}" in en and f"agA 名单状态：{shown}" in zh


def test_a_suspended_subcontractor_under_a_terminated_parent_names_both() -> None:
    x = via_subcontractor(call(), listing=ListingStatus.SUSPENDED)
    x = replace(x, root_agency=f.Agency("agA", None, ListingStatus.TERMINATED),
                parent_agency=f.Agency("agA", None, ListingStatus.TERMINATED))
    zh, en = reasons(x, LISTED)
    assert "agA name-list status: terminated" in en and "subB name-list status: suspended" in en
    assert "agA 名单状态：terminated" in zh and "subB 名单状态：suspended" in zh


def test_an_agreement_must_cover_the_day_inclusive() -> None:
    for valid_to, allowed in ((date(2026, 5, 20), True), (date(2026, 5, 19), False)):
        x = replace(via_agency(call()), agreements=(f.Agreement("ag1", "agA", date(2026, 1, 1), valid_to),))
        assert judge(x).allowed is allowed
    zh, en = reasons(replace(via_agency(call()), agreements=()), AGREEMENT)
    assert "agA has no agreement in force on 2026-05-20" in en and "无有效委托协议" in zh


def test_the_debt_must_be_placed_with_the_agency_now() -> None:
    x = replace(via_agency(call()), placements=(f.Placement("loan1", "agB", date(2026, 5, 1), date(2026, 6, 30)),))
    zh, en = reasons(x, SINGLE)
    assert "the debt is placed with agB, not agA" in en and "委托给：agB" in zh
    _, en = reasons(replace(via_agency(call()), placements=()), SINGLE)
    assert "placed with 无 / none, not agA" in en


def test_an_approved_subcontractor_under_an_agreement_allowing_it_may_collect() -> None:
    assert judge(via_subcontractor(call())).allowed


def test_a_subcontractor_failing_every_condition_hears_of_each() -> None:
    x = via_subcontractor(call(), approved_as_subcontractor=False)
    x = replace(x, parent_agency=f.Agency("subA", "agA", None),
                agreements=(f.Agreement("ag1", "agA", date(2026, 1, 1), date(2026, 12, 31)),))
    zh, en = message(x, SUB)
    assert "subB is a subcontractor of a subcontractor" in en
    assert "subB was not approved in advance as a subcontractor" in en
    assert "agA's agreement does not allow subcontracting" in en
    assert "再转委托" in zh and "未经机构事先同意" in zh and "不允许转委托" in zh


def test_a_subcontractor_without_any_agreement_in_force_fails_only_agreement_active() -> None:
    assert judge(replace(via_subcontractor(call()), agreements=())).failing_rules == (AGREEMENT,)
