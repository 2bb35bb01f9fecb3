"""The overview reads the daily figures: what a compliance officer sees, and what an agency operator sees (its
agency only)."""

from __future__ import annotations

import html
import json
import re

from tests.console.conftest import Console


def _charts(page: str) -> dict[str, dict]:
    return {m.group(1): json.loads(html.unescape(m.group(2)))
            for m in re.finditer(r'<div class="chart" id="([^"]+)"[^>]*data-chart="([^"]*)"', page)}


def test_compliance_sees_every_agency_and_the_daily_chart(console: Console) -> None:
    page = console.client("demo-compliance").get("/console/")
    assert page.status_code == 200
    assert "近 30 天每日询问与决定" in page.text and "逾期义务" in page.text
    charts = _charts(page.text)
    daily = charts["chart-daily"]
    assert len(daily["xAxis"]["data"]) == 30
    assert len(daily["series"]) == 3 and all(len(s["data"]) == 30 for s in daily["series"])


def test_an_agency_operator_sees_its_agency_only(console: Console) -> None:
    page = console.client("demo-agency").get("/console/")
    assert page.status_code == 200
    orgs = _charts(page.text).get("chart-orgs")
    if orgs is not None:
        assert set(orgs["xAxis"]["data"]) <= {"青禾信用管理有限公司", "启明商务咨询有限公司"}
    assert "衡远" not in page.text


def test_an_agency_admin_is_sent_to_its_staff(console: Console) -> None:
    page = console.client("demo-agency-admin").get("/console/", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/console/collectors"
