"""催收员 pages per role: the list with its filters and sorts, a collector's page, flags suspended or dismissed
by the institution's administrator or compliance officer only (CSRF, confirmation), and an agency's viewers kept
to their own agency."""

from __future__ import annotations

import re

from tests.console.conftest import Console


def test_smoke(console: Console) -> None:
    client = console.client("demo-compliance")
    page = client.get("/console/collectors")
    assert page.status_code == 200, page.text
    open("/tmp/h3/list.html", "w").write(page.text)
    one = client.get("/console/collectors/qinghe-c01")
    assert one.status_code == 200, one.text
    open("/tmp/h3/one.html", "w").write(one.text)
    assert re.search("qinghe-c01", one.text)
