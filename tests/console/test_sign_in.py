"""Signing in to the console: cookies, CSRF, lock-out, TOTP, who may not, and the ledger's record of it."""

from __future__ import annotations

from sqlalchemy import select

from collectguard.db.store import Store
from collectguard.ledger.models import LedgerRecord
from tests.console.conftest import Console


def _kinds(url: str) -> list[str]:
    store = Store(url)
    try:
        with store.read() as session:
            return list(session.execute(select(LedgerRecord.kind).where(LedgerRecord.kind.like("users:%"))
                                        .order_by(LedgerRecord.seq)).scalars())
    finally:
        store.dispose()


def test_signed_out_pages_redirect_to_the_form_and_back(fresh_console: Console) -> None:
    client = fresh_console.anonymous()
    page = client.get("/console/", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/console/sign-in?next=")
    signed = fresh_console.sign_in("demo-compliance")
    cookie = next(c for c in signed.cookies.jar if c.name == "cg_session")
    assert cookie.has_nonstandard_attr("HttpOnly") and cookie.path == "/console"
    home = signed.get("/console/")
    assert home.status_code == 200 and "总览" in home.text
    assert "script-src 'self'" in home.headers["content-security-policy"]


def test_the_session_cookie_is_secure_behind_tls(fresh_console: Console) -> None:
    client = fresh_console.anonymous()
    client.base_url = client.base_url.copy_with(scheme="https")  # type: ignore[assignment]
    form = client.get("/console/sign-in")
    assert form.status_code == 200
    user = fresh_console.users["demo-compliance"]
    answer = client.post("/console/sign-in", data={"username": user.username, "password": user.password,
                                                   "presign": client.cookies.get("cg_presign") or ""},
                         follow_redirects=False)
    assert answer.status_code == 303
    header = ";".join(v for k, v in answer.headers.multi_items() if k == "set-cookie" and v.startswith("cg_session"))
    assert "Secure" in header and "HttpOnly" in header and "SameSite=lax" in header


def test_a_wrong_password_is_refused_counted_and_recorded(fresh_console: Console) -> None:
    client = fresh_console.anonymous()
    client.get("/console/sign-in")
    answer = client.post("/console/sign-in", data={"username": "demo-auditor", "password": "not the password 1",
                                                   "presign": client.cookies.get("cg_presign") or ""})
    assert answer.status_code == 401 and "用户名或密码错误" in answer.text
    assert "users:sign-in:failed" in _kinds(fresh_console.url)


def test_five_failures_lock_the_account(fresh_console: Console) -> None:
    client = fresh_console.anonymous()
    for _ in range(5):
        client.get("/console/sign-in")
        client.post("/console/sign-in", data={"username": "demo-auditor", "password": "wrong password 12",
                                              "presign": client.cookies.get("cg_presign") or ""})
    assert "users:sign-in:locked" in _kinds(fresh_console.url)
    client.get("/console/sign-in")
    right = fresh_console.users["demo-auditor"].password
    answer = client.post("/console/sign-in", data={"username": "demo-auditor", "password": right,
                                                   "presign": client.cookies.get("cg_presign") or ""})
    assert answer.status_code == 401  # locked: even the right password is refused, with the same answer


def test_the_admin_needs_its_one_time_code(fresh_console: Console) -> None:
    client = fresh_console.anonymous()
    client.get("/console/sign-in")
    admin = fresh_console.users["demo-admin"]
    answer = client.post("/console/sign-in", data={"username": admin.username, "password": admin.password,
                                                   "presign": client.cookies.get("cg_presign") or ""})
    assert answer.status_code == 401 and "动态口令" in answer.text
    assert fresh_console.client("demo-admin").get("/console/").status_code == 200


def test_the_sign_in_form_needs_its_own_token(fresh_console: Console) -> None:
    client = fresh_console.anonymous()
    user = fresh_console.users["demo-compliance"]
    answer = client.post("/console/sign-in", data={"username": user.username, "password": user.password,
                                                   "presign": "forged"})
    assert answer.status_code == 403 and "cg_session" not in answer.cookies


def test_sign_out_needs_the_csrf_token_and_ends_the_session(fresh_console: Console) -> None:
    client = fresh_console.sign_in("demo-compliance")
    refused = client.post("/console/sign-out", follow_redirects=False)
    assert refused.status_code == 403 and "CSRF" in refused.text
    assert client.get("/console/").status_code == 200  # still signed in
    done = client.post("/console/sign-out", data={"csrf_token": fresh_console.csrf(client)}, follow_redirects=False)
    assert done.status_code == 303
    stale = fresh_console.anonymous()
    stale.cookies.set("cg_session", next(c.value for c in client.cookies.jar if c.name == "cg_session") if any(
        c.name == "cg_session" for c in client.cookies.jar) else "x", path="/console")
    assert stale.get("/console/", follow_redirects=False).status_code == 303
    assert "users:session:ended" in _kinds(fresh_console.url)


def test_an_api_key_does_not_open_the_console(console: Console) -> None:
    client = console.anonymous()
    page = client.get("/console/", headers={"Authorization": "Bearer cgk_x.y"}, follow_redirects=False)
    assert page.status_code == 303


def test_english_switch(console: Console) -> None:
    client = console.client("demo-auditor")
    page = client.get("/console/?lang=en")
    assert page.status_code == 200 and "Overview" in page.text and "Sign out" in page.text
    assert "Overview" in client.get("/console/").text  # remembered in a cookie
    client.get("/console/?lang=zh")
