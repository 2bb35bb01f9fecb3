"""The FastAPI application: routes, errors as JSON (code, message in Chinese and English, field)."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DBAPIError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from collectguard import __version__
from collectguard.agencies import endpoints as agencies
from collectguard.api.idempotency import IdempotencyMiddleware
from collectguard.api.responses import document_errors, documented_methods
from collectguard.api.routes import (
    docs,
    figures,
    gate,
    holds,
    keys,
    leases,
    ledger,
    notices,
    policy,
    qa,
)
from collectguard.api.sweeper import LeaseSweeper
from collectguard.collectors import endpoints as collectors
from collectguard.complaints import endpoints as complaints
from collectguard.complaints import report_endpoints as complaint_reports
from collectguard.complaints import signal_endpoints as complaint_signals
from collectguard.config import Settings
from collectguard.console import endpoints as console
from collectguard.db.migrate import upgrade
from collectguard.db.store import Store
from collectguard.debts import endpoints as debts
from collectguard.errors import CollectGuardError, InvalidInput
from collectguard.gate.service import Gate
from collectguard.incidents import endpoints as incidents
from collectguard.ledger.export import CheckpointConfig, CheckpointSchedule, schedule_for
from collectguard.monitoring import endpoints as monitoring
from collectguard.notices import endpoints as alert_endpoints
from collectguard.oversight import endpoints as oversight
from collectguard.oversight.alerts import AlertPass
from collectguard.public import endpoints as public
from collectguard.registry import endpoints as institutions
from collectguard.registry.unit import Units
from collectguard.retention import endpoints as retention
from collectguard.templates import endpoints as templates
from collectguard.tools import endpoints as tools

DESCRIPTION = """
催收合规网关 CollectGuard — ask the gate before every collection contact (call, SMS, 5G message, e-mail,
IM, video, letter, field visit) and report every outcome. Every request carries an API key
(`Authorization: Bearer cgk_…`) bound to one institution and one role. A compliance deny is a normal
200 answer listing every failing rule; errors are JSON `{code, message_zh, message_en, field}`.
Every POST accepts `Idempotency-Key`: a retry returns the first answer and never acts twice.
"""


def _utcnow() -> datetime:
    return datetime.now(UTC)


def create_app(db_url: str, *, migrate: bool = True, clock: Callable[[], datetime] = _utcnow,
               algorithm: str = "sm3", lease_sweep_s: float | None = None,
               checkpoints: CheckpointConfig | None = None) -> FastAPI:
    """`lease_sweep_s`: how often leases without an outcome are expired (default: the settings'; 0 = never).
    `checkpoints`: signed ledger checkpoints taken on a schedule (default: the settings'; off without a key)."""
    if migrate:
        upgrade(db_url)
    store = Store(db_url)
    app = FastAPI(
        title="CollectGuard 催收合规网关",
        version=__version__,
        description=DESCRIPTION,
        openapi_url="/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=_lifespan,
    )
    # The settings the routes read: the ledger's hash lives here, not in the gate.
    base = Settings.from_env() if lease_sweep_s is None else Settings(lease_sweep_s=lease_sweep_s)
    settings = replace(base, db_url=db_url, ledger_hash=algorithm)
    app.state.settings = settings
    app.state.store = store
    app.state.units = Units(store, settings.ledger_hash)
    app.state.gate = Gate(store, algorithm=settings.ledger_hash)
    app.state.clock = clock
    app.state.lease_sweeper = LeaseSweeper(app.state.gate, clock, settings.lease_sweep_s)
    app.state.checkpoints = schedule_for(store, clock, checkpoints)
    app.state.alerts = AlertPass(app.state.units, clock, settings.alert_interval_s,
                                 due_within_days=settings.alert_due_within_days)
    app.add_middleware(IdempotencyMiddleware, store=store)
    # leases before gate: /v1/attempts/missing-outcomes is not an attempt id
    for router in (qa.router, leases.router, gate.router, policy.router, holds.router, ledger.router,
                   keys.router, notices.router, alert_endpoints.router, figures.router,
                   institutions.router, agencies.router, collectors.router, tools.router, templates.router,
                   debts.router, debts.refs, public.router, public.pages,
                   monitoring.router, oversight.router, complaints.router, complaint_reports.router,
                   complaint_signals.router,
                   incidents.router, retention.router,
                   docs.router):
        app.include_router(router)
    console.install(app)  # the web console under /console, in the same process (console/endpoints.py)
    _errors(app)
    document_errors(app)

    @app.get("/healthz", tags=["ops"], summary="存活检查 Liveness")
    def healthz() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    return app


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """The lease sweeper runs while the server does; it stops, its batch in hand finished, on shutdown."""
    sweeper: LeaseSweeper = app.state.lease_sweeper
    alerts: AlertPass = app.state.alerts
    checkpoints: CheckpointSchedule | None = app.state.checkpoints
    if checkpoints is not None:
        await checkpoints.start()
    try:
        async with sweeper.during(), alerts.during():  # the alert pass: oversight/alerts.py
            yield
    finally:
        if checkpoints is not None:  # after the sweeper: the last checkpoint covers what it recorded
            await checkpoints.stop()


def _unparseable_body(cause: BaseException) -> JSONResponse:
    """A JSON body that the parser gives up on: nested deeper than it recurses (about 1,000 levels; no body
    of this API nests more than four), or not UTF-8. A 400 naming the body, never a 500."""
    if isinstance(cause, RecursionError):
        zh, en, code = "请求体 JSON 嵌套过深", "the JSON body is nested too deeply", "json-too-deep"
    else:
        zh, en, code = "请求体不是 UTF-8 编码", "the JSON body is not UTF-8", "json-not-utf8"
    return JSONResponse({"code": code, "message_zh": zh, "message_en": en, "field": "body"}, status_code=400)


def _allowed_methods(app: FastAPI, request: Request) -> str:
    """Every method the document lists at this path (Starlette names only the first matching route's)."""
    return ", ".join(documented_methods(app, request.url.path))


def _errors(app: FastAPI) -> None:
    @app.exception_handler(CollectGuardError)
    async def domain_error(request: Request, exc: CollectGuardError) -> Response:
        if console.is_console(request):
            return console.error_page(request, exc)
        return JSONResponse(exc.as_dict(), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def malformed(request: Request, exc: RequestValidationError) -> Response:
        first: dict[str, Any] = exc.errors()[0] if exc.errors() else {}
        loc = [str(p) for p in first.get("loc", ())][1:] if first.get("loc") else []
        if console.is_console(request):
            return console.error_page(request, InvalidInput(f"请求格式错误：{first.get('msg', '')}",
                                                            f"malformed request: {first.get('msg', '')}",
                                                            field=".".join(loc) or None))
        return JSONResponse(
            {
                "code": "invalid",
                "message_zh": f"请求格式错误：{first.get('msg', '')}",
                "message_en": f"malformed request: {first.get('msg', '')}",
                "field": ".".join(loc) or None,
                "errors": [{"field": ".".join(str(p) for p in e.get("loc", ())), "message": e.get("msg")}
                           for e in exc.errors()],
            },
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 400 and isinstance(exc.__cause__, (RecursionError, UnicodeDecodeError)):
            return _unparseable_body(exc.__cause__)
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405:
            headers = {**(headers or {}), "Allow": _allowed_methods(app, request)}
        zh = {400: "请求无效", 404: "未找到", 405: "方法不允许"}.get(exc.status_code, "请求失败")
        if console.is_console(request):
            page = CollectGuardError(f"{zh}：{request.url.path}", f"{exc.detail}: {request.url.path}",
                                     code=f"http-{exc.status_code}")
            page.status = exc.status_code
            return console.error_page(request, page)
        return JSONResponse(
            {"code": f"http-{exc.status_code}", "message_zh": f"{zh}：{exc.detail}", "message_en": str(exc.detail),
             "field": None},
            status_code=exc.status_code, headers=headers,
        )

    def unavailable() -> JSONResponse:
        return JSONResponse(
            {"code": "db-unavailable", "message_zh": "数据库暂不可用，请重试", "message_en": "database unavailable; retry",
             "field": None},
            status_code=503,
        )

    @app.exception_handler(DBAPIError)
    async def database_down(_: Request, exc: DBAPIError) -> JSONResponse:
        # Down, restarting, full, read-only (OperationalError) or the connection lost under the request:
        # a clear 503 the caller may retry. Any other database error is a bug: a 500, logged.
        if not (isinstance(exc, OperationalError) or exc.connection_invalidated):
            raise exc
        return unavailable()

    async def driver_database_down(_: Request, exc: Exception) -> JSONResponse:
        return unavailable()

    # The same, raised by the driver itself where SQLAlchemy does not wrap it (Engine.raw_connection(),
    # a raw DBAPI cursor): PostgreSQL refusing or dropping connections, SQLite full or read-only.
    for driver_error in (sqlite3.OperationalError, psycopg.OperationalError):
        app.add_exception_handler(driver_error, driver_database_down)
