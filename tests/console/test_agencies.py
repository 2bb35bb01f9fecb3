"""机构 pages per role: the name list and an agency's page, who sees what, and the oversight actions — with CSRF,
confirmation forms, refusals shown with their rule ids and articles, and every change in the ledger."""

from __future__ import annotations

from sqlalchemy import select

from collectguard.db.store import Store
from collectguard.ledger.models import LedgerRecord
from collectguard.registry import models as m
from tests.console.conftest import Console


def _listing(url: str, agency: str) -> str | None:
    store = Store(url)
    try:
        with store.read() as session:
            row = session.get(m.AgencyListing, ("lender", agency))
            return row.status if row is not None else None
    finally:
        store.dispose()


def _kinds(url: str, subject: str) -> list[str]:
    store = Store(url)
    try:
        with store.read() as session:
            return list(session.execute(select(LedgerRecord.kind).where(LedgerRecord.subject == subject)
                                        .order_by(LedgerRecord.seq)).scalars())
    finally:
        store.dispose()


# -- reading ---------------------------------------------------------------------------------------------------
def test_compliance_sees_the_three_demo_agencies(console: Console) -> None:
    page = console.client("demo-compliance").get("/console/agencies")
    assert page.status_code == 200, page.text
    for agency in ("qinghe", "hengyuan", "qiming"):
        assert f'href="/console/agencies/{agency}"' in page.text
    assert "已列入" in page.text and "转委托机构" in page.text  # qinghe/hengyuan listed, qiming a subcontractor
    assert "script-src 'self'" in page.headers["content-security-policy"]


