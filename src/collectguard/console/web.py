"""What every console page shares: the templates, the signed-in viewer, CSRF, the language, paging and sorting.

A viewer is a person signed in with a session cookie (users/): the cookie `cg_session` (HttpOnly, SameSite=Lax,
Secure behind TLS) holds the session token, `cg_csrf` (HttpOnly, SameSite=Strict) the CSRF token that every form
and every HTMX request sends back (`csrf_token` field or `X-CSRF-Token` header). Only their SHA-256 is stored. An
API key never opens the console: it is read from no cookie, and an integration role cannot have a user at all.

Texts are written in both languages where they are used — `L("总览", "Overview")` in a template, `viewer.L(…)` in
code — and the viewer's language (cookie `cg_lang`, switched with `?lang=en` / `?lang=zh`) picks one. Chinese first.
"""

from __future__ import annotations

import json
import math
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, TypeVar
from urllib.parse import quote, urlencode

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from markupsafe import Markup
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from collectguard.agencies import repository as agencies
from collectguard.auth.roles import Permission, Principal, Role
from collectguard.errors import CollectGuardError, Conflict, Forbidden, InvalidInput
from collectguard.registry.unit import Unit, Units
from collectguard.users import service as users

T = TypeVar("T")
HERE = Path(__file__).parent
PREFIX = "/console"
SESSION_COOKIE = "cg_session"
CSRF_COOKIE = "cg_csrf"
LANG_COOKIE = "cg_lang"
LANGS = ("zh", "en")
ROLE_NAMES = {
    Role.INSTITUTION_ADMIN: ("机构管理员", "Institution admin"),
    Role.COMPLIANCE_OFFICER: ("合规官", "Compliance officer"),
    Role.AUDITOR: ("审计（只读）", "Auditor (read-only)"),
    Role.AGENCY_OPERATOR: ("催收机构操作员", "Agency operator"),
    Role.AGENCY_ADMIN: ("催收机构管理员", "Agency admin"),
    Role.INTEGRATION: ("系统接入", "Integration"),
}
CHANNELS = {"voice": ("电话", "Voice"), "sms": ("短信", "SMS"), "5g_message": ("5G 消息", "5G message"),
            "email": ("电子邮件", "E-mail"), "im": ("即时通讯", "IM"), "video": ("视频", "Video"),
            "letter": ("信函", "Letter"), "visit": ("上门", "Visit")}  # the channels' names, as pages show them
# Content-Security-Policy of every console page: scripts only from the app itself (no inline script, no CDN).
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")


def lang_of(request: Request) -> str:
    asked = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE) or "zh"
    return asked if asked in LANGS else "zh"


@dataclass(frozen=True)
class Viewer:
    """The person signed in, as the API's principal, with the session's CSRF token and the chosen language."""

    principal: Principal
    username: str
    session_id: str
    csrf_hash: str
    csrf_token: str
    lang: str = "zh"
    # The organisations an agency-bound viewer sees: its agency and the subcontractors it engaged
    # (agencies.repository.family, as the API scopes an agency's key); None for the institution's own people.
    orgs: tuple[str, ...] | None = None

    def L(self, zh: str, en: str) -> str:  # noqa: N802 — reads like a marker in templates and code
        return en if self.lang == "en" else zh

    def can(self, permission: Permission) -> bool:
        return self.principal.can(permission)

    @property
    def institution(self) -> str:
        return self.principal.institution_id

    @property
    def agency(self) -> str | None:
        """The agency an agency-bound viewer acts for (it sees only that agency); None for the institution's people."""
        return self.principal.agency_id


    @property
    def role_name(self) -> str:
        return self.L(*ROLE_NAMES[self.principal.role])


class SignInRequired(Exception):
    """No live session: the page answers with a redirect to the sign-in form (HX-Redirect for HTMX requests)."""


def now_of(request: Request) -> datetime:
    clock: Callable[[], datetime] = request.app.state.clock
    return clock()


def units_of(request: Request) -> Units:
    return request.app.state.units


def app_state(request: Request, name: str, make: Callable[[], T]) -> T:
    """What the app keeps for every request under `name`, made by `make` on first use (a setting read from the
    environment, a ledger verifier, a cache)."""
    value: T | None = getattr(request.app.state, name, None)
    if value is None:
        value = make()
        setattr(request.app.state, name, value)
    return value


def policy_of(request: Request) -> users.Policy:
    return app_state(request, "user_policy", users.Policy.from_env)


TOUCH_AFTER = timedelta(seconds=60)  # a session's last use is written at most once a minute


