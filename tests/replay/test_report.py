"""回放 HTML 报告 / The replay's HTML report (replay/report.py): self-contained, escaped, masked, with real charts.

The page is parsed with html.parser; the browser test opens the written file in Debian's Chromium (Playwright, as
tests/browser/conftest.py does; marked `browser`) and checks every chart drew with data and nothing went wrong.
Its screenshot goes to COLLECTGUARD_SCREENSHOTS when set (the committed docs/screenshots/replay-report.png:
`COLLECTGUARD_SCREENSHOTS=docs/screenshots .venv/bin/python -m pytest -q tests/replay/test_report.py -m browser`),
else to the test's temporary directory.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from collectguard.replay.model import Call, ReplayResult, Verdict
from collectguard.replay.report import figures, render_html, rule_meta
from collectguard.rulebook.profile import load_profile

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO.parent / "shared" / "replay" / "examples"
SHANGHAI = timezone(timedelta(hours=8))
HOSTILE = "<script>alert(1)</script>"


# -- a hand-built result -------------------------------------------------------------------------------------------
def _call(line: int, collector: str, party: str, start: datetime) -> Call:
    return Call(line=line, file="Master.csv", uniqueid=f"1779000000.{line}", collector=collector,
                tool_number="4008001000", party_number=party, start=start, connected=True, duration_s=30,
                order=line)


def _verdict(call: Call, rules: tuple[str, ...], agency: str = "agA") -> Verdict:
    return Verdict(call=call, judged=True, rules=rules, agency=agency, collector=call.collector, debtor_id="d1",
                   debt_id="L-1", local_day=call.start.date().isoformat(), local_hour=call.start.hour)


def hand_built() -> ReplayResult:
    day = datetime(2026, 5, 18, tzinfo=SHANGHAI)
    verdicts = [
        _verdict(_call(1, "c1", "13800138000", day.replace(hour=9)), ()),
        _verdict(_call(2, "c1", "13800138001", day.replace(hour=22, minute=5)), ("art9-quiet-hours",)),
        _verdict(_call(3, HOSTILE, "+86 139 0013 9000", day.replace(hour=23)),
                 ("art9-quiet-hours", "art6-collector-qualified"), agency="ag</script><b>x"),
        _verdict(_call(4, "c2", "13700137000", day.replace(day=19, hour=10)), ("art15-voice-cap",), "in-house"),
        _verdict(_call(5, "c2", "13700137001", day.replace(day=19, hour=11)), (), "in-house"),
        Verdict(call=_call(6, "c9", "10086000000", day.replace(day=19, hour=12)), judged=False,
                unmatched_reason="unknown-party-number", collector="c9"),
    ]
    return ReplayResult.of(verdicts, [("Master.csv", 7, "列数不对 / wrong column count: 13912345678")])


class _Page(HTMLParser):
    """What a test needs of the page: text, script/link sources, inline scripts, ids, table rows."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.sources: list[str] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.ids: set[str] = set()
        self.tags: list[str] = []
        self._script: dict[str, str | None] | None = None
        self._buf: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.append(tag)
        if a.get("id"):
            self.ids.add(str(a["id"]))
        if tag == "script":
            if a.get("src"):
                self.sources.append(str(a["src"]))
            self._script, self._buf = a, []
        if tag == "link" and a.get("href"):
            self.sources.append(str(a["href"]))
        if tag in ("img", "iframe") and a.get("src"):
            self.sources.append(str(a["src"]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._script is not None:
            self.scripts.append((self._script, "".join(self._buf)))
            self._script = None

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._buf.append(data)
        else:
            self.text.append(data)


def parse(page: str) -> _Page:
    parsed = _Page()
    parsed.feed(page)
    parsed.close()
    return parsed


def test_the_page_parses_and_shows_the_numbers() -> None:
    page = render_html(hand_built(), title="回放报告 replay report")
    parsed = parse(page)
    text = " ".join(parsed.text)
    summary = hand_built().summary()
    assert (summary["calls"], summary["judged"], summary["unmatched"], summary["denied"]) == (6, 5, 1, 3)
    for label, value in (("通话", "6"), ("已判定", "5"), ("未匹配", "1"), ("违规通话", "3"), ("违规率", "60.0%")):
        assert re.search(rf"{label} [a-z ]+\s*{re.escape(value)}", text), (label, value)
    assert "unknown-party-number" in text and "被叫号码不是债务人或联系人" in text
    # the rules with their article and Chinese title
    assert "art9-quiet-hours" in text and "第9条" in text and "静默时段" in text
    assert "第6条(二)" in text
    for ident in ("chart-rules", "chart-agencies", "chart-collectors", "chart-days", "chart-hours", "replay-data"):
        assert ident in parsed.ids
    # the data block is JSON the page's script reads
    (data_attrs, data_text), = [(a, s) for a, s in parsed.scripts if a.get("id") == "replay-data"]
    assert data_attrs.get("type") == "application/json"
    payload = json.loads(data_text)
    assert payload["charts"]["chart-rules"]["series"][0]["data"] == [2, 1, 1]
    hours = payload["charts"]["chart-hours"]
    assert len(hours["xAxis"]["data"]) == 24
    assert [a + b for a, b in zip(hours["series"][0]["data"], hours["series"][1]["data"], strict=True)][22] == 1
    assert payload["charts"]["chart-days"]["xAxis"]["data"] == ["2026-05-18", "2026-05-19"]


def test_figures() -> None:
    data = figures(hand_built())
    assert [r["rule"] for r in data["by_rule"]] == ["art9-quiet-hours", "art15-voice-cap", "art6-collector-qualified"]
    assert data["by_hour"][22] == {"hour": 22, "judged": 1, "denied": 1, "rate": 100.0}
    assert sum(h["judged"] for h in data["by_hour"]) == 5
    assert data["quiet"] == [22, 23, 0, 1, 2, 3, 4, 5, 6, 7]
    # the worst calls: most rules first, then the earliest
    assert [w["uniqueid"] for w in data["worst"]] == ["1779000000.3", "1779000000.2", "1779000000.4"]
    assert data["worst"][0]["party"] == "139****9000"
    assert data["worst"][0]["start"] == "2026-05-18 23:00:00 +08:00"
    assert data["by_collector"][0]["collector"] in ("c1", "c2", HOSTILE)
    assert data["rate"] == 60.0
    assert rule_meta("art15-voice-cap", load_profile()).article_zh == "第15条(二)"
    assert rule_meta("no-such-rule", load_profile()).title_zh == ""


def test_hostile_strings_are_escaped() -> None:
    page = render_html(hand_built(), title=f"报告 {HOSTILE}")
    parsed = parse(page)
    assert HOSTILE not in page and "</script><b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # in the worst calls table, as text
    assert "b" not in parsed.tags  # the agency's <b> stayed text
    # exactly the page's three scripts: the data, ECharts, the page's own
    assert len(parsed.scripts) == 3
    assert all(HOSTILE not in body for _, body in parsed.scripts)
    payload = json.loads(next(s for a, s in parsed.scripts if a.get("id") == "replay-data"))
    assert HOSTILE in payload["charts"]["chart-collectors"]["yAxis"]["data"]  # the value survives, as data


def test_no_network_and_masked_numbers() -> None:
    page = render_html(hand_built(), title="t")
    parsed = parse(page)
    assert parsed.sources == []  # no <script src>, <link href>, <img src>: everything is inline
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page, re.I)
    unescaped = html.unescape(page[:2000])
    assert "default-src 'none'" in unescaped and "script-src 'sha256-" in unescaped
    for raw in ("13800138001", "13900139000", "13700137000", "13912345678"):
        assert raw not in page
    assert "139****5678" in page  # the malformed row's number, masked


def test_an_empty_result() -> None:
    parsed = parse(render_html(ReplayResult(), title="空 empty"))
    text = " ".join(parsed.text)
    assert "没有违规通话" in text and "chart-rules" not in parsed.ids


def _example_result() -> ReplayResult:
    from collectguard.replay.mapping import load_map
    from collectguard.replay.parallel import replay_logs

    return replay_logs(EXAMPLES / "world.yaml", [EXAMPLES / "Master.csv"], load_map(EXAMPLES / "map.yaml"),
                       workers=1, progress=False)


@pytest.fixture(scope="module")
def example() -> ReplayResult:
    if not (EXAMPLES / "Master.csv").is_file():
        pytest.skip(f"the shared replay example is not at {EXAMPLES}")
    return _example_result()


def test_the_shared_example(example: ReplayResult) -> None:
    expected = json.loads((EXAMPLES / "expected.json").read_text("utf-8"))
    page = render_html(example, title="示例 example")
    data = figures(example)
    assert {k: data[k] for k in ("calls", "judged", "unmatched", "denied")} == \
        {k: expected[k] for k in ("calls", "judged", "unmatched", "denied")}
    assert {r["rule"]: r["count"] for r in data["by_rule"]} == expected["by_rule"]
    text = " ".join(parse(page).text)
    for rule in expected["by_rule"]:
        assert rule in text
    # no called number of the log appears unmasked
    assert example.denied
    for v in example.denied:  # the calls the page lists
        assert v.call.party_number not in page


# -- in a real browser ----------------------------------------------------------------------------------------------
def _chromium() -> str | None:
    named = os.environ.get("COLLECTGUARD_CHROMIUM")
    if named:
        return named if Path(named).is_file() else None
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _hostile_tooltips(browser: Any, tmp_path: Path, problems: list[str]) -> None:
    """The hand-built page with a hostile collector and agency: their tooltips show them as text, nothing runs."""
    hostile = tmp_path / "hostile.html"
    hostile.write_text(render_html(hand_built(), title=f"报告 {HOSTILE}"), "utf-8")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.on("pageerror", lambda e: problems.append(f"uncaught: {e}"))
        page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
        page.goto(hostile.as_uri(), wait_until="load")
        page.wait_for_selector("html[data-report-ready='1']", timeout=15_000)
        seen = []
        for ident in ("chart-collectors", "chart-agencies"):
            page.locator(f"#{ident}").scroll_into_view_if_needed()
            for index in range(3):  # each bar's tooltip, as a hover shows it
                page.evaluate(f"() => echarts.getInstanceByDom(document.getElementById('{ident}'))"
                              f".dispatchAction({{type: 'showTip', seriesIndex: 0, dataIndex: {index}}})")
                page.wait_for_timeout(60)
                seen.append(page.evaluate(f"() => [...document.querySelectorAll('#{ident} div')]"
                                          ".map(d => d.innerText).join(' ')"))
        assert any(HOSTILE in text for text in seen), seen  # shown as text in the tooltip
        assert page.evaluate("() => document.querySelectorAll('body script').length") == 3
        # the agency "ag</script><b>x" made no <b> of its own, in the page or a tooltip
        assert page.evaluate("() => [...document.querySelectorAll('b')].every(b => b.innerText !== 'x')")
        assert page.title() == f"报告 {HOSTILE}"
    finally:
        page.close()


@pytest.mark.browser
def test_the_report_in_a_browser(example: ReplayResult, tmp_path: Path) -> None:
    binary = _chromium()
    if binary is None:
        reason = "Chromium not found (apt-get install chromium fonts-noto-cjk, or set COLLECTGUARD_CHROMIUM)"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}: CI must run the browser tests")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    report = tmp_path / "replay-report.html"
    report.write_text(render_html(example, title="通话日志回放报告 · replay report (shared example)"), "utf-8")
    problems: list[str] = []
    requests: list[str] = []
    shots = Path(os.environ.get("COLLECTGUARD_SCREENSHOTS") or tmp_path)
    if not shots.is_absolute():
        shots = REPO / shots
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=binary, args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN", device_scale_factor=1)
            page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
                    if m.type in ("error", "warning") else None)
            page.on("pageerror", lambda e: problems.append(f"uncaught: {e}"))
            page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
            page.on("request", lambda r: requests.append(r.url) if not r.url.startswith(("file:", "data:")) else None)
            page.goto(report.as_uri(), wait_until="load")
            page.wait_for_selector("html[data-report-ready='1']", timeout=15_000)
            drawn: dict[str, Any] = page.evaluate("""() => Object.fromEntries(
                [...document.querySelectorAll('.chart')].map(el => {
                    const c = echarts.getInstanceByDom(el);
                    const opt = c ? c.getOption() : null;
                    const canvas = el.querySelector('canvas');
                    return [el.id, {ready: el.getAttribute('data-chart-ready'),
                                    canvas: !!canvas && canvas.width > 0 && canvas.height > 0,
                                    values: opt ? opt.series.reduce((n, s) => n + s.data.length, 0) : 0}];
                }))""")
            assert set(drawn) == {"chart-rules", "chart-agencies", "chart-collectors", "chart-days", "chart-hours"}
            for ident, state in drawn.items():
                assert state["ready"] == "1" and state["canvas"] and state["values"] > 0, (ident, state)
            # the rule chart's bars are the rulebook's counts; a tooltip shows the rule's article and title
            counts = page.evaluate("() => echarts.getInstanceByDom(document.getElementById('chart-rules'))"
                                   ".getOption().series[0].data")
            assert sum(counts) == sum(figures(example)["by_rule"][i]["count"] for i in range(len(counts)))
            box = page.locator("#chart-rules").bounding_box()
            assert box is not None
            page.mouse.move(box["x"] + box["width"] / 2, box["y"] + 30)
            page.wait_for_timeout(200)
            tooltip = page.evaluate("() => [...document.querySelectorAll('#chart-rules div')]"
                                    ".map(d => d.innerText).join(' ')")
            assert "第" in tooltip and "条" in tooltip, tooltip
            page.mouse.move(0, 0)
            _hostile_tooltips(browser, tmp_path, problems)
            height = int(page.evaluate("() => document.documentElement.scrollHeight"))
            page.set_viewport_size({"width": 1280, "height": max(900, height)})
            page.wait_for_timeout(150)
            page.screenshot(path=str(shots / "replay-report.png"), full_page=True)
        finally:
            browser.close()
    assert not problems, problems
    assert not requests, requests  # nothing fetched: the page is self-contained


def test_the_cli_writes_the_report(example: ReplayResult, tmp_path: Path) -> None:
    """`collectguard replay --report FILE.html` (replay/cli.py) writes this page for the shared example."""
    from typer.testing import CliRunner

    from collectguard.replay.cli import app

    out = tmp_path / "report.html"
    answer = CliRunner().invoke(app, ["--world", str(EXAMPLES / "world.yaml"), "--map", str(EXAMPLES / "map.yaml"),
                                      str(EXAMPLES / "Master.csv"), "--json", "--report", str(out)])
    assert answer.exit_code == 0, answer.output
    page = out.read_text("utf-8")
    parsed = parse(page)
    assert parsed.sources == [] and "chart-rules" in parsed.ids
    expected = json.loads((EXAMPLES / "expected.json").read_text("utf-8"))
    payload = json.loads(next(s for a, s in parsed.scripts if a.get("id") == "replay-data"))
    assert sum(payload["charts"]["chart-rules"]["series"][0]["data"]) == sum(expected["by_rule"].values())
