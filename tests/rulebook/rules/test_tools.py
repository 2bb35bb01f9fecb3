"""art10-registered-tool and art10-tool-scope (rules/tools.py). Every problem of a tool is named at once
(issue 10, fix 7): a caller fixing one problem at a time learnt of the next only on its next attempt."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from collectguard.rulebook import facts as f
from collectguard.rulebook.vocabulary import Channel, Mode, ToolType
from tests.rulebook.rules.world import call, judge, reasons, via_agency, via_subcontractor

REGISTERED = "art10-registered-tool"
SCOPE = "art10-tool-scope"


def with_tool(x: f.Facts, **changes: object) -> f.Facts:
    assert x.tool is not None
    return replace(x, tool=replace(x.tool, **changes))


def test_a_visit_needs_no_tool() -> None:
    x = call(channel=Channel.VISIT, mode=Mode.INTERACTIVE, tool_id=None, template_id=None, recording=True,
             team=("c2",), ids_shown=True)
    assert x.collector is not None
    assert judge(replace(x, tool=None, team={"c2": replace(x.collector, id="c2")})).allowed


def test_no_tool_named() -> None:
    assert reasons(replace(call(tool_id=None), tool=None), REGISTERED)[1].endswith("no collection tool named")


def test_an_unknown_tool_is_not_registered() -> None:
    zh, en = reasons(replace(call(tool_id="ghost"), tool=None), REGISTERED)
    assert "ghost 未登记" in zh and "tool ghost is not registered" in en


def test_every_problem_of_a_tool_is_named_at_once() -> None:
    x = with_tool(call(), official=False, filed=False, active_to=date(2026, 5, 19), type=ToolType.EMAIL)
    zh, en = reasons(x, REGISTERED)
    assert "neither official nor filed" in en
    assert "was retired on 2026-05-19" in en
    assert "channel voice needs a phone tool; tel is a email" in en
    assert "既非官方工具也未备案" in zh and "已于 2026-05-19 停用" in zh and "须使用 phone 类工具" in zh
    assert zh.count("；") == 2


def test_a_tool_not_yet_active_and_filed_by_another_agency_names_both() -> None:
    x = with_tool(via_agency(call()), official=False, filed=True, org_id="agB", active_from=date(2026, 5, 21))
    zh, en = reasons(x, REGISTERED)
    assert "active only from 2026-05-21" in en and "filed by agB, not for use by agA" in en
    assert "自 2026-05-21 起才启用" in zh and "由 agB 备案" in zh


@pytest.mark.parametrize(("active_from", "active_to", "allowed"), [
    (date(2026, 5, 20), None, True), (None, date(2026, 5, 20), True),
    (date(2026, 5, 21), None, False), (None, date(2026, 5, 19), False),
])
def test_active_dates_are_inclusive(active_from: date | None, active_to: date | None, allowed: bool) -> None:
    assert judge(with_tool(call(), active_from=active_from, active_to=active_to)).allowed is allowed


def test_a_tool_filed_by_an_agency_serves_its_collectors_and_its_subcontractors() -> None:
    assert judge(with_tool(via_agency(call()), official=False, filed=True, org_id="agA")).allowed
    assert judge(with_tool(via_subcontractor(call()), official=False, filed=True, org_id="agA")).allowed


@pytest.mark.parametrize(("channel", "tool_type"), [(Channel.SMS, ToolType.SMS), (Channel.FIVE_G, ToolType.SMS),
                                                     (Channel.EMAIL, ToolType.EMAIL), (Channel.IM, ToolType.IM)])
def test_each_channel_takes_its_tool_type(channel: Channel, tool_type: ToolType) -> None:
    x = call(channel=channel)
    assert x.template is not None
    x = replace(x, template=replace(x.template, channel=channel))
    assert judge(with_tool(x, type=tool_type)).allowed
    assert REGISTERED in judge(with_tool(x, type=ToolType.LETTERHEAD)).failing_rules


def test_another_institutions_tool_fails_only_tool_scope_and_says_nothing_about_the_tool() -> None:
    x = with_tool(call(), institution_id="other", official=False, filed=False, type=ToolType.EMAIL,
                  active_to=date(2020, 1, 1))
    zh, en = reasons(x, SCOPE)
    assert "not this institution's" in en and "不属于本机构" in zh
    assert "retired" not in en and "email" not in en
