"""The public page's complaint form (art. 23), on SQLite and PostgreSQL: no key; a complaint on channel `web` with
the reference and the day of the answer, as JSON and through the page's own form (no script); the agency chosen
from the list the page shows; someone complaining for another person warned; what the visitor typed comes back
escaped when something is wrong; the institution then sees the complaint, masked."""

from __future__ import annotations

import html
import re

from tests.public.conftest import SCRIPT, Public, auth


def test_a_complaint_by_json_is_registered_on_channel_web_with_its_reference_and_answer_day(public: Public):
    r = public.client.post("/public/bank/complaints", json={
        "complainant_name": "张三", "complainant_phone": "13800138000", "agency_name": "甲催收",
        "text": "催收员晚上十一点打电话"})
    assert r.status_code == 201, r.text
    ack = r.json()
    assert ack["reference"].startswith("cmp_") and ack["answer_by"] == "2026-06-04"
    assert ack["received_day"] == "2026-05-20" and ack["proxy_warning"] is False
    assert ack["reference"] in ack["message_zh"] and "2026-06-04" in ack["message_en"]
    seen = public.client.get(f"/v1/complaints/{ack['reference']}", headers=auth(public.tokens["auditor"]))
    assert seen.status_code == 200, seen.text
    body = seen.json()
    assert (body["channel"], body["agency"], body["handled_by_institution"]) == ("web", "agA", True)
    assert body["complainant_phone"] == "138****8000" and body["complainant_name"] == "张*"
    # the agency's operator sees it too: it is about its own agency
    assert public.client.get(f"/v1/complaints/{ack['reference']}",
                             headers=auth(public.tokens["agency_operator"])).status_code == 200


def test_an_agency_not_on_the_list_is_kept_as_a_note_a_way_to_answer_is_needed_and_an_unknown_bank_is_404(
        public: Public):
    def post(institution: str = "bank", **body: object) -> tuple[int, dict[str, str]]:
        r = public.client.post(f"/public/{institution}/complaints", json={"text": "投诉内容", **body})
        return r.status_code, r.json()

    status, ack = post(agency_name="乙催收", complainant_phone="13800138000")  # agreement ended 19 May
    assert status == 201, ack
    seen = public.client.get(f"/v1/complaints/{ack['reference']}", headers=auth(public.tokens["auditor"])).json()
    assert seen["agency"] is None and seen["handled_by_institution"] is False
    for body in ({}, {"complainant_phone": None}, {"complainant_email": "   "}, {"complainant_email": "no-at"}):
        status, refused = post(**body)
        assert status == 422, (body, refused)
    assert post("nobank", complainant_email="a@example.com")[0] == 404
    assert public.client.post("/public/bank/complaints", json={"complainant_phone": "13800138000"}).status_code == 422
    assert public.client.post("/public/bank/complaints", json={"text": "x", "complainant_phone": "13800138000",
                                                               "channel": "phone"}).status_code == 422
    assert post(complainant_email="zs@example.com", complainant_name="  ")[0] == 201  # a blank name: none


def test_the_page_carries_a_form_that_posts_to_itself_and_answers_with_an_acknowledgement(public: Public):
    page = public.client.get("/public/bank/")
    assert page.status_code == 200
    assert 'action="/public/bank/complaint-form#complain"' in page.text and "<script" not in page.text
    assert "form-action 'self'" in page.headers["content-security-policy"]
    options = re.findall(r"<option[^>]*>([^<]*)</option>", page.text)
    assert [html.unescape(o) for o in options] == ["—", SCRIPT, "甲催收", "甲催收外包"]
    sent = public.client.post("/public/bank/complaint-form", data={
        "text": "我替父亲投诉：催收员威胁上门", "complainant_name": "李小四", "complainant_phone": "13900139000",
        "proxy_name": "李小四", "agency_name": "甲催收外包"})
    assert sent.status_code == 201, sent.text
    assert "<script" not in sent.text and "form-action 'self'" in sent.headers["content-security-policy"]
    reference = re.search(r"cmp_[0-9a-f]{20}", sent.text)
    assert reference is not None
    assert "2026-06-04" in sent.text and "您的投诉已登记" in sent.text and "Your complaint is registered" in sent.text
    assert "有效授权" in sent.text and "authorisation" in sent.text  # a proxy: warned on the page
    assert "13900139000" not in sent.text
    seen = public.client.get(f"/v1/complaints/{reference.group(0)}",
                             headers=auth(public.tokens["compliance_officer"])).json()
    assert seen["proxy_warning"] is True and seen["agency"] == "agA-sub" and seen["channel"] == "web"


def test_a_refused_form_comes_back_with_what_was_typed_escaped_and_what_is_wrong(public: Public):
    typed = "<b>晚上</b> & 早上都打"
    back = public.client.post("/public/bank/complaint-form", data={"text": typed, "agency_name": "甲催收"})
    assert back.status_code == 422
    assert "&lt;b&gt;晚上&lt;/b&gt;" in back.text and "<b>晚上</b>" not in back.text
    assert "请留下电话或邮箱以便答复" in back.text and "leave a phone number or an e-mail" in back.text
    assert re.search(r'<option selected>甲催收</option>', back.text)  # the choice kept
    bad_phone = public.client.post("/public/bank/complaint-form", data={"text": "x", "complainant_phone": "12"})
    assert bad_phone.status_code == 422 and "complainant_phone" in bad_phone.text
    assert public.client.post("/public/nobank/complaint-form", data={"text": "x"}).status_code == 404
    listed = public.client.get("/v1/complaints", headers=auth(public.tokens["auditor"])).json()
    assert listed["total"] == 0  # nothing was registered



def test_a_form_with_a_nul_in_the_email_is_answered_as_the_schema_says(public):
    """The documented pattern refuses a NUL (found by Schemathesis): the form comes back with the field named, 422."""
    sent = public.client.post("/public/bank/complaint-form", content=b"text=x&complainant_email=a%40b.c%00",
                              headers={"content-type": "application/x-www-form-urlencoded"})
    assert sent.status_code == 422 and "complainant_email" in sent.text
    assert public.client.post("/public/bank/complaints", content=b"\xff\xfe{",
                              headers={"content-type": "application/json"}).status_code == 400