def test_the_list_filters_searches_and_sorts_on_the_server(console: Console) -> None:
    client = console.client("demo-compliance")
    listed = client.get("/console/agencies", params={"status": "subcontractor"})
    assert "/console/agencies/qiming" in listed.text and "/console/agencies/qinghe" not in listed.text
    found = client.get("/console/agencies", params={"q": "衡远"})
    assert "/console/agencies/hengyuan" in found.text and "/console/agencies/qinghe" not in found.text
    for key in ("name", "status", "agreement", "evaluated", "inspected", "orders", "attempts", "denial_rate"):
        for order in ("asc", "desc"):
            answer = client.get("/console/agencies", params={"sort": key, "order": order})
            assert answer.status_code == 200 and "/console/agencies/hengyuan" in answer.text, (key, order)
    ascending = client.get("/console/agencies", params={"sort": "name", "order": "asc"}).text
    descending = client.get("/console/agencies", params={"sort": "name", "order": "desc"}).text
    first = sorted(("qinghe", "hengyuan", "qiming"), key=lambda a: ascending.index(f"/console/agencies/{a}\""))
    last = sorted(("qinghe", "hengyuan", "qiming"), key=lambda a: descending.index(f"/console/agencies/{a}\""))
    assert first == last[::-1]
    fragment = client.get("/console/agencies", params={"q": "qiming"}, headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and 'id="tbl"' in fragment.text
    bad = client.get("/console/agencies", params={"sort": "1;drop", "page": "x", "status": "nonsense"})
    assert bad.status_code == 200 and "/console/agencies/qinghe" in bad.text


def test_an_agency_operator_sees_only_its_own_agency(console: Console) -> None:
    client = console.client("demo-agency")
    page = client.get("/console/agencies")
    assert page.status_code == 200
    assert "/console/agencies/qinghe" in page.text
    assert "/console/agencies/hengyuan" not in page.text and "/console/agencies/qiming" not in page.text
    own = client.get("/console/agencies/qinghe")
    assert own.status_code == 200 and "青禾" in own.text
    assert "/terminate" not in own.text and "csrf_token" not in own.text.split("<main", 1)[1]
    assert "oversight:inspection:recorded" in own.text and "账本 #" not in own.text  # no ledger:read: no seq


def test_another_agency_by_url_is_not_found_like_an_unknown_id(console: Console) -> None:
    client = console.client("demo-agency")
    other = client.get("/console/agencies/hengyuan")
    unknown = client.get("/console/agencies/no-such-agency")
    sub = client.get("/console/agencies/qiming")
    assert other.status_code == unknown.status_code == sub.status_code == 404
    assert "hengyuan" in other.text and "未找到" in other.text
    assert console.client("demo-agency-2").get("/console/agencies/qinghe").status_code == 404


def test_an_agency_page_shows_its_lifecycle_records_and_figures(console: Console) -> None:
    page = console.client("demo-compliance").get("/console/agencies/hengyuan")
    assert page.status_code == 200, page.text
    text = page.text
    assert "衡远资产管理有限公司" in text
    assert "oversight:evaluation:recorded" in text and "oversight:rectification:ordered" in text  # the timeline
    assert "insp-hengyuan-scheduled-1" in text and "rect-hengyuan-1" in text  # inspection and the overdue order
    assert "已逾期" in text and "账本 #" in text
    assert 'data-chart="' in text and 'id="agency-daily"' in text
    assert "/console/agencies/hengyuan/terminate" in text and "data-confirm=" in text  # compliance may act


def test_the_auditor_reads_but_has_no_forms(console: Console) -> None:
    client = console.client("demo-auditor")
    page = client.get("/console/agencies/qinghe")
    assert page.status_code == 200
    assert "/terminate" not in page.text and "/evaluate" not in page.text
    assert client.get("/console/agencies").status_code == 200


def test_the_agency_admin_has_no_agencies_pages(console: Console) -> None:
    assert console.client("demo-agency-admin").get("/console/agencies").status_code == 403


def test_english(console: Console) -> None:
    page = console.client("demo-compliance").get("/console/agencies/qinghe", params={"lang": "en"})
    assert page.status_code == 200 and "Rectification orders" in page.text and "Lifecycle" in page.text


# -- acting ----------------------------------------------------------------------------------------------------
def test_an_action_without_csrf_is_refused_and_changes_nothing(fresh_console: Console) -> None:
    client = fresh_console.client("demo-compliance")
    answer = client.post("/console/agencies/hengyuan/terminate", data={"reason": "other"}, follow_redirects=False)
    assert answer.status_code == 403 and "CSRF" in answer.text
    wrong = client.post("/console/agencies/hengyuan/terminate", data={"reason": "other", "csrf_token": "nope"},
                        follow_redirects=False)
    assert wrong.status_code == 403
    assert _listing(fresh_console.url, "hengyuan") == "active"
    assert "oversight:agency:terminated" not in _kinds(fresh_console.url, "hengyuan")


def test_the_auditor_and_the_agency_operator_cannot_act(fresh_console: Console) -> None:
    for user, agency in (("demo-auditor", "hengyuan"), ("demo-agency", "qinghe")):
        client = fresh_console.client(user)
        client.get("/console/agencies")
        answer = client.post(f"/console/agencies/{agency}/terminate",
                             data={"reason": "other", "csrf_token": fresh_console.csrf(client)},
                             follow_redirects=False)
        assert answer.status_code == 403, (user, answer.text)
        assert _listing(fresh_console.url, agency) == "active"


def test_terminate_with_csrf_terminates_and_records_it(fresh_console: Console) -> None:
    client = fresh_console.client("demo-compliance")
    answer = client.post("/console/agencies/hengyuan/terminate",
                         data={"reason": "serious_illegal_collection", "note": "终止测试",
                               "csrf_token": fresh_console.csrf(client)}, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/console/agencies/hengyuan?done=terminate"
    assert _listing(fresh_console.url, "hengyuan") == "terminated"
    assert "oversight:agency:terminated" in _kinds(fresh_console.url, "hengyuan")
    page = client.get(answer.headers["location"])
    assert "已终止委托" in page.text and "oversight:agency:terminated" in page.text
    listed = client.get("/console/agencies", params={"status": "terminated"})
    assert "/console/agencies/hengyuan" in listed.text and "/console/agencies/qinghe" not in listed.text
    again = client.post("/console/agencies/hengyuan/terminate",
                        data={"reason": "other", "csrf_token": fresh_console.csrf(client)})
    assert again.status_code == 409 and "already-terminated" not in again.text and "已终止" in again.text


def test_a_refused_listing_shows_the_rules_and_articles(fresh_console: Console) -> None:
    client = fresh_console.client("demo-compliance")
    token = fresh_console.csrf(client)
    assert client.post("/console/agencies/hengyuan/terminate", data={"reason": "other", "csrf_token": token},
                       follow_redirects=False).status_code == 303
    refused = client.post("/console/agencies/hengyuan/listing", data={"action": "list", "csrf_token": token})
    assert refused.status_code == 409
    assert "art17-agency-admission" in refused.text and "art17-commitments" in refused.text
    assert "第17条" in refused.text and "agencies-refused" in refused.text
    assert "衡远资产管理有限公司" in refused.text  # the agency's page again, with the refusal in an alert
    assert _listing(fresh_console.url, "hengyuan") == "terminated"


def test_evaluate_delist_and_rectify(fresh_console: Console) -> None:
    client = fresh_console.client("demo-compliance")
    token = fresh_console.csrf(client)
    evaluated = client.post("/console/agencies/qinghe/evaluate", data={
        "kind": "annual", "passed": "yes", "overall": "85", "score_compliance": "70", "note": "年度评估",
        "csrf_token": token}, follow_redirects=False)
    assert evaluated.status_code == 303, evaluated.text
    page = client.get("/console/agencies/qinghe").text
    assert "评估已记录" not in page  # the notice comes with ?done= only
    assert "年度评估" in page and ">82<" in page.replace("<strong>", "").replace("</strong>", "")  # (70+4×85)/5
    bad = client.post("/console/agencies/qinghe/evaluate", data={
        "kind": "pre_expiry", "passed": "yes", "overall": "85", "csrf_token": token})
    assert bad.status_code == 422 and "agreement" in bad.text
    ordered = client.post("/console/agencies/qinghe/rectify", data={
        "reason": "consumer_harm", "due": "2026-07-10", "stop_collection": "yes", "csrf_token": token},
        follow_redirects=False)
    assert ordered.status_code == 303, ordered.text
    assert _listing(fresh_console.url, "qinghe") == "rectification_stop"
    assert "oversight:rectification:ordered" in client.get("/console/agencies/qinghe").text
    no_reason = client.post("/console/agencies/qinghe/listing", data={"action": "delist", "csrf_token": token})
    assert no_reason.status_code == 422 and _listing(fresh_console.url, "qinghe") == "rectification_stop"
    delisted = client.post("/console/agencies/qinghe/listing", data={
        "action": "delist", "note": "多次违规 repeated breaches", "csrf_token": token}, follow_redirects=False)
    assert delisted.status_code == 303 and _listing(fresh_console.url, "qinghe") == "delisted"
    assert "oversight:listing:delisted" in _kinds(fresh_console.url, "qinghe")
    assert "多次违规 repeated breaches" in client.get(delisted.headers["location"]).text  # the reason, from the ledger