def _session_of(request: Request) -> tuple[users.ActiveSession, tuple[str, ...] | None] | None:
    """The live session of the request's cookie. A read-only look first (no write lock on SQLite for a page
    view); the idle clock is moved in a write only when the last use is a minute old or more."""
    token, now, policy = request.cookies.get(SESSION_COOKIE), now_of(request), policy_of(request)
    with units_of(request).read() as session:
        active = users.session_for(Unit(session, at=now), token, policy=policy, touch=False)
        if active is None:
            return None
        agency = active.principal.agency_id
        orgs = tuple(sorted(agencies.family(session, agency))) if agency is not None else None
    if now - active.last_seen_at >= TOUCH_AFTER:
        with units_of(request).write(now) as unit:
            active = users.session_for(unit, token, policy=policy)
    return (active, orgs) if active is not None else None


async def viewer(request: Request) -> Viewer:
    """The signed-in person, or a redirect to the sign-in form. Moves the session's idle clock."""
    found = await run_in_threadpool(_session_of, request)
    if found is None:
        raise SignInRequired()
    active, orgs = found
    v = Viewer(active.principal, active.principal.label or "", active.id, active.csrf_hash,
               request.cookies.get(CSRF_COOKIE, ""), lang_of(request), orgs)
    request.state.viewer = v
    return v


def allowed(permission: Permission, *alternatives: Permission) -> Callable[..., Awaitable[Viewer]]:
    """The viewer, if its role may do `permission` or one of `alternatives`; a 403 page otherwise."""
    wanted = (permission, *alternatives)

    async def check(request: Request) -> Viewer:
        v = await viewer(request)
        if not any(v.can(p) for p in wanted):
            names = " / ".join(p.value for p in wanted)
            raise Forbidden(f"角色 {v.role_name} 无权查看或执行此操作（{names}）",
                             f"role {v.principal.role.value} may not see or do this ({names})")
        return v

    return check


async def _form_token(request: Request) -> str:
    header = request.headers.get("x-csrf-token")
    if header:
        return header
    if request.headers.get("content-type", "").startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get("csrf_token")
        return value if isinstance(value, str) else ""
    return ""


async def check_csrf(request: Request, v: Viewer) -> None:
    """A change must carry the session's CSRF token (form field `csrf_token` or header `X-CSRF-Token`)."""
    if not users.check_csrf_hash(v.csrf_hash, await _form_token(request)):
        raise Forbidden("表单缺少或带有错误的防伪令牌（CSRF），请刷新页面后重试",
                        "the form's CSRF token is missing or wrong; reload the page and try again", code="csrf-refused")


def acting(permission: Permission, *alternatives: Permission) -> Callable[..., Awaitable[Viewer]]:
    """For a POST that changes something: the viewer may do it, and the form carries the session's CSRF token."""
    base = allowed(permission, *alternatives)

    async def check(request: Request) -> Viewer:
        v = await base(request)
        await check_csrf(request, v)
        return v

    return check


Signed = Annotated[Viewer, Depends(viewer)]


# -- templates -----------------------------------------------------------------------------------------------
@pass_context
def _L(ctx: Mapping[str, Any], zh: str, en: str) -> str:  # noqa: N802
    return en if ctx.get("lang") == "en" else zh


def _tojson_attr(value: Any) -> str:
    """JSON for a data-* attribute (escaped by autoescape)."""
    return json.dumps(value, ensure_ascii=False, default=str, separators=(",", ":"))


def _when(value: datetime | date | None, lang: str = "zh", zone: str | None = None) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        if zone:
            from zoneinfo import ZoneInfo
            value = value.astimezone(ZoneInfo(zone))
        return value.strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


def _num(value: int | float | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.1f}"
    return f"{value:,}"


ENV = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]),
                  trim_blocks=True, lstrip_blocks=True)
ENV.globals.update(L=_L, PREFIX=PREFIX, Permission=Permission)
ENV.filters.update(tojson_attr=_tojson_attr, when=_when, num=_num, urlquote=lambda s: quote(str(s), safe=""))

NAV = (  # (path, zh, en, the permissions that open the page: any one of them — as the page's own dependency)
    ("/", "总览", "Overview", (Permission.GATE_READ,)),
    ("/agencies", "机构", "Agencies", (Permission.OVERSIGHT_READ,)),
    ("/collectors", "催收员", "Collectors", (Permission.REGISTRY_READ, Permission.STAFF_WRITE)),
    ("/debtors", "债务人", "Debtors", (Permission.REGISTRY_READ,)),
    ("/obligations", "义务日历", "Obligations", (Permission.OVERSIGHT_READ,)),
    ("/complaints", "投诉", "Complaints", (Permission.OVERSIGHT_READ,)),
    ("/incidents", "事件", "Incidents", (Permission.OVERSIGHT_READ,)),
    ("/qa", "质检", "QA", (Permission.GATE_READ,)),
    ("/deletions", "删除日志", "Deletions", (Permission.OVERSIGHT_READ,)),
    ("/ledger", "账本", "Ledger", (Permission.LEDGER_READ,)),
)


