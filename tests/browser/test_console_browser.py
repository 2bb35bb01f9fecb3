"""The console as people see it, in headless Chromium: sign-in per role, every page the navigation offers renders
with no script error and no failed request, charts hold data, the CSRF check and the agency scope hold in the
browser, the language switch works, and a reveal of personal data is recorded. Screenshots of every main page
(conftest: COLLECTGUARD_SCREENSHOTS)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from collectguard.db.store import Store
from collectguard.ledger.models import LedgerRecord
from tests.browser.conftest import Served, Tab

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

ROLES = ["demo-admin", "demo-compliance", "demo-auditor", "demo-agency", "demo-agency-2", "demo-agency-admin"]

# Every [data-chart] element: is an ECharts instance on it, how many data points its series hold, how many non-zero.
CHARTS_JS = """() => Array.from(document.querySelectorAll('[data-chart]')).map(el => {
  const chart = window.echarts && window.echarts.getInstanceByDom(el);
  if (!chart) { return {id: el.id, ready: false, points: 0, nonzero: 0}; }
  const option = chart.getOption();
  let points = 0, nonzero = 0;
  const count = (items) => {
    for (const item of (Array.isArray(items) ? items : [])) {
      let v = (item !== null && typeof item === 'object' && !Array.isArray(item)) ? item.value : item;
      if (Array.isArray(v)) { v = v[v.length - 1]; }
      if (v === null || v === undefined || v === '-') { continue; }
      points += 1;
      if (typeof v !== 'number' || v !== 0) { nonzero += 1; }
    }
  };
  for (const s of (option.series || [])) { count(s.data); count(s.links); }
  for (const d of (option.dataset || [])) { if (Array.isArray(d.source)) { points += d.source.length; nonzero += d.source.length; } }
  const box = el.getBoundingClientRect();
  return {id: el.id, ready: true, points, nonzero, width: box.width, height: box.height};
})"""


def _links(tab: Tab) -> list[tuple[str, str]]:
    """The navigation's links as (path, text)."""
    links = tab.page.locator("nav.sidebar a")
    base = tab.served.base
    return [(str(links.nth(i).get_attribute("href")).removeprefix(base), links.nth(i).inner_text().strip())
            for i in range(links.count())]


def _nav(tab: Tab) -> list[tuple[str, str]]:
    """The navigation's links to pages that have landed: new pages are covered as they land."""
    return [(path, text) for path, text in _links(tab) if tab.served.landed(path)]


def _skip_unlanded(tab: Tab) -> None:
    """After a test's checks: say which pages the navigation offers that are not there yet."""
    missing = [path for path, _ in _links(tab) if not tab.served.landed(path)]
    if missing:
        pytest.skip("checked the pages that are there; not landed yet: " + ", ".join(missing))


def _page_name(path: str) -> str:
    name = path.removeprefix("/console").strip("/").replace("/", "-")
    return name or "overview"


def _check_page(tab: Tab, path: str) -> list[dict[str, Any]]:
    """The page at `path` answers 200 with a heading, and each of its charts is drawn with data."""
    tab.goto(path)
    assert tab.page.locator("main h1").count() >= 1, f"{path}: no heading"
    assert "Traceback" not in tab.page.content()
    wide, window = tab.page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert wide <= window, f"{path} is {wide} px wide in a {window} px window (it scrolls sideways)"
    charts: list[dict[str, Any]] = tab.page.evaluate(CHARTS_JS)
    for chart in charts:
        assert chart["ready"], f"{path}: chart {chart['id']} was not drawn"
        assert chart["points"] > 0, f"{path}: chart {chart['id']} holds no data"
        assert chart["width"] > 0 and chart["height"] > 0, f"{path}: chart {chart['id']} has no size"
    return charts


# The item a list's screenshot opens, when the list links to it (the first one otherwise): the fullest demo agency.
SHOWN = {"/console/agencies": "/console/agencies/qinghe"}


