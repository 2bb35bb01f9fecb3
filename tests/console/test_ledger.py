"""账本 The ledger page: the head, records per kind, the institution's records, verifying from the page (and a
tampered record found), the export, and who may see and do what."""

from __future__ import annotations

import json
import re
import time
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from collectguard.api.app import create_app
from collectguard.db.store import Store
from collectguard.ledger.models import LedgerHead, LedgerRecord
from collectguard.ledger.service import append
from tests.console.conftest import Console
from tests.ledger.tampering import set_column


def _db(console: Console, query: Any) -> list[Any]:
    store = Store(console.url)
    try:
        with store.read() as session:
            return list(session.execute(query).all())
    finally:
        store.dispose()


def _seqs(html: str) -> list[int]:
    return [int(s) for s in re.findall(r'<tr id="seq-(\d+)"', html)]


def _wait(client: TestClient, job: str, timeout: float = 60) -> str:
    """Poll the verification as the page does, until it is no longer running; its fragment."""
    deadline = time.monotonic() + timeout
    while True:
        fragment = client.get(f"/console/ledger/verify/{job}", headers={"HX-Request": "true"})
        assert fragment.status_code == 200, fragment.text
        if 'data-state="running"' not in fragment.text:
            return fragment.text
        assert 'hx-trigger="every 1s"' in fragment.text
        assert time.monotonic() < deadline, "verification still running"
        time.sleep(0.1)


def _start(console: Console, client: TestClient) -> str:
    started = client.post("/console/ledger/verify", data={"csrf_token": console.csrf(client)},
                          follow_redirects=False)
    assert started.status_code == 303, started.text
    found = re.search(r"job=([0-9a-f]+)", started.headers["location"])
    assert found
    return found.group(1)


def test_the_head_and_the_institutions_newest_records(console: Console) -> None:
    page = console.client("demo-compliance").get("/console/ledger")
    assert page.status_code == 200, page.text
    (seq, hashed), = _db(console, select(LedgerHead.seq, LedgerHead.hash))
    assert f'id="head-seq">{seq:,}<' in page.text and hashed in page.text and 'id="head-alg">SM3<' in page.text
    newest = [s for s, in _db(console, select(LedgerRecord.seq).where(LedgerRecord.institution_id == "lender")
                                .order_by(LedgerRecord.seq.desc()).limit(25))]
    assert _seqs(page.text) == newest
    # records of no institution (a debtor's own record) or of another are not the institution's to read here
    shared = _db(console, select(LedgerRecord.seq).where(LedgerRecord.institution_id.is_(None)).limit(1))
    assert shared and f'id="seq-{shared[0][0]}"' not in page.text


def test_filters_and_pages_by_sequence_number(console: Console) -> None:
    client = console.client("demo-auditor")
    kinds = {k for k, in _db(console, select(LedgerRecord.kind).where(LedgerRecord.institution_id == "lender",
                                                                      LedgerRecord.kind.like("oversight:%")))}
    page = client.get("/console/ledger?kind=oversight:")
    shown = set(re.findall(r'<a href="\?kind=[^"]+"><code>([^<]+)</code>', page.text))
    assert shown and shown <= kinds
    subject = client.get("/console/ledger?subject=rect-qinghe-1").text
    assert {k for k in re.findall(r'<a href="\?kind=[^"]+"><code>([^<]+)</code>', subject)} == {
        "oversight:rectification:ordered", "oversight:rectification:done"}
    # older pages continue where the last ended; newer goes back
    first = client.get("/console/ledger").text
    older_at = re.search(r'href="\?before=(\d+)" rel="next"', first)
    assert older_at
    second = client.get(f"/console/ledger?before={older_at.group(1)}").text
    one, two = _seqs(first), _seqs(second)
    assert len(two) == 25 and one[-1] > two[0] and two == sorted(two, reverse=True)
    newer_at = re.search(r'href="\?after=(\d+)" rel="prev"', second)
    assert newer_at and _seqs(client.get(f"/console/ledger?after={newer_at.group(1)}").text) == one
    # an evidence link from the calendar: the record on top, marked and open
    mark = two[3]
    marked = client.get(f"/console/ledger?before={mark + 1}&mark={mark}").text
    assert _seqs(marked)[0] == mark and f'<tr id="seq-{mark}" class="ledger-mark">' in marked
    assert client.get("/console/ledger?before=x").status_code == 422


