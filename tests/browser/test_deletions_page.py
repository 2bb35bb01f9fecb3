"""删除记录 The deletion-log page in a real browser: the lender's policy, the demo purge's entries and 北辰's pending
destruction request; a refusal without a reason is refused on the page; an approval logs the agency's copies and
leaves nothing pending. An agency operator sees its own only. Screenshot: deletions.png."""

from __future__ import annotations

from tests.browser.conftest import Tab


def test_the_log_and_a_destruction_request_decided_on_the_page(tab: Tab) -> None:
    tab.sign_in("demo-compliance")
    tab.goto("/console/deletions")
    assert tab.page.locator("h1").first.inner_text() == "删除记录"
    assert tab.page.locator("#policy-years").inner_text() == "5 年"
    assert tab.page.locator("#count-pending").inner_text() == "1"
    assert tab.page.locator("#log tbody tr").count() == 12
    tab.screenshot("deletions")

    row = tab.page.locator("#requests tbody tr").first
    tab.expect(422)
    with tab.page.expect_navigation(wait_until="load"):
        row.locator("button.refuse").click()
    assert "拒绝须说明理由" in tab.page.locator("#refused").inner_text()

    row = tab.page.locator("#requests tbody tr").first
    with tab.page.expect_navigation(wait_until="load"):
        row.locator("button.approve").click()
    assert "已同意" in tab.page.locator("#notice").inner_text()
    assert tab.page.locator("#count-pending").inner_text() == "0"
    assert "合作机构副本" in tab.page.locator("#log").inner_text()
    tab.assert_clean()


def test_an_agency_operator_sees_its_own_requests_only(tab: Tab) -> None:
    tab.sign_in("demo-agency")
    tab.goto("/console/deletions")
    assert tab.page.locator("#count-entries").inner_text() == "0"
    assert tab.page.locator("#request-form").count() == 1 and tab.page.locator("button.approve").count() == 0
    tab.assert_clean()
