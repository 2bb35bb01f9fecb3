"""义务日历 The obligations page: the same calendar as GET /v1/obligations, as a month and as a list, per role."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from collectguard.db.store import Store
from collectguard.oversight import calendar
from collectguard.oversight.schemas import ObligationsOut
from tests.console.conftest import Console


def _calendar(console: Console, agency: str | None = None) -> ObligationsOut:
    store = Store(console.url)
    try:
        with store.read() as session:
            now: datetime = console.clock()
            return calendar.calendar(session, "lender", now, agency=agency)
    finally:
        store.dispose()


def _count(html: str, status: str) -> int:
    found = re.search(rf'id="count-{status}">([\d,]+)<', html)
    assert found, status
    return int(found.group(1).replace(",", ""))


def _rows(html: str) -> list[tuple[str, str]]:
    """(key, status) of every row of the list, in order."""
    return re.findall(r'<tr id="([^"]+)" class="obligations-row (\w+)">', html)


def _every_page(client: Any, url: str) -> str:
    """The list's pages one after another (50 rows a page), as one text."""
    texts = []
    for n in range(1, 100):
        text = client.get(f"{url}&page={n}").text
        if not _rows(text):
            break
        texts.append(text)
    return "\n".join(texts)


def test_the_month_shows_the_apis_counts_and_the_items_due_in_it(console: Console) -> None:
    expected = _calendar(console)
    page = console.client("demo-compliance").get("/console/obligations")
    assert page.status_code == 200, page.text
    for status in ("overdue", "due", "met"):
        assert _count(page.text, status) == expected.counts[status], status
    assert expected.counts["overdue"] > 0  # the demo has overdue items
    assert 'id="month-title">2026年06月' in page.text
    assert 'class="day today"' in page.text and 'data-day="2026-06-10"' in page.text
    june = [i for i in expected.items if i.due_date and (i.due_date.year, i.due_date.month) == (2026, 6)]
    for item in june:
        assert f"q={item.key.replace(':', '%3A')}" in page.text, item.key
    # the month before: the items that fell due in May, each coloured by its status
    may = console.client("demo-compliance").get("/console/obligations?month=2026-05")
    assert 'id="month-title">2026年05月' in may.text
    for item in (i for i in expected.items if i.due_date and (i.due_date.year, i.due_date.month) == (2026, 5)):
        assert f'class="obligations-item {item.status}" href="?view=list&amp;q={item.key.replace(":", "%3A")}"' \
            in may.text, item.key
    assert 'rel="prev" title="2026-04"' in may.text and 'rel="next" title="2026-06"' in may.text


def test_a_malformed_month_shows_this_month(console: Console) -> None:
    for month in ("2026-13", "x", "1999-01", "2026-06-01"):
        page = console.client("demo-auditor").get(f"/console/obligations?month={month}")
        assert page.status_code == 200 and 'id="month-title">2026年06月' in page.text, month


def test_the_list_puts_overdue_first_sorts_and_filters(console: Console) -> None:
    expected = _calendar(console)
    client = console.client("demo-compliance")
    text = _every_page(client, "/console/obligations?view=list")
    rows = _rows(text)
    assert len(rows) == len(expected.items)
    statuses = [s for _, s in rows]
    assert statuses == sorted(statuses, key=["overdue", "due", "met"].index)
    overdue = [i for i in expected.items if i.status == "overdue"]
    assert {k for k, s in rows if s == "overdue"} == {i.key for i in overdue}
    # each item: rule id, article, subject, due date, evidence with its ledger seq
    for item in expected.items:
        assert f"<code>{item.obligation}</code>" in text
        for e in item.evidence:
            if e.ledger_seq:
                assert f"/console/ledger?before={e.ledger_seq + 1}&amp;mark={e.ledger_seq}" in text
    by_due = _rows(_every_page(client, "/console/obligations?view=list&sort=due&order=asc"))
    dates = {i.key: i.due_date for i in expected.items}
    due = [dates[k] for k, _ in by_due if dates[k] is not None]
    assert due == sorted(due)
    only = _rows(_every_page(client, "/console/obligations?view=list&status=overdue"))
    assert only and {s for _, s in only} == {"overdue"} and len(only) == expected.counts["overdue"]
    hengyuan = _rows(_every_page(client, "/console/obligations?view=list&agency=hengyuan"))
    assert {k for k, _ in hengyuan} == {i.key for i in expected.items if i.agency == "hengyuan"}
    one_day = [i for i in expected.items if i.due_date][0]
    on_day = _rows(client.get(f"/console/obligations?view=list&due={one_day.due_date}").text)
    assert one_day.key in {k for k, _ in on_day}
    assert all(dates[k] == one_day.due_date for k, _ in on_day)
    # sort links keep the list view and the filter
    assert 'href="?page=1&amp;sort=due&amp;order=asc&amp;status=overdue&amp;view=list"' in client.get(
        "/console/obligations?view=list&status=overdue").text


def test_an_agency_operator_sees_its_own_agencys_items_as_the_api_shows_them(console: Console) -> None:
    own = _calendar(console, agency="qinghe")
    page = console.client("demo-agency").get("/console/obligations?view=list")
    assert page.status_code == 200, page.text
    assert {k for k, _ in _rows(_every_page(console.client("demo-agency"), "/console/obligations?view=list"))} == \
        {i.key for i in own.items}
    for status in ("overdue", "due", "met"):
        assert _count(page.text, status) == own.counts[status]
    assert "hengyuan" not in page.text and 'name="agency"' not in page.text  # no other agency, no agency filter
    # another agency's items are not there even when asked for
    assert _rows(console.client("demo-agency").get("/console/obligations?view=list&agency=hengyuan").text) == []
    assert "/console/ledger?" not in page.text  # no ledger:read: sequence numbers are not links
    other = console.client("demo-agency-2").get("/console/obligations?view=list").text
    assert {k for k, _ in _rows(other)} == {i.key for i in _calendar(console, agency="hengyuan").items}


def test_who_may_open_it(console: Console) -> None:
    for user in ("demo-admin", "demo-auditor", "demo-compliance", "demo-agency"):
        assert console.client(user).get("/console/obligations").status_code == 200, user
    assert console.client("demo-agency-admin").get("/console/obligations").status_code == 403
    anonymous = console.anonymous().get("/console/obligations?view=list", follow_redirects=False)
    assert anonymous.status_code == 303 and "next=%2Fconsole%2Fobligations%3Fview%3Dlist" in \
        anonymous.headers["location"]


def test_in_english(console: Console) -> None:
    client = console.client("demo-auditor")
    try:
        page = client.get("/console/obligations?view=list&lang=en")
        assert "Obligations calendar" in page.text and "Overdue" in page.text and "art. " in page.text
    finally:
        client.get("/console/obligations?lang=zh")
