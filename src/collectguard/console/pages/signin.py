"""登录 Signing in and out: username, password and (for institution admins, or whoever enrolled one) a one-time code.

The sign-in form is protected against cross-site posting by a double-submit token (cookie `cg_presign` and a hidden
field); a refused sign-in is committed before it is answered, so failure counts and lock-outs hold (users.service).
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from collectguard.console import web
from collectguard.errors import CollectGuardError
from collectguard.users import service as users

router = APIRouter()
PRESIGN_COOKIE = "cg_presign"


@router.get("/sign-in")
def sign_in_form(request: Request, next: str | None = None) -> Response:  # noqa: A002 — the query's name
    token = secrets.token_urlsafe(24)
    response = web.render(request, "signin.html", {"presign": token, "next": web.local_next(next), "error": None})
    response.set_cookie(PRESIGN_COOKIE, token, httponly=True, samesite="strict", path=web.PREFIX,
                        secure=web.is_tls(request), max_age=3600)
    return response


def _sign_in(request: Request, username: str, password: str, totp_code: str | None) -> users.SignIn:
    with web.units_of(request).write(web.now_of(request)) as unit:
        result = users.sign_in(unit, username, password, totp_code or None,
                               user_agent=request.headers.get("user-agent"), policy=web.policy_of(request))
    return result  # committed: a refusal's count and ledger record hold


@router.post("/sign-in")
async def sign_in(request: Request, username: Annotated[str, Form(max_length=64)],
                  password: Annotated[str, Form(max_length=users.MAX_PASSWORD)],
                  presign: Annotated[str, Form(max_length=100)] = "",
                  totp_code: Annotated[str, Form(max_length=12)] = "",
                  next: Annotated[str, Form(max_length=500)] = "") -> Response:  # noqa: A002
    expected = request.cookies.get(PRESIGN_COOKIE, "")
    if not expected or not secrets.compare_digest(expected, presign):
        return _form_again(request, next, web.lang_of(request), "csrf", status=403)
    result = await run_in_threadpool(_sign_in, request, username.strip(), password, totp_code.strip())
    try:
        done = result.unwrap()
    except CollectGuardError as exc:
        return _form_again(request, next, web.lang_of(request), exc, status=exc.status, username=username)
    assert done.token is not None and done.csrf_token is not None and done.expires_at is not None
    response = web.redirect(web.local_next(next), request)
    secure = web.is_tls(request)
    max_age = int((done.expires_at - web.now_of(request)).total_seconds())
    response.set_cookie(web.SESSION_COOKIE, done.token, httponly=True, samesite="lax", path=web.PREFIX,
                        secure=secure, max_age=max_age)
    response.set_cookie(web.CSRF_COOKIE, done.csrf_token, httponly=True, samesite="strict", path=web.PREFIX,
                        secure=secure, max_age=max_age)
    response.delete_cookie(PRESIGN_COOKIE, path=web.PREFIX)
    return response


def _form_again(request: Request, next_: str, lang: str, error: CollectGuardError | str, *, status: int,
                username: str = "") -> Response:
    token = secrets.token_urlsafe(24)
    if isinstance(error, str):
        message = ("登录表单已过期，请重试", "the sign-in form expired; please try again")
        field = None
    else:
        message = (error.message_zh, error.message_en)
        field = error.field
    response = web.render(request, "signin.html", {
        "presign": token, "next": web.local_next(next_), "username": username,
        "error": message[1] if lang == "en" else message[0], "error_field": field,
        "ask_code": field == "totp_code"}, status=status)
    response.set_cookie(PRESIGN_COOKIE, token, httponly=True, samesite="strict", path=web.PREFIX,
                        secure=web.is_tls(request), max_age=3600)
    return response


def _sign_out(request: Request) -> None:
    with web.units_of(request).write(web.now_of(request)) as unit:
        users.sign_out(unit, request.cookies.get(web.SESSION_COOKIE))


@router.post("/sign-out")
async def sign_out(request: Request, v: web.Signed) -> Response:
    await web.check_csrf(request, v)
    await run_in_threadpool(_sign_out, request)
    response = web.redirect(f"{web.PREFIX}/sign-in", request)
    for name in (web.SESSION_COOKIE, web.CSRF_COOKIE):
        response.delete_cookie(name, path=web.PREFIX)
    return response
