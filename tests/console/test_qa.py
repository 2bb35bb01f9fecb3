"""质检 QA pages per role: the findings (filters, the per-1,000-calls figure, the chart), one call's transcript with the
matched words highlighted and everything else escaped, and the templates awaiting approval (approve / reject with
CSRF, the same service as the API; an auditor reads only; an agency never sees templates).

The shared console world is read-only, so these tests build their own per backend (`qa_console`): the demo world
plus voice calls decided by the real gate at 14:00 on the world's day, connected, and inspected — the demo's
transcripts (demo/qa.py) and three calls of the tests' own."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from collectguard.console.reads.qa import highlight
from collectguard.db.store import Store
from collectguard.demo import qa as demo_qa
from collectguard.demo.attempts import labelled_attempts
from collectguard.demo.organisations import HENGYUAN, LENDER, QINGHE
from collectguard.demo.templates import PENDING
from collectguard.demo.world import SHANGHAI, build_demo_world
from collectguard.gate.schemas import AttemptIn, OutcomeIn
from collectguard.gate.service import Gate
from collectguard.ledger.models import LedgerRecord
from collectguard.qa import storage
from collectguard.qa.inspector import Inspector
from collectguard.qa.models import Call
from collectguard.registry import models as m
from collectguard.registry import schemas as s
from collectguard.templates import service as templates
from collectguard.templates.models import TemplateVersion
from tests.console.conftest import DAY, DEBTORS, Console, _console

PHONE = "10098765432"
SCRIPT = "<script>alert('x')</script>"
INSULT = "你这种老赖真不要脸"


@dataclass
class QaWorld:
    console: Console
    calls: dict[str, str]  # org → the tests' own call id on an attempt of that organisation's collector
    findings: dict[str, int]  # org → the id of a finding of that call


def _turns(org_name: str, *agent: str) -> list[dict[str, object]]:
    turns: list[dict[str, object]] = [
        {"speaker": "agent", "start": 0.0, "end": 6.0,
         "text": f"您好，我是{org_name}的催收员，本次通话全程录音，请问是王先生本人吗？"},
        {"speaker": "debtor", "start": 6.5, "end": 7.0, "text": "是我。"}]
    for i, text in enumerate(agent):
        turns.append({"speaker": "agent", "start": 8.0 + 5 * i, "end": 12.0 + 5 * i, "text": text})
    return turns


def _add_calls(url: str) -> tuple[dict[str, str], dict[str, int]]:
    world = build_demo_world(2026, DEBTORS, DAY)
    voice = [a for _, a in labelled_attempts(world, 120, seed=5, start=DAY) if a["channel"] == "voice"]
    base = datetime.combine(DAY, datetime.min.time(), SHANGHAI).replace(hour=14)
    store = Store(url)
    gate = Gate(store)
    allowed: list[str] = []
    try:
        for i, a in enumerate(voice):
            at = base + timedelta(seconds=30 * i)
            if gate.decide(AttemptIn.model_validate(a), at).allowed and a.get("party") and a["party"].startswith("d"):
                gate.record_outcome(OutcomeIn(attempt=a["id"], connected=True, duration_s=60), at + timedelta(seconds=20))
                allowed.append(a["id"])
    finally:
        gate.close()
    inspector = Inspector.default()
    calls: dict[str, str] = {}
    found: dict[str, int] = {}
    with store.transaction() as session:
        org_of = dict(session.execute(select(m.Collector.id, m.Collector.org_id)).all())
        names = dict(session.execute(select(m.Agency.id, m.Agency.name)).all())
        names[LENDER] = session.get(m.Institution, LENDER).name  # type: ignore[union-attr]
        rows = session.execute(select(storage.ATTEMPTS.c.id, storage.ATTEMPTS.c.collector_id)
                               .where(storage.ATTEMPTS.c.id.in_(allowed))).all()
        by_org: dict[str, str] = {}
        for ident, collector in sorted(rows):
            by_org.setdefault(org_of[collector], ident)
        lines = {
            LENDER: (f"你还不上就去借网贷，我也不管。{SCRIPT}{INSULT}，回电{PHONE}。",),
            QINGHE: ("你再不还钱，我们就派人到你单位去找你，后果自负。",),
            HENGYUAN: (INSULT + "。",),
        }
        for org in (LENDER, QINGHE, HENGYUAN):
            attempt = by_org[org]
            call = Call.model_validate({"id": f"test-call-{org}", "audience": "debtor", "attempt_id": attempt,
                                        "turns": _turns(names[org], *lines[org])})
            findings = [f.to_output() for f in inspector.inspect(call)]
            assert findings, org
            storage.record(session, storage.Inspected(call.id, attempt, findings, call.audience,
                                                      [t.model_dump() for t in call.turns]), at=base + timedelta(hours=1))
            calls[org] = call.id
        demo_qa.record(session, base + timedelta(hours=1))  # the demo's transcripts for the other calls
        session.flush()
        for org, call_id in calls.items():
            found[org] = session.execute(select(storage.QaFindingRow.id).where(
                storage.QaFindingRow.call_id == call_id, storage.QaFindingRow.seq == 1)).scalar_one()
    store.dispose()
    return calls, found


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def qa_world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
             worker_id: str) -> Iterator[QaWorld]:
    built = _console(request.param, tmp_path_factory.mktemp("qa"), worker_id)
    console = next(built)
    calls, found = _add_calls(console.url)
    yield QaWorld(console, calls, found)
    built.close()


def ids_on(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'/console/qa/findings/(\d+)"', page)]


def chart_of(page: str) -> dict[str, object]:
    raw = re.search(r'id="chart-qa-rules"[^>]*data-chart="([^"]*)"', page)
    assert raw is not None, "no chart on the page"
    return json.loads(html.unescape(raw.group(1)))


# -- the findings ---------------------------------------------------------------------------------------------
def test_compliance_sees_every_organisation_with_rule_article_words_rate_and_chart(qa_world: QaWorld) -> None:
    page = qa_world.console.client("demo-compliance").get("/console/qa")
    assert page.status_code == 200, page.text
    text = page.text
    for org in (LENDER, QINGHE, HENGYUAN):
        assert qa_world.calls[org] in text
    assert "art16-etiquette" in text and "第16条(一)3" in text  # rule id and article
    assert re.search(r"<mark>[^<]+</mark>", text)  # the matched words
    assert "每千通通话质检问题" in text
    rate = re.search(r'id="qa-kpi-rate".*?<div class="value">([^<]+)</div>', text, re.S)
    assert rate is not None and rate.group(1).strip() not in ("—", "0.0")
    option = chart_of(text)
    series = option["series"]
    assert isinstance(series, list) and sum(sum(x["data"]) for x in series) > 0
    assert "待审批模板" in text  # the templates tab


def test_filters_severity_collector_rule_and_period(qa_world: QaWorld) -> None:
    client = qa_world.console.client("demo-compliance")
    critical = client.get("/console/qa", params={"severity": "critical"}).text
    assert "严重</span>" in critical and "重要</span>" not in critical.split("<tbody>")[1]
    etiquette = client.get("/console/qa", params={"rule": "art16-etiquette"}).text
    body = etiquette.split("<tbody>")[1]
    assert "art16-etiquette" in body and "art11-" not in body
    hengyuan = client.get("/console/qa", params={"agency": HENGYUAN}).text
    assert qa_world.calls[HENGYUAN] in hengyuan and qa_world.calls[QINGHE] not in hengyuan
    before = client.get("/console/qa", params={"from": "2026-01-01", "to": "2026-01-31"}).text
    assert ids_on(before) == [] and "没有符合条件的质检问题" in before
    nonsense = client.get("/console/qa", params={"from": "yesterday", "severity": "<b>", "sort": "x;drop"})
    assert nonsense.status_code == 200 and ids_on(nonsense.text)
    # a collector: its findings only (the link a collector's page gives)
    some = ids_on(client.get("/console/qa").text)[0]
    collector = re.search(r'/console/collectors/([^"]+)"', client.get(f"/console/qa/findings/{some}").text)
    assert collector is not None
    mine = client.get("/console/qa", params={"collector": collector.group(1)}).text
    assert set(re.findall(r'/console/collectors/([^"]+)"', mine.split("<tbody>")[1])) == {collector.group(1)}


def test_pages_and_sorts(qa_world: QaWorld) -> None:
    client = qa_world.console.client("demo-compliance")
    for sort in ("day", "severity", "collector", "rule"):
        for order in ("asc", "desc"):
            assert client.get("/console/qa", params={"sort": sort, "order": order}).status_code == 200
    english = client.get("/console/qa", params={"lang": "en"}).text
    assert "Findings per 1,000 calls" in english and "Matched words" in english
    client.get("/console/qa", params={"lang": "zh"})


# -- one call -------------------------------------------------------------------------------------------------
def test_a_call_highlights_the_words_and_escapes_everything_else(qa_world: QaWorld) -> None:
    client = qa_world.console.client("demo-compliance")
    page = client.get(f"/console/qa/findings/{qa_world.findings[LENDER]}")
    assert page.status_code == 200, page.text
    text = page.text
    assert "<script>alert" not in text
    assert "&lt;script&gt;alert(" in text
    assert re.search(r'<mark id="m\d+" data-finding="\d+">[^<]*(老赖|不要脸)', text)
    assert PHONE not in text and "100****5432" in text  # the number was masked when stored
    assert "第16条(一)3" in text and "辱骂" in text  # article and explanation
    assert "/console/debtors/d" in text  # the compliance officer may open the debtor
    assert "允许" in text  # the gate's decision


def test_highlight_escapes_text_and_merges_overlaps() -> None:
    assert highlight("<b>a&b</b>", [(3, 6, 1)]) == '&lt;b&gt;<mark id="m1" data-finding="1">a&amp;b</mark>&lt;/b&gt;'
    assert highlight("abcdef", [(1, 4, 1), (2, 5, 2)]) == (
        'a<mark id="m1" data-finding="1">bcd</mark><mark id="m2" data-finding="2">e</mark>f')
    assert highlight("abc", []) == "abc"


def test_a_call_is_stored_masked() -> None:
    turns, findings = storage.masked_call(storage.Inspected(
        "c", "a", [{"evidence": f"加我微信{PHONE}"}], "debtor",
        [{"speaker": "agent", "text": f"回电{PHONE}，身份证110101199003074477", "start": 0.0, "end": 1.0}]))
    assert PHONE not in json.dumps([turns, findings]) and "110101199003074477" not in json.dumps(turns)


# -- an agency sees its own ------------------------------------------------------------------------------------
def test_an_agency_operator_sees_its_agency_only(qa_world: QaWorld) -> None:
    client = qa_world.console.client("demo-agency")  # 青禾 qinghe
    page = client.get("/console/qa")
    assert page.status_code == 200
    assert qa_world.calls[QINGHE] in page.text
    assert qa_world.calls[HENGYUAN] not in page.text and qa_world.calls[LENDER] not in page.text
    assert "待审批模板" not in page.text
    own = client.get(f"/console/qa/findings/{qa_world.findings[QINGHE]}")
    assert own.status_code == 200 and "<mark" in own.text
    assert "/console/debtors/d" in own.text  # the call's debt is placed with 青禾 now: its debtor may be opened
    for other in (HENGYUAN, LENDER):
        assert client.get(f"/console/qa/findings/{qa_world.findings[other]}").status_code == 404
    assert client.get("/console/qa/findings/999999999").status_code == 404
    # asking for another agency's findings by filter finds nothing
    assert qa_world.calls[HENGYUAN] not in client.get("/console/qa", params={"agency": HENGYUAN}).text
    assert client.get("/console/qa/templates").status_code == 403


def test_unknown_and_anonymous(qa_world: QaWorld) -> None:
    assert qa_world.console.client("demo-compliance").get("/console/qa/findings/424242").status_code == 404
    anonymous = qa_world.console.anonymous()
    r = anonymous.get("/console/qa", follow_redirects=False)
    assert r.status_code == 303 and "/console/sign-in" in r.headers["location"]


# -- templates awaiting approval ------------------------------------------------------------------------------------
def test_templates_awaiting_approval_read_only_for_the_auditor(qa_world: QaWorld) -> None:
    auditor = qa_world.console.client("demo-auditor")
    page = auditor.get("/console/qa/templates")
    assert page.status_code == 200 and PENDING in page.text
    assert "/approve" not in page.text and "只读" in page.text
    refused = auditor.post(f"/console/qa/templates/{PENDING}/approve",
                           data={"csrf_token": qa_world.console.csrf(auditor), "version": "1"})
    assert refused.status_code == 403
    compliance = qa_world.console.client("demo-compliance").get("/console/qa/templates").text
    assert f"/console/qa/templates/{PENDING}/approve" in compliance and "data-confirm" in compliance


def _status(url: str, template: str) -> str:
    store = Store(url)
    try:
        with store.transaction() as session:
            return session.execute(select(TemplateVersion.status).where(TemplateVersion.template_id == template)
                                   .order_by(TemplateVersion.version.desc())).scalars().first() or ""
    finally:
        store.dispose()


def _kinds(url: str, subject: str) -> list[str]:
    store = Store(url)
    try:
        with store.transaction() as session:
            return list(session.execute(select(LedgerRecord.kind).where(LedgerRecord.subject == subject)
                                        .order_by(LedgerRecord.seq)).scalars())
    finally:
        store.dispose()


def test_approve_reject_and_a_refusal_by_the_review_checks(fresh_console: Console, tmp_path: Path) -> None:
    url = fresh_console.url
    flawed = "tpl-sms-flawed"
    store = Store(url)
    from collectguard.config import Settings
    from collectguard.registry.unit import Units
    with Units(store, Settings().ledger_hash).write(fresh_console.clock()) as unit:
        templates.add_template(unit, s.TemplateIn.model_validate({
            "id": flawed, "institution": LENDER, "audience": "debtor", "channel": "sms", "approved": False,
            "text": "您好，{name}，您的欠款已逾期{overdue_days}天，请转账到指定个人账户。"}))
    store.dispose()
    client = fresh_console.client("demo-compliance")
    page = client.get("/console/qa/templates").text
    assert flawed in page and "私人收款渠道" in page and "art11-official-channel" in page  # its review findings
    token = fresh_console.csrf(client)

    # no CSRF token: refused, nothing changes
    assert client.post(f"/console/qa/templates/{PENDING}/approve", data={"version": "1"}).status_code == 403
    assert _status(url, PENDING) == "pending"
    # a version that is not the current one: 409, nothing changes
    stale = client.post(f"/console/qa/templates/{PENDING}/approve", data={"csrf_token": token, "version": "7"})
    assert stale.status_code == 409
    assert _status(url, PENDING) == "pending"
    # approved through the service: 303 back to the list, recorded in the ledger
    done = client.post(f"/console/qa/templates/{PENDING}/approve", data={"csrf_token": token, "version": "1"},
                       follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].endswith(f"?approved={PENDING}")
    assert _status(url, PENDING) == "approved" and "template:version:approved" in _kinds(url, PENDING)
    after = client.get("/console/qa/templates").text
    assert f'id="tpl-{PENDING}"' not in after and f'id="tpl-{flawed}"' in after
    # twice: no longer pending
    assert client.post(f"/console/qa/templates/{PENDING}/approve",
                       data={"csrf_token": token, "version": "1"}).status_code == 409
    # the review checks refuse the flawed one: a 409 page naming the rule, the refusal recorded, still pending
    refused = client.post(f"/console/qa/templates/{flawed}/approve", data={"csrf_token": token, "version": "1"})
    assert refused.status_code == 409 and "art11-official-channel" in refused.text
    assert _status(url, flawed) == "pending" and "template:version:lint-refused" in _kinds(url, flawed)
    # rejected
    rejected = client.post(f"/console/qa/templates/{flawed}/reject", data={"csrf_token": token, "version": "1"},
                           follow_redirects=False)
    assert rejected.status_code == 303 and _status(url, flawed) == "rejected"
    assert "template:version:rejected" in _kinds(url, flawed)
    # an agency never decides (nor reads) templates
    agency = fresh_console.client("demo-agency")
    assert agency.post(f"/console/qa/templates/{flawed}/reject",
                       data={"csrf_token": fresh_console.csrf(agency), "version": "1"}).status_code == 403