def render(request: Request, template: str, context: Mapping[str, Any] | None = None, *, status: int = 200,
           v: Viewer | None = None, headers: Mapping[str, str] | None = None) -> HTMLResponse:
    """A page (or, for an HTMX request, the same template's fragment if it defines one) as an HTML response."""
    v = v or getattr(request.state, "viewer", None)
    lang = v.lang if v is not None else lang_of(request)
    nav = [(PREFIX + path if path != "/" else PREFIX + "/", zh, en) for path, zh, en, perms in NAV
           if v is not None and any(v.can(p) for p in perms)]
    ctx = {"request": request, "viewer": v, "lang": lang, "nav": nav, "path": request.url.path,
           "htmx": request.headers.get("hx-request") == "true", **(context or {})}
    html = ENV.get_template(template).render(ctx)
    response = HTMLResponse(html, status_code=status, headers=dict(headers or {}))
    secure_headers(response)
    if request.query_params.get("lang") in LANGS:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86_400, path=PREFIX, samesite="lax",
                            secure=is_tls(request))
    return response


def secure_headers(response: Response) -> None:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "no-store"


def is_tls(request: Request) -> bool:
    """Behind TLS: the request came over https (uvicorn reads X-Forwarded-Proto from a trusted proxy)."""
    return request.url.scheme == "https"


def redirect(url: str, request: Request) -> Response:
    """After a POST: 303 to `url`; for HTMX, HX-Redirect (a full page load)."""
    if request.headers.get("hx-request") == "true":
        response: Response = Response(status_code=204, headers={"HX-Redirect": url})
    else:
        response = RedirectResponse(url, status_code=303)
    secure_headers(response)
    return response


def local_next(target: str | None) -> str:
    """Where to go after signing in: a console path only (no open redirect)."""
    if target and target.startswith(PREFIX + "/") and not target.startswith("//") and "\\" not in target:
        return target
    return PREFIX + "/"


# -- tables: paging, sorting, filtering on the server -------------------------------------------------------------
@dataclass(frozen=True)
class Table:
    """A table's request: page (1-based), page size, a sort key among the allowed ones, a direction, a filter text."""

    page: int = 1
    size: int = 25
    sort: str = ""
    desc: bool = False
    q: str = ""
    filters: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, request: Request, *, sorts: Sequence[str], default_sort: str, default_desc: bool = False,
           filters: Sequence[str] = (), size: int = 25) -> Table:
        params = request.query_params
        sort = params.get("sort", default_sort)
        if sort not in sorts:
            sort = default_sort
        order = params.get("order")
        desc = default_desc if order not in ("asc", "desc") else order == "desc"
        try:
            page = max(1, min(10_000, int(params.get("page", "1"))))
        except ValueError:
            page = 1
        return cls(page=page, size=size, sort=sort, desc=desc, q=params.get("q", "").strip()[:100],
                   filters={f: params[f].strip()[:100] for f in filters if params.get(f, "").strip()})

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size

    def link(self, **changes: Any) -> str:
        """The query string of this table with some parameters changed (a sort link, a page link)."""
        state: dict[str, Any] = {"page": self.page, "sort": self.sort, "order": "desc" if self.desc else "asc",
                                 "q": self.q, **self.filters}
        state.update(changes)
        return "?" + urlencode({k: v for k, v in state.items() if v not in ("", None)})

    def sort_link(self, key: str) -> str:
        desc = not self.desc if key == self.sort else False
        return self.link(sort=key, order="desc" if desc else "asc", page=1)

    def pages(self, total: int) -> int:
        return max(1, math.ceil(total / self.size))


def today_utc() -> datetime:
    return datetime.now(UTC)


def markup(html: str) -> Markup:
    """HTML built by code that escaped every value it holds (e.g. highlighted transcript text)."""
    return Markup(html)


def form_invalid(exc: ValidationError) -> InvalidInput:
    """A form that does not validate, as the error a page shows: every field and what is wrong with it."""
    said = "; ".join(f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}" for e in exc.errors(include_url=False))
    return InvalidInput(f"表单有误：{said}", f"the form is not valid: {said}")


async def act(request: Request, run: Callable[[], T], again: Callable[[CollectGuardError, int], Awaitable[Response]],
              done: Callable[[T], str], *, also: tuple[type[CollectGuardError], ...] = ()) -> Response:
    """A form's write: `run` in a worker thread (it opens its own unit); on success a redirect to `done(what it
    returned)`, on an invalid form or a refusal (a Conflict: its rules and articles are in `details`) the page
    again, `again(error, status)`, with the reasons. `also`: more errors shown on the page rather than raised."""
    shown: tuple[type[CollectGuardError], ...] = (Conflict, InvalidInput, *also)
    try:
        outcome = await run_in_threadpool(run)
    except ValidationError as exc:
        return await again(form_invalid(exc), 422)
    except shown as exc:
        return await again(exc, exc.status)
    return redirect(done(outcome), request)