def _detail_link(tab: Tab, path: str) -> str | None:
    """A link in the page's main table to a page under `path` (an agency, a collector, a debtor)."""
    links = tab.page.locator(f"main table a[href^='{path}/']")
    hrefs = [str(links.nth(i).get_attribute("href")).split("?")[0].split("#")[0] for i in range(links.count())]
    if not hrefs:
        return None
    return SHOWN[path] if SHOWN.get(path) in hrefs else hrefs[0]


def _ledger_kinds(url: str, prefix: str) -> list[str]:
    store = Store(url)
    try:
        with store.read() as session:
            return list(session.execute(select(LedgerRecord.kind).where(LedgerRecord.kind.like(prefix + "%"))
                                        .order_by(LedgerRecord.seq)).scalars())
    finally:
        store.dispose()


# -- signing in, every page -----------------------------------------------------------------------------------
# POSTs that read rather than change: a debtor search by number (kept out of the URL), a ledger verification.
READING_POSTS = {"/console/debtors", "/console/ledger/verify"}
READERS = {"demo-auditor", "demo-agency", "demo-agency-2"}  # an auditor changes nothing; an agency only reports:
# its incidents (art. 21(二)), the destruction of its copies (art. 20(四)), complaints it received about itself
AGENCY_REPORTS = ("/console/incidents", "/console/deletions", "/console/complaints")
# Screenshots of every main page (and the item each list opens), full page, in Chinese: as the compliance officer.
SCREENSHOTS_AS = "demo-compliance"


def _acting_forms(tab: Tab, username: str = "demo-auditor") -> list[str]:
    """The forms of the page that change something, less those an agency's user may send (its reports)."""
    actions = tab.page.eval_on_selector_all(
        "main form", "fs => fs.filter(f => f.method === 'post' || f.hasAttribute('hx-post'))"
                     ".map(f => f.getAttribute('hx-post') || f.getAttribute('action'))")
    reports = AGENCY_REPORTS if username.startswith("demo-agency") else ()
    here = urlsplit(tab.page.url).path
    return [a for a in actions if a not in READING_POSTS
            and not any(urlsplit(a or here).path.startswith(p) for p in reports)]


@pytest.mark.parametrize("username", ROLES)
def test_each_role_signs_in_and_every_page_it_is_offered_renders(username: str, tab: Tab) -> None:
    """Each page of the navigation and the first item each list opens: no script error, no failed request, charts
    with data, nothing wider than the window; a reader (auditor, agency operator) is offered no form that acts.
    The compliance officer's walk saves the screenshots."""
    if username == "demo-agency-admin" and not tab.served.landed("/console/collectors"):
        pytest.skip("an agency admin starts on the collectors page, which has not landed")
    tab.sign_in(username, form=True)
    nav = _nav(tab)
    assert all(path.startswith("/console/") for path, _ in nav), nav
    shots = username == SCREENSHOTS_AS
    for path, _ in nav:
        _check_page(tab, path)
        assert tab.page.locator("nav.sidebar a.active").get_attribute("href") in (path, tab.served.url(path))
        if shots:
            tab.screenshot(_page_name(path))
        detail = _detail_link(tab, path) if path != "/console/" else None
        if username in READERS:
            assert not _acting_forms(tab, username), f"{username} is offered {_acting_forms(tab, username)} on {path}"
        if detail is not None:
            _check_page(tab, detail)
            if shots:
                tab.screenshot(_page_name(path) + "-detail")
            if username in READERS:
                assert not _acting_forms(tab, username), \
                    f"{username} is offered {_acting_forms(tab, username)} on {detail}"
    tab.assert_clean()
    _skip_unlanded(tab)


def test_the_sign_in_form_refuses_a_wrong_password(tab: Tab) -> None:
    tab.goto("/console/sign-in")
    tab.expect(401)
    tab.page.fill("input[name=username]", "demo-auditor")
    tab.page.fill("input[name=password]", "not the password 1")
    with tab.page.expect_navigation():
        tab.page.click("form.stack button[type=submit]")
    assert "用户名或密码错误" in tab.page.locator(".alert.error").inner_text()
    assert tab.page.locator("header.topbar").count() == 0
    tab.assert_clean()


