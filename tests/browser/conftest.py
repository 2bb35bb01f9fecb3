"""The console in a real headless Chromium: the console's demo world (tests/console/conftest.py, on SQLite) served by
uvicorn on a free port in a background thread, one browser per test session, a fresh context (cookies, language)
per test, and every console error, uncaught page error and failed request collected so a test can assert none.

Chromium is Debian's (`apt-get install chromium fonts-noto-cjk`; `.ci/run` installs both): Playwright drives it
through its pip package, and never downloads a browser. Without Chromium these tests skip with a clear message on a
laptop, and fail in CI (CI is set). COLLECTGUARD_CHROMIUM names another binary.

Screenshots (1280×900, full page) are written to COLLECTGUARD_SCREENSHOTS when it is set (the committed ones:
`COLLECTGUARD_SCREENSHOTS=docs/screenshots .venv/bin/python -m pytest -q -m browser tests/browser`), else to the
run's temporary directory, so a test run never changes tracked files.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pyotp
import pytest
import uvicorn

from tests.console.conftest import Console, build_console

CHROMIUM_ENV = "COLLECTGUARD_CHROMIUM"
SHOTS_ENV = "COLLECTGUARD_SCREENSHOTS"
VIEWPORT = {"width": 1280, "height": 900}
SESSION_COOKIES = ("cg_session", "cg_csrf")
HERE = Path(__file__).parent
REPO = HERE.parents[1]


def chromium_path() -> str | None:
    named = os.environ.get(CHROMIUM_ENV)
    if named:
        return named if Path(named).is_file() else None
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test here is marked `browser` and runs on one xdist worker (one world, one browser per run).

    Under `--dist loadgroup` with pytest 9.2 xdist's renaming to `<nodeid>@<group>` is lost (see tests/load/
    conftest.py); it is restored here for these tests."""
    mine = [item for item in items if item.path.is_relative_to(HERE)]
    for item in mine:
        item.add_marker(pytest.mark.browser)
    if not getattr(config.option, "loadgroup", False):
        return
    try:
        from _pytest.nodeid import NodeId
    except ImportError:  # an older pytest: xdist's own renaming works
        return
    for item in mine:
        if "@" not in item.nodeid and hasattr(item, "_id"):
            item._id = NodeId.parse(f"{item.nodeid}@browser")  # type: ignore[attr-defined]


# -- the served world -----------------------------------------------------------------------------------------
@dataclass
class Served:
    """The console world behind a real HTTP server."""

    console: Console
    base: str  # http://127.0.0.1:<port>
    shots: Path  # where screenshots go
    _landed: dict[str, bool] = field(default_factory=dict)
    sessions: dict[str, list[Any]] = field(default_factory=dict)  # username → its session's cookies

    def url(self, path: str) -> str:
        return self.base + path

    def landed(self, path: str) -> bool:
        """Whether the app has a page at `path` (the navigation names pages before they land): signed out, a page
        sends the visitor to the sign-in form, an unknown path is a 404."""
        if path not in self._landed:
            answer = httpx.get(self.url(path), follow_redirects=False, timeout=10)
            self._landed[path] = answer.status_code != 404
        return self._landed[path]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def chromium_binary() -> str:
    path = chromium_path()
    if path is None:
        reason = (f"Chromium not found (apt-get install chromium fonts-noto-cjk, or set {CHROMIUM_ENV}); "
                  "the browser tests need it")
        if os.environ.get("CI"):
            pytest.fail(f"{reason}: CI must run them, so this fails instead of skipping")
        pytest.skip(f"{reason}; skipped on this machine")
    return path


