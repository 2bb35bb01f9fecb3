"""The unauthenticated public pages (arts. 13, 23): the agencies entrusted today — listed, active, under an
agreement covering today in the institution's zone — computed live, escaped, and nothing else."""

from __future__ import annotations

import json
from datetime import UTC

from tests.factories import at
from tests.public.conftest import SCRIPT, Public, auth


def names(public: Public, institution: str = "bank") -> list[str]:
    r = public.client.get(f"/public/{institution}/agencies.json")
    assert r.status_code == 200, r.text
    return [a["name"] for a in r.json()["agencies"]]


def test_the_page_lists_an_agency_with_an_agreement_today_and_not_one_without(public):
    assert names(public) == [SCRIPT, "甲催收", "甲催收外包"]  # not 乙 (ended 19 May), not 丙 (starts 1 June)
    page = public.client.get("/public/bank/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "甲催收" in page.text and "示例银行" in page.text
    assert "乙催收" not in page.text and "丙催收" not in page.text and "丁催收" not in page.text
    assert names(public, "bank2") == ["丁催收"]  # each institution its own list


def test_an_approved_subcontractor_is_listed_under_its_parents_agreement_as_the_gate_judges_it(public):
    listed = {a["name"]: a for a in public.client.get("/public/bank/agencies.json").json()["agencies"]}
    assert listed["甲催收外包"]["subcontractor_of"] == "甲催收"
    assert listed["甲催收"]["subcontractor_of"] is None
    admin = auth(public.tokens["institution_admin"])
    version = public.client.get("/public/bank/agencies.json").json()["version"]
    # the parent's agreement no longer allows subcontracting: the subcontractor may not collect, nor is it shown
    assert public.client.patch("/v1/agreements/ag1", json={"subcontracting": False}, headers=admin).status_code == 200
    assert names(public) == [SCRIPT, "甲催收"]
    assert public.client.get("/public/bank/agencies.json").json()["version"] != version
    assert public.client.patch("/v1/agreements/ag1", json={"subcontracting": True}, headers=admin).status_code == 200
    assert public.client.get("/public/bank/agencies.json").json()["version"] == version  # the same list again
    # the subcontractor itself suspended on the list
    status = {"institution": "bank", "agency": "agA-sub", "status": "suspended"}
    assert public.client.post("/v1/agency-status", json=status, headers=admin).status_code == 200
    assert names(public) == [SCRIPT, "甲催收"]
    # the parent suspended too
    status = {"institution": "bank", "agency": "agA", "status": "suspended"}
    assert public.client.post("/v1/agency-status", json=status, headers=admin).status_code == 200
    assert names(public) == [SCRIPT]


def test_today_is_the_institutions_day_not_utc(public):
    """agB's agreement ends on 19 May: at 23:30 in Shanghai it is still entrusted; ten minutes past midnight in
    Shanghai (still 19 May in UTC) it is not."""
    public.clock.now = at("2026-05-19 23:30")
    body = public.client.get("/public/bank/agencies.json").json()
    assert "乙催收" in [a["name"] for a in body["agencies"]]
    assert body["as_of"] == "2026-05-19" and body["zone"] == "Asia/Shanghai"
    public.clock.now = at("2026-05-20 00:10")
    assert public.clock.now.astimezone(UTC).date().isoformat() == "2026-05-19"
    assert "乙催收" not in names(public)
    public.clock.now = at("2026-06-01 00:00")
    assert "丙催收" in names(public)


def test_a_suspended_agency_disappears_the_moment_its_status_changes(public):
    before = public.client.get("/public/bank/agencies.json").json()
    admin = auth(public.tokens["institution_admin"])
    r = public.client.post("/v1/agency-status", json={"institution": "bank", "agency": "agA", "status": "suspended"},
                           headers=admin)
    assert r.status_code == 200, r.text
    after = public.client.get("/public/bank/agencies.json").json()
    assert [a["name"] for a in after["agencies"]] == [SCRIPT]  # its subcontractor goes with it
    assert "甲催收" not in public.client.get("/public/bank/").text
    assert after["version"] != before["version"]
    # the listing change (and the public list the listing service may record with it) is the latest change
    assert after["ledger_seq"] >= r.json()["ledger_seq"] > (before["ledger_seq"] or 0)


def test_an_unknown_institution_is_a_404(public):
    page = public.client.get("/public/nobank/")
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "未找到" in page.text and "not found" in page.text
    for path in ("/public/nobank/agencies.json", "/public/nobank/complaints.json"):
        r = public.client.get(path)
        assert r.status_code == 404 and r.json()["code"] == "not-found" and r.json()["field"] == "institution", r.text
    escaped = public.client.get("/public/%3Cb%3E/")  # a malformed id: refused before any query
    assert escaped.status_code in (404, 422) and "<b>" not in escaped.text


def test_every_text_on_the_page_is_escaped(public):
    r = public.client.put("/v1/agencies/agA/public-contact", json={"phone": "400-820-8888",
                                                                    "address": "<img src=x onerror=alert(1)>路 1 号"},
                          headers=auth(public.tokens["agA_admin"]))
    assert r.status_code == 200, r.text
    r = public.client.put("/v1/institutions/bank/complaint-channels", headers=auth(public.tokens["institution_admin"]),
                          json={"phones": ["95588"], "service_hours": "<i>每日</i> 9:00–21:00",
                                "process": {"registration": {"note_zh": "<script>x</script>登记"}}})
    assert r.status_code == 200, r.text
    page = public.client.get("/public/bank/").text
    assert "<script>" not in page and "<img" not in page and "<i>" not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; Co" in page  # escaped by the template's autoescape
    assert "&lt;img src=x onerror=alert(1)&gt;路 1 号" in page and "&lt;i&gt;每日&lt;/i&gt;" in page
    assert "<script" not in page.lower()  # no script at all: the page needs none


def test_the_pages_reveal_only_what_arts_13_and_23_require(public):
    agencies = public.client.get("/public/bank/agencies.json").json()
    assert set(agencies) == {"institution", "institution_name", "as_of", "zone", "version", "ledger_seq", "agencies"}
    for a in agencies["agencies"]:
        assert set(a) == {"name", "phone", "address", "subcontractor_of"}
    complaints = public.client.get("/public/bank/complaints.json").json()
    assert complaints["published"] is False and complaints["phones"] == []
    assert [s["step"] for s in complaints["process"]] == ["registration", "verification", "investigation",
                                                          "result_notice"]
    text = json.dumps(agencies, ensure_ascii=False) + public.client.get("/public/bank/").text
    for secret in ("agA", "ag1", "debt", "张三", "listing_status", "suspended"):
        assert secret not in text, secret


def test_the_public_routes_need_no_key_and_are_documented(public):
    for path in ("/public/bank/", "/public/bank/agencies.json", "/public/bank/complaints.json"):
        assert public.client.get(path).status_code == 200
    document = public.client.get("/openapi.json").json()
    for path in ("/public/{institution}/", "/public/{institution}/agencies.json",
                 "/public/{institution}/complaints.json"):
        operation = document["paths"][path]["get"]
        assert operation["tags"] == ["public 公开信息"] and "security" not in operation, path
        assert {"200", "404"} <= set(operation["responses"])
    assert "text/html" in document["paths"]["/public/{institution}/"]["get"]["responses"]["200"]["content"]
    for path in ("/v1/institutions/{institution_id}/complaint-channels", "/v1/agencies/{agency_id}/public-contact"):
        assert {"get", "put"} <= set(document["paths"][path]), path


def test_the_page_has_the_consoles_look_and_no_script(public):
    page = public.client.get("/public/bank/")
    assert '<link rel="stylesheet" href="/console/static/console.css">' in page.text
    assert 'class="public-band"' in page.text and 'class="card" id="agencies"' in page.text
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "style-src 'self'" in policy and "script" not in policy
    assert "<script" not in page.text.lower() and " on" + "click" not in page.text and "set-cookie" not in page.headers
    assert public.client.get("/console/static/console.css").status_code == 200  # served without signing in
    missing = public.client.get("/public/nobank/")
    assert missing.status_code == 404 and "default-src 'none'" in missing.headers["content-security-policy"]