def test_records_per_kind_are_counted_and_kept_up_to_date(fresh_console: Console) -> None:
    client = fresh_console.sign_in("demo-compliance")
    expected = dict(_db(fresh_console, select(LedgerRecord.kind, func.count()).where(
        LedgerRecord.institution_id == "lender").group_by(LedgerRecord.kind)))
    fragment = client.get("/console/ledger/kinds", headers={"HX-Request": "true"}).text
    shown = {k: int(n.replace(",", "")) for k, n in re.findall(
        r'<code>([^<]+)</code></a></td><td class="num">([\d,]+)</td>', fragment)}
    assert shown == expected
    fresh_console.sign_in("demo-auditor")  # two more records of the institution: a sign-in
    again = client.get("/console/ledger/kinds").text
    after = dict(_db(fresh_console, select(LedgerRecord.kind, func.count()).where(
        LedgerRecord.institution_id == "lender").group_by(LedgerRecord.kind)))
    assert after != expected
    assert {k: int(n.replace(",", "")) for k, n in re.findall(
        r'<code>([^<]+)</code></a></td><td class="num">([\d,]+)</td>', again)} == after


def test_bodies_are_shown_redacted(fresh_console: Console) -> None:
    store = Store(fresh_console.url)
    try:
        with store.transaction() as session:
            record = append(session, kind="oversight:inspection:recorded", subject="insp-note", at=fresh_console.clock(),
                            payload={"note": "回访 13800138000，邮箱 someone@example.com", "id": "insp-note"},
                            institution_id="lender")
            seq = record.seq
    finally:
        store.dispose()
    page = fresh_console.sign_in("demo-auditor").get("/console/ledger?subject=insp-note").text
    assert _seqs(page) == [seq]
    assert "13800138000" not in page and "someone@example.com" not in page and "insp-note" in page


def test_verify_from_the_page_then_a_tampered_record_is_found(fresh_console: Console) -> None:
    client = fresh_console.sign_in("demo-compliance")
    refused = client.post("/console/ledger/verify", follow_redirects=False)
    assert refused.status_code == 403 and "CSRF" in refused.text
    job = _start(fresh_console, client)
    result = _wait(client, job)
    (head,), = _db(fresh_console, select(LedgerHead.seq))  # the verification's own record came after it
    assert 'data-state="ok"' in result and f'class="ledger-checked">{head - 1:,}<' in result
    assert 'data-state="ok"' in client.get(f"/console/ledger?job={job}").text  # the page shows the result
    # someone edits one record's body in the database
    (seq, body), = _db(fresh_console, select(LedgerRecord.seq, LedgerRecord.body).where(
        LedgerRecord.kind == "oversight:rectification:done"))
    store = Store(fresh_console.url)
    try:
        set_column(store, seq, body=body.replace("scripts retrained", "nothing done"))
    finally:
        store.dispose()
    again = client.post("/console/ledger/verify", headers={"HX-Request": "true",
                                                           "X-CSRF-Token": fresh_console.csrf(client)})
    assert again.status_code == 200 and 'id="verify"' in again.text  # the fragment, for HTMX
    bad_job = re.search(r"/console/ledger/verify/([0-9a-f]+)", again.text)
    text = _wait(client, bad_job.group(1)) if bad_job else again.text
    assert 'data-state="broken"' in text and f'class="ledger-bad-seq" href="/console/ledger?before={seq + 1}' \
        f'&amp;mark={seq}">#{seq}</a>' in text
    assert "hash does not match the body" in text
    assert client.get("/console/ledger/verify/nope").status_code == 404