@pytest.fixture(scope="session")
def served(chromium_binary: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The console's demo world on SQLite, served by uvicorn in a thread (lifespan off: no background passes, like
    the TestClient worlds), until the session ends."""
    folder = tmp_path_factory.mktemp("browser")
    console = build_console(f"sqlite:///{folder / 'console.db'}")
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(console.app, host="127.0.0.1", port=port, lifespan="off",  # type: ignore[arg-type]
                                           log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, name="console-server", daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or not thread.is_alive():
            server.should_exit = True
            pytest.fail(f"the console server did not answer /healthz on {base}")
        time.sleep(0.05)
    shots = Path(os.environ[SHOTS_ENV]) if os.environ.get(SHOTS_ENV) else folder / "screenshots"
    if not shots.is_absolute():
        shots = REPO / shots
    shots.mkdir(parents=True, exist_ok=True)
    try:
        yield Served(console, base, shots)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        console.app.state.store.dispose()  # type: ignore[attr-defined]


@pytest.fixture(scope="module")  # not the session: Playwright's sync API keeps an event loop running in this thread,
def browser(chromium_binary: str) -> Iterator[Any]:  # which would make asyncio.run() fail in the worker's later tests
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=chromium_binary, args=["--no-sandbox", "--disable-gpu"])
        try:
            yield launched
        finally:
            launched.close()


# -- a tab that records what went wrong -----------------------------------------------------------------------
@dataclass
class Tab:
    """A page in its own browser context, with the problems it met: console errors, uncaught errors, failed
    requests and 4xx/5xx answers (`expect(status)` allows a document answer a test asks for, e.g. a 404 page)."""

    page: Any
    served: Served
    problems: list[str] = field(default_factory=list)
    expected: set[int] = field(default_factory=set)
    checked: bool = False

    def goto(self, path: str, *, status: int = 200) -> Any:
        if status != 200:
            self.expect(status)
        answer = self.page.goto(self.served.url(path), wait_until="load")
        assert answer is not None and answer.status == status, (path, answer and answer.status)
        return answer

    def expect(self, status: int) -> None:
        self.expected.add(status)

    def sign_in(self, username: str, *, form: bool = False) -> None:
        """Through the form, as a person would; the admin with its one-time code at the app's clock (a code is
        accepted once per 30-second step, so the clock moves on a step first). A person signed in by an earlier
        test reuses that session's cookies (a password check costs the server an argon2id hash) unless `form`."""
        kept = self.served.sessions.get(username)
        if kept and not form:
            self.page.context.add_cookies(kept)
            answer = self.page.goto(self.served.url("/console/"), wait_until="load")
            if "/sign-in" not in self.page.url and answer is not None and answer.ok:
                assert self.page.locator("header.topbar .user").inner_text() == username
                return
            self.page.context.clear_cookies()
        console = self.served.console
        user = console.users[username]
        self.goto("/console/sign-in")
        self.page.fill("input[name=username]", username)
        self.page.fill("input[name=password]", user.password)
        if user.totp_uri:
            console.clock.now += timedelta(seconds=30)
            self.page.fill("input[name=totp_code]", pyotp.parse_uri(user.totp_uri).at(console.clock.now))
        with self.page.expect_navigation(wait_until="load"):
            self.page.click("form.stack button[type=submit]")
        # the overview, or where the role starts (an agency admin: its collectors)
        assert self.page.url.startswith(self.served.url("/console/")) and "/sign-in" not in self.page.url, \
            self.page.url
        assert self.page.locator("header.topbar .user").inner_text() == username
        self.served.sessions[username] = [c for c in self.page.context.cookies() if c["name"] in SESSION_COOKIES]

    def screenshot(self, name: str) -> Path:
        """The whole page, 1280 wide. The window is made as tall as the page first, so the fixed sidebar reaches
        the bottom as it does on screen (a plain full-page capture cuts fixed elements at the window's height)."""
        path = self.served.shots / f"{name}.png"
        height = int(self.page.evaluate("() => document.documentElement.scrollHeight"))
        self.page.set_viewport_size({"width": VIEWPORT["width"], "height": max(VIEWPORT["height"], height)})
        try:
            self.page.wait_for_timeout(100)  # charts follow the resize
            self.page.screenshot(path=str(path), full_page=True)
        finally:
            self.page.set_viewport_size(VIEWPORT)
        return path

    def assert_clean(self) -> None:
        self.checked = True
        assert not self.problems, "the browser met problems:\n" + "\n".join(self.problems)


def _record(tab: Tab) -> None:
    page = tab.page

    def on_console(message: Any) -> None:
        if message.type == "error":
            text = message.text
            # Chromium reports a document's own error status (a 403/404 page a test asked for) as a console error
            if any(f"status of {s} " in text for s in tab.expected) and "Failed to load resource" in text:
                return
            tab.problems.append(f"console error on {page.url}: {text} {message.location}")

    def on_response(response: Any) -> None:
        if response.status >= 400:
            document = response.request.resource_type == "document"
            if not (document and response.status in tab.expected):
                tab.problems.append(f"{response.status} for {response.request.resource_type} {response.url}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: tab.problems.append(f"uncaught error on {page.url}: {error}"))
    def on_failed(request: Any) -> None:
        # The icon's fetch is cancelled when the page navigates away before it arrived: not a page's failure.
        if request.failure == "net::ERR_ABORTED" and request.url.endswith("/favicon.svg"):
            return
        tab.problems.append(f"request failed: {request.resource_type} {request.url} ({request.failure})")

    page.on("requestfailed", on_failed)
    page.on("response", on_response)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    report = yield
    if report.when == "call":
        item.stash[CALL_PASSED] = report.passed
    return report


CALL_PASSED = pytest.StashKey[bool]()


@pytest.fixture
def open_tab(browser: Any, served: Served, request: pytest.FixtureRequest) -> Iterator[Callable[..., Tab]]:
    """`open_tab()` → a Tab in a fresh context (no cookies), 1280×900, Chinese unless `lang="en"`."""
    contexts: list[Any] = []
    tabs: list[Tab] = []

    def make(*, locale: str = "zh-CN") -> Tab:
        context = browser.new_context(viewport=VIEWPORT, locale=locale, device_scale_factor=1)
        context.set_default_timeout(15_000)
        contexts.append(context)
        tab = Tab(context.new_page(), served)
        _record(tab)
        tabs.append(tab)
        return tab

    try:
        yield make
    finally:
        for context in contexts:
            context.close()
    if not request.node.stash.get(CALL_PASSED, False):
        return  # a failed or skipped test's own report says enough
    unchecked = [p for t in tabs if not t.checked for p in t.problems]
    assert not unchecked, "the browser met problems:\n" + "\n".join(unchecked)


@pytest.fixture
def tab(open_tab: Callable[..., Tab]) -> Tab:
    return open_tab()
