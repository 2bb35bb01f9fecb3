"""删除记录 The deletion-log page on the demo world: the lender's 5-year policy, the demo's purge (12 former debtors,
approved by demo-compliance), 北辰's pending destruction request with the forms to decide it — per role (an agency
operator sees its own agency's requests and entries only, and cannot ask before its agreement ended), CSRF, a
refusal without a reason re-rendered, an approval that logs the agency's copies and ends its access."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from collectguard.db.store import Store
from collectguard.retention.models import DestructionRequest
from tests.console.conftest import Console


@pytest.fixture(autouse=True)
def _same_clock(request: pytest.FixtureRequest) -> Iterator[None]:
    """The shared world's clock as this module found it: signing in with a one-time code moves it on a step, and
    other modules' pages assert times read off that clock (the incidents' countdowns)."""
    console = request.getfixturevalue("console") if "console" in request.fixturenames else None
    kept = console.clock.now if console is not None else None
    yield
    if console is not None and kept is not None:
        console.clock.now = kept


def _count(html: str, what: str) -> int:
    found = re.search(rf'id="count-{what}">([\d,]+)<', html)
    assert found, what
    return int(found.group(1).replace(",", ""))


def _request_id(url: str) -> str:
    store = Store(url)
    try:
        with store.read() as session:
            return session.execute(select(DestructionRequest.id).where(DestructionRequest.agency_id == "beichen")) \
                .scalar_one()
    finally:
        store.dispose()


def test_the_institution_sees_its_policy_the_log_and_the_pending_request(console: Console) -> None:
    page = console.client("demo-compliance").get("/console/deletions")
    assert page.status_code == 200, page.text
    assert 'id="policy-years">5 年' in page.text and "demo-compliance" in page.text
    assert _count(page.text, "entries") == 12 and _count(page.text, "pending") == 1
    assert page.text.count("lender-former-") >= 12 and "保存期满" in page.text
    assert "北辰商务服务有限公司" in page.text and "/approve" in page.text and "/refuse" in page.text
    assert 'name="csrf_token"' in page.text
    english = console.client("demo-compliance").get("/console/deletions?lang=en")
    assert "Deletion log" in english.text and "retention expired" in english.text
    none = console.client("demo-compliance").get("/console/deletions?kind=agency-copy")
    assert _count(none.text, "entries") == 0 and "暂无删除记录" in none.text
    one = console.client("demo-compliance").get("/console/deletions?subject=lender-former-003")
    assert _count(one.text, "entries") == 1
    auditor = console.client("demo-auditor").get("/console/deletions")
    assert auditor.status_code == 200 and "/approve" not in auditor.text and _count(auditor.text, "pending") == 1


def test_an_agency_operator_sees_its_own_only_and_cannot_ask_before_its_agreement_ends(console: Console) -> None:
    agency = console.client("demo-agency")
    page = agency.get("/console/deletions")
    assert page.status_code == 200
    assert _count(page.text, "entries") == 0 and _count(page.text, "pending") == 0
    assert "北辰" not in page.text and "lender-former-" not in page.text and "/approve" not in page.text
    assert 'id="request-form"' in page.text
    refused = agency.post("/console/deletions/requests", data={"note": "x", "csrf_token": console.csrf(agency)})
    assert refused.status_code == 409 and "尚未终止" in refused.text and 'id="refused"' in refused.text


def test_forms_need_csrf_and_the_right_role_then_an_approval_ends_the_agency_s_access(fresh_console: Console) -> None:
    ident = _request_id(fresh_console.url)
    path = f"/console/deletions/requests/{ident}"
    compliance = fresh_console.client("demo-compliance")
    assert compliance.post(f"{path}/approve", data={"csrf_token": "nope"}).status_code == 403
    auditor = fresh_console.client("demo-auditor")
    assert auditor.post(f"{path}/approve", data={"csrf_token": fresh_console.csrf(auditor)}).status_code == 403
    agency = fresh_console.client("demo-agency")
    assert agency.post(f"{path}/approve", data={"csrf_token": fresh_console.csrf(agency)}).status_code == 403
    bare = compliance.post(f"{path}/refuse", data={"reason": " ", "csrf_token": fresh_console.csrf(compliance)})
    assert bare.status_code == 422 and "拒绝须说明理由" in bare.text
    done = compliance.post(f"{path}/approve", data={"csrf_token": fresh_console.csrf(compliance)},
                           follow_redirects=False)
    assert done.status_code == 303, done.text
    page = compliance.get(done.headers["location"])
    assert "已同意" in page.text and _count(page.text, "pending") == 0 and _count(page.text, "entries") == 13
    assert "合作机构副本" in page.text and "委托协议终止" in page.text
    again = compliance.post(f"{path}/refuse", data={"reason": "迟了", "csrf_token": fresh_console.csrf(compliance)})
    assert again.status_code == 409
    store = Store(fresh_console.url)
    try:
        with store.read() as session:
            row = session.get(DestructionRequest, ident)
            assert row.status == "approved" and row.decided_by == "demo-compliance"
    finally:
        store.dispose()