def test_a_signed_out_visitor_is_sent_to_the_form_and_back(tab: Tab) -> None:
    tab.goto("/console/?lang=zh")  # 303 to the form, which remembers where the visitor was going
    assert "/console/sign-in?next=" in tab.page.url
    tab.screenshot("sign-in")
    user = tab.served.console.users["demo-auditor"]
    tab.page.fill("input[name=username]", user.username)
    tab.page.fill("input[name=password]", user.password)
    with tab.page.expect_navigation():
        tab.page.click("form.stack button[type=submit]")
    assert tab.page.url == tab.served.url("/console/?lang=zh")
    assert tab.page.locator("header.topbar .user").inner_text() == "demo-auditor"
    tab.assert_clean()


def test_sign_out_ends_the_session(tab: Tab) -> None:
    tab.sign_in("demo-compliance", form=True)
    tab.served.sessions.pop("demo-compliance")  # ended here
    with tab.page.expect_navigation():
        tab.page.click("header.topbar form button[type=submit]")
    assert "/console/sign-in" in tab.page.url
    tab.goto("/console/")
    assert "/console/sign-in" in tab.page.url  # the old cookie opens nothing
    tab.assert_clean()


# -- what the browser must refuse ------------------------------------------------------------------------------
def test_a_form_without_its_csrf_token_is_refused(tab: Tab) -> None:
    tab.sign_in("demo-compliance")
    form = tab.page.locator("header.topbar form")
    assert form.locator("input[name=csrf_token]").count() == 1
    tab.page.evaluate("() => document.querySelector('header.topbar form input[name=csrf_token]').remove()")
    tab.expect(403)
    with tab.page.expect_navigation() as answer:
        form.locator("button[type=submit]").click()
    assert answer.value.status == 403
    assert "CSRF" in tab.page.locator("main .alert.error").inner_text()
    tab.goto("/console/")  # still signed in: the refused form changed nothing
    assert tab.page.locator("header.topbar .user").inner_text() == "demo-compliance"
    tab.assert_clean()


def test_a_page_form_without_its_csrf_token_is_refused(tab: Tab) -> None:
    """A form of a page itself (not the top bar's), with its token removed, is refused with the 403 page."""
    tab.sign_in("demo-admin")
    for path, _ in _nav(tab):
        tab.goto(path)
        forms = tab.page.locator("main form[method=post]:has(input[name=csrf_token])")
        if forms.count():
            break
    else:
        pytest.skip("no page offers a POST form yet")
    tab.page.evaluate("""() => {
      const form = document.querySelector('main form[method=post]:has(input[name=csrf_token])');
      form.querySelector('input[name=csrf_token]').remove();
      form.removeAttribute('data-confirm');
      for (const a of ['hx-post', 'hx-confirm', 'hx-target', 'hx-swap']) { form.removeAttribute(a); }
      for (const el of form.querySelectorAll('[required]')) { el.removeAttribute('required'); }
      form.setAttribute('novalidate', '');
      form.submit();
    }""")
    tab.expect(403)
    tab.page.wait_for_load_state("load")
    assert "CSRF" in tab.page.locator("main .alert.error").inner_text(), tab.page.url
    tab.assert_clean()


def test_an_agency_sees_only_its_own_agency(open_tab: Callable[..., Tab]) -> None:
    tab = open_tab()
    tab.sign_in("demo-agency")
    if "/console/agencies" not in dict(_nav(tab)):
        pytest.skip("the agencies page has not landed")
    tab.goto("/console/agencies/qinghe")
    tab.goto("/console/agencies/hengyuan", status=404)
    assert tab.page.locator("main h1").inner_text().startswith("未找到")
    tab.goto("/console/agencies/no-such-agency", status=404)  # the same answer as another agency's
    if tab.served.landed("/console/collectors"):
        tab.goto("/console/collectors/qinghe-c01")
        tab.goto("/console/collectors/hengyuan-c01", status=404)  # another agency's collector, by URL
        assert tab.page.locator("main h1").inner_text().startswith("未找到")
    tab.assert_clean()
    other = open_tab()
    other.sign_in("demo-agency-2")
    other.goto("/console/agencies/hengyuan")
    other.goto("/console/agencies/qinghe", status=404)
    other.assert_clean()


