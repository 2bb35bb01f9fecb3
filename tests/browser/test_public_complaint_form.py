"""网上投诉 The public page's complaint form in a real browser (art. 23): no sign-in, no script; the visitor picks
the agency from the list the page shows, says they complain for someone else, and gets the acknowledgement with the
reference and the day of the answer, warned about the authorisation; the lender's compliance officer then finds the
complaint on channel web, masked. Screenshots: public.png, public-complaint.png."""

from __future__ import annotations

import re

from sqlalchemy import select

from collectguard.complaints.models import Complaint
from tests.browser.conftest import Tab


def test_a_visitor_complains_through_the_public_page(tab: Tab) -> None:
    tab.goto("/public/lender/")
    page = tab.page
    assert page.locator("#complain h2").inner_text().startswith("网上投诉")
    assert page.evaluate("() => document.scripts.length") == 0
    options = page.locator("select[name=agency_name] option").all_inner_texts()
    assert options[0] == "—" and len(options) >= 3  # the agencies the page lists today
    tab.screenshot("public")

    agency = options[1]
    page.fill("textarea[name=text]", "我替母亲投诉：催收员晚上十点以后还在打电话，并说要上门。")
    page.fill("input[name=complainant_name]", "测试访客")
    page.fill("input[name=complainant_phone]", "10555550123")
    page.fill("input[name=proxy_name]", "测试访客")
    page.select_option("select[name=agency_name]", agency)
    with page.expect_navigation(wait_until="load"):
        page.click("#complain button[type=submit]")
    ack = page.locator(".public-ack").inner_text()
    reference = re.search(r"cmp_[0-9a-f]{20}", ack)
    assert reference is not None, ack
    assert "您的投诉已登记" in ack and "Your complaint is registered" in ack and "有效授权" in ack
    assert re.search(r"答复期限\s*Answer by\s*\d{4}-\d{2}-\d{2}", ack), ack
    assert "10555550123" not in page.content()
    tab.screenshot("public-complaint")
    tab.assert_clean()

    with tab.served.console.app.state.store.read() as session:  # type: ignore[attr-defined]
        row = session.get(Complaint, reference.group(0))
        assert row is not None and row.channel == "web" and row.proxy_warning
        assert row.agency_id is not None and row.complainant_phone.startswith("cg1.")
        assert session.execute(select(Complaint.id).where(Complaint.channel == "web")).first() is not None