def test_the_export_is_what_the_api_writes(console: Console) -> None:
    client = console.client("demo-auditor")
    got = client.get("/console/ledger/export?from=1&to=200")
    assert got.status_code == 200 and got.headers["content-type"].startswith("application/x-ndjson")
    assert got.headers["content-disposition"] == 'attachment; filename="ledger-lender-1-200.jsonl"'
    lines = [json.loads(line) for line in got.text.splitlines()]
    rows = _db(console, select(LedgerRecord).where(LedgerRecord.institution_id == "lender",
                                                   LedgerRecord.seq <= 200).order_by(LedgerRecord.seq))
    assert [line["seq"] for line in lines] == [r.seq for r, in rows] and lines
    first, = rows[0]
    assert lines[0] == {"seq": first.seq, "kind": first.kind, "subject": first.subject, "at": first.at.isoformat(),
                        "hash": first.hash, "prev_hash": first.prev_hash, "body": json.loads(first.body)}
    kinds = client.get("/console/ledger/export?from=1&to=100000&kind=oversight:").text.splitlines()
    assert kinds and all(json.loads(line)["kind"].startswith("oversight:") for line in kinds)
    assert client.get("/console/ledger/export?from=10&to=5").status_code == 422
    assert client.get("/console/ledger/export?from=1&to=2000000").status_code == 422


def test_who_may_see_verify_and_export(console: Console) -> None:
    for user in ("demo-admin", "demo-compliance", "demo-auditor"):
        page = console.client(user).get("/console/ledger")
        assert page.status_code == 200 and 'id="verify-button"' in page.text and 'id="export-button"' in page.text
    auditor = console.client("demo-auditor")
    job = _start(console, auditor)  # verifying changes nothing: the auditor may
    assert 'data-state="ok"' in _wait(auditor, job)
    for user in ("demo-agency", "demo-agency-admin"):  # no ledger:read
        client = console.client(user)
        for path in ("/console/ledger", "/console/ledger/kinds", "/console/ledger/export?from=1&to=5",
                     f"/console/ledger/verify/{job}"):
            assert client.get(path).status_code == 403, (user, path)
        refused = client.post("/console/ledger/verify", data={"csrf_token": console.csrf(client)})
        assert refused.status_code == 403
        assert "/console/ledger" not in client.get("/console/obligations" if user == "demo-agency" else
                                                   "/console/").text.split("</nav>")[0]
    anonymous = console.anonymous()
    assert anonymous.get("/console/ledger", follow_redirects=False).status_code == 303
    assert anonymous.get("/console/ledger/export", follow_redirects=False).status_code == 303


def test_a_verification_is_recorded_and_seen_by_every_worker(fresh_console: Console) -> None:
    """The result goes into the ledger (who, when, what it found), so a poll that reaches another worker of the
    server — another process, another app — shows it too; until then that worker shows it running."""
    client = fresh_console.sign_in("demo-auditor")
    job = _start(fresh_console, client)
    assert 'data-state="ok"' in _wait(client, job)
    (body,), = _db(fresh_console, select(LedgerRecord.body).where(LedgerRecord.kind == "ledger:chain:verified",
                                                                  LedgerRecord.subject == f"verification:{job}"))
    payload = json.loads(body)["payload"]
    assert payload["by"] == "demo-auditor" and payload["ok"] is True and payload["count"] == payload["head_seq"]
    other = create_app(fresh_console.url, migrate=False, clock=fresh_console.clock, lease_sweep_s=0)
    try:
        worker = TestClient(other)
        worker.cookies = client.cookies  # the session lives in the database: any worker knows it
        seen = worker.get(f"/console/ledger/verify/{job}", headers={"HX-Request": "true"})
        assert seen.status_code == 200 and 'data-state="ok"' in seen.text and "demo-auditor" in seen.text
        pending = worker.get("/console/ledger/verify/0123456789abcdef", headers={"HX-Request": "true"})
        assert pending.status_code == 200 and 'data-state="running"' in pending.text
    finally:
        other.state.store.dispose()