# -- HTMX ------------------------------------------------------------------------------------------------------
def _same_document(tab: Tab) -> None:
    tab.page.evaluate("() => { window.__stayed = true; }")


def _stayed(tab: Tab) -> bool:
    return bool(tab.page.evaluate("() => window.__stayed === true"))


def test_a_table_filters_pages_and_sorts_in_place(tab: Tab) -> None:
    """The debtors list: a filter swaps the table in place (HTMX, the URL follows), the pager and a sort link work."""
    tab.sign_in("demo-compliance")
    if "/console/debtors" not in dict(_nav(tab)):
        pytest.skip("the debtors page has not landed")
    tab.goto("/console/debtors")
    first = tab.page.locator("#tbl tbody tr").first.inner_text()
    pager = tab.page.locator("#tbl a[rel=next]")
    assert pager.count() == 1, "300 debtors fit on one page?"
    with tab.page.expect_navigation():
        pager.click()
    assert "page=2" in tab.page.url and tab.page.locator("#tbl tbody tr").first.inner_text() != first
    tab.goto("/console/debtors")
    _same_document(tab)
    status = tab.page.locator("main form.filters select[name=status]")
    wanted = status.locator("option").nth(2).get_attribute("value")
    with tab.page.expect_response(lambda r: "status=" in r.url and r.request.headers.get("hx-request") == "true"):
        status.select_option(wanted)
    tab.page.wait_for_function(f"() => location.search.includes('status={wanted}')")
    assert _stayed(tab), "the filter reloaded the whole page instead of swapping the table"
    rows = tab.page.locator("#tbl tbody tr")
    assert rows.count() >= 1
    sort = tab.page.locator("#tbl thead a.sort").first
    with tab.page.expect_navigation():
        sort.click()
    assert "sort=" in tab.page.url
    tab.assert_clean()


def test_the_ledger_verifies_in_place(tab: Tab) -> None:
    """校验: an HTMX POST carrying the CSRF header, then the progress polls until the chain is found intact."""
    tab.sign_in("demo-auditor")
    if "/console/ledger" not in dict(_nav(tab)):
        pytest.skip("the ledger page has not landed")
    tab.goto("/console/ledger")
    _same_document(tab)
    button = tab.page.locator("main form[hx-post$='/ledger/verify'] button")
    with tab.page.expect_request(lambda r: r.url.endswith("/ledger/verify") and r.method == "POST") as sent:
        button.click()
    assert sent.value.headers.get("x-csrf-token"), "the HTMX POST carried no CSRF header"
    tab.page.wait_for_selector("#verify[data-state=ok], #verify[data-state=broken], #verify .alert.error",
                               timeout=30_000)
    assert tab.page.locator("#verify").get_attribute("data-state") == "ok", tab.page.locator("#verify").inner_text()
    assert _stayed(tab)
    tab.assert_clean()


def test_a_dismissed_confirmation_sends_nothing(tab: Tab) -> None:
    """A form that acts asks first (data-confirm, console.js): dismissing the question sends no request."""
    tab.sign_in("demo-compliance")
    for path, _ in _nav(tab):
        tab.goto(path)
        detail = _detail_link(tab, path) if path != "/console/" else None
        for shown in [path] + ([detail] if detail else []):
            if shown != path:
                tab.goto(shown)
            if tab.page.locator("main form[data-confirm]").count():
                break
        else:
            continue
        break
    else:
        pytest.skip("no page has a form that asks for confirmation yet")
    form = tab.page.locator("main form[data-confirm]").first
    sent: list[str] = []
    tab.page.on("request", lambda r: sent.append(r.url) if r.method == "POST" else None)
    questions: list[str] = []

    def dismiss(dialog: Any) -> None:
        questions.append(dialog.message)
        dialog.dismiss()

    tab.page.once("dialog", dismiss)
    form.evaluate("f => { for (const el of f.querySelectorAll('[required]')) { el.removeAttribute('required'); } }")
    form.locator("button[type=submit], input[type=submit]").first.click()
    tab.page.wait_for_timeout(300)
    assert questions == [form.get_attribute("data-confirm")]
    assert sent == [], f"a dismissed form was sent: {sent}"
    tab.assert_clean()


