"""投诉 The complaints pages in headless Chromium: the list with its charts drawn with data, a flagged complaint of
the demo's mass-produced cluster with its signals and timeline, the agency's report, a deadline extended through
the page's form (CSRF and all), and an agency operator who sees its own complaints without signals or forms. No
script error, no failed request, nothing wider than the window. Screenshots: complaints, complaints-detail,
complaints-report (conftest: COLLECTGUARD_SCREENSHOTS)."""

from __future__ import annotations

import pytest

from tests.browser.conftest import Tab
from tests.browser.test_console_browser import _acting_forms, _check_page

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_the_complaints_pages_as_the_compliance_officer(tab: Tab) -> None:
    tab.sign_in("demo-compliance")
    charts = _check_page(tab, "/console/complaints")
    assert {c["id"] for c in charts} == {"complaints-daily", "complaints-causes"}
    assert all(c["nonzero"] > 0 for c in charts), charts
    assert tab.page.locator("tr.complaints-row").count() == 25  # a full first page of the demo's 52
    assert tab.page.locator(".complaints-countdown").count() > 0
    tab.screenshot("complaints")
    # the flagged ones, then one of the mass-produced cluster
    _check_page(tab, "/console/complaints?flagged=yes&q=demo-cmp-m")
    assert tab.page.locator("tr.complaints-row").count() >= 10
    assert tab.page.locator(".complaints-signal").count() >= 10
    first = tab.page.locator("tr.complaints-row a[href^='/console/complaints/demo-cmp-m']").first
    href = str(first.get_attribute("href"))
    _check_page(tab, href)
    signals = tab.page.locator(".complaints-signals")
    assert signals.locator("a[href^='/console/complaints/demo-cmp-m']").count() >= 2  # the complaints sharing it
    assert tab.page.locator("ol.complaints-timeline li").count() >= 2
    assert "10555550188" not in tab.page.content()
    tab.screenshot("complaints-detail")
    # the agency's report, with its chart
    report = _check_page(tab, "/console/complaints/report?agency=qinghe")
    assert [c["id"] for c in report] == ["report-answers"] and report[0]["nonzero"] > 0
    tab.screenshot("complaints-report")
    tab.assert_clean()


def test_a_deadline_extended_through_the_form(tab: Tab) -> None:
    tab.sign_in("demo-compliance")
    tab.goto("/console/complaints?status=open&sort=due&order=desc")
    link = tab.page.locator("tr.complaints-row a[href^='/console/complaints/']").first
    path = str(link.get_attribute("href"))
    tab.goto(path)
    form = tab.page.locator("#form-extend")
    assert form.count() == 1
    day = str(form.locator("input[name=due_date]").get_attribute("min"))
    limit = form.locator("input[name=due_date]").get_attribute("max")
    from datetime import date, timedelta
    new = date.fromisoformat(day) + timedelta(days=1)
    if limit is not None and new > date.fromisoformat(limit):
        pytest.skip("the first open complaint is already extended as far as it may be")
    form.locator("input[name=due_date]").fill(new.isoformat())
    form.locator("input[name=reason]").fill("需调取通话录音核实")
    with tab.page.expect_navigation(wait_until="load"):
        form.locator("button[type=submit]").click()
    assert "done=extend" in tab.page.url
    assert tab.page.locator(".alert.ok").inner_text().strip() == "答复期限已延长"
    assert "需调取通话录音核实" in tab.page.locator("ol.complaints-timeline").inner_text()
    tab.assert_clean()


def test_an_agency_operator_sees_its_own_complaints_only(tab: Tab) -> None:
    tab.sign_in("demo-agency")
    _check_page(tab, "/console/complaints?flagged=yes")
    assert tab.page.locator(".complaints-signal").count() == 0 and not _acting_forms(tab)
    rows = tab.page.locator("tr.complaints-row a[href^='/console/complaints/']")
    assert rows.count() > 0
    _check_page(tab, str(rows.first.get_attribute("href")))
    assert tab.page.locator(".complaints-signals").count() == 0 and not _acting_forms(tab)
    assert "投诉人信息不向合作机构显示" in tab.page.content()
    tab.goto("/console/complaints/report?agency=hengyuan", status=404)
    tab.assert_clean()