# -- language ----------------------------------------------------------------------------------------------------
def test_the_english_switch_holds_across_pages(tab: Tab) -> None:
    tab.sign_in("demo-compliance")
    assert tab.page.locator("html").get_attribute("lang") == "zh-CN"
    assert tab.page.locator("nav.sidebar a").first.inner_text() == "总览"
    with tab.page.expect_navigation():
        tab.page.click("header.topbar a.lang")
    assert tab.page.locator("html").get_attribute("lang") == "en"
    assert tab.page.locator("nav.sidebar a").first.inner_text() == "Overview"
    assert "Sign out" in tab.page.locator("header.topbar").inner_text()
    for path, text in _nav(tab):
        _check_page(tab, path)
        assert re.fullmatch(r"[\x20-\x7e]+", text), f"navigation text not in English: {text}"
        assert tab.page.locator("html").get_attribute("lang") == "en"
    tab.goto("/console/")
    tab.screenshot("overview-en")
    with tab.page.expect_navigation():
        tab.page.click("header.topbar a.lang")
    assert tab.page.locator("nav.sidebar a").first.inner_text() == "总览"
    tab.assert_clean()
    _skip_unlanded(tab)


# -- a recorded reveal -----------------------------------------------------------------------------------------
def test_a_reveal_is_recorded(tab: Tab, served: Served) -> None:
    tab.sign_in("demo-compliance")
    if "/console/debtors" not in dict(_nav(tab)):
        pytest.skip("the debtors page has not landed")
    tab.goto("/console/debtors")
    detail = _detail_link(tab, "/console/debtors")
    assert detail is not None, "the debtors list links to no debtor"
    tab.goto(detail)
    form = tab.page.locator("main form:has([name=reason])")
    if form.count() == 0:
        pytest.skip("the debtor page has no reveal form yet")
    phone = tab.page.locator("#pii-phone")
    masked = phone.inner_text()
    assert "*" in masked, f"the phone shows unmasked before a reveal: {masked}"
    before = _ledger_kinds(served.console.url, "privacy:pii:revealed")
    summary = tab.page.locator("main details:has(form [name=reason]) > summary")
    if summary.count():
        summary.first.click()  # the form sits folded in a <details>
    reason = form.locator("[name=reason]")
    if reason.evaluate("el => el.tagName") == "SELECT":
        reason.select_option(index=1)
    else:
        reason.fill("核对联系方式")
    note = form.locator("[name=note]")
    if note.count():
        note.fill("工单 BT-0001")
    tab.page.once("dialog", lambda dialog: dialog.accept())  # data-confirm: the reveal is recorded under my name
    with tab.page.expect_navigation(wait_until="load"):
        form.locator("button[type=submit]").first.click()
    clear = tab.page.locator("#pii-phone").inner_text()
    assert "*" not in clear and re.fullmatch(r"\+?[\d -]{7,}", clear), f"no clear phone after the reveal: {clear}"
    after = _ledger_kinds(served.console.url, "privacy:pii:revealed")
    assert len(after) == len(before) + 1
    tab.goto(detail)  # shown in that response only: the page masks again
    assert tab.page.locator("#pii-phone").inner_text() == masked
    tab.assert_clean()


def test_chinese_has_a_font() -> None:
    """Without a CJK font Chromium draws Chinese as empty boxes (the screenshots would show them)."""
    import os
    import shutil
    import subprocess

    fc_list = shutil.which("fc-list")
    found = fc_list is not None and subprocess.run([fc_list, ":lang=zh", "family"], capture_output=True, text=True,
                                                   check=False).stdout.strip()
    if not found:
        reason = "no font with Chinese glyphs (apt-get install fonts-noto-cjk)"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}: CI must have one")
        pytest.skip(reason)
