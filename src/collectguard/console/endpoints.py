"""The console's routes, mounted under /console beside the API: every page module's router, the static assets
(vendored HTMX and ECharts, the console's CSS and script), and HTML error pages for the console's paths.

Console pages are not in the OpenAPI document (they are HTML for people, not an API)."""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from collectguard.console import pages, web
from collectguard.console.pages import signin
from collectguard.errors import CollectGuardError

# Pages `python -m bench.console_pages` times (paths under /console; `{agency}`, `{collector}` and `{debtor}` are
# filled with demo ids by the bench). Each page module adds its own when it lands.
BENCH_PAGES: list[str] = []


def install(app: FastAPI) -> None:
    """Mount the console on the app: its routes, `/console/static`, and its redirects and error pages."""
    router = APIRouter(prefix=web.PREFIX, include_in_schema=False)
    router.include_router(signin.router)
    for module in page_modules():
        router.include_router(module.router)
        BENCH_PAGES.extend(p for p in getattr(module, "BENCH_PAGES", ()) if p not in BENCH_PAGES)
    app.include_router(router)

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:  # what a browser asks for on a page that names no icon (the API's JSON, /docs)
        return FileResponse(web.HERE / "static" / "favicon.svg", media_type="image/svg+xml")

    @app.get(web.PREFIX, include_in_schema=False)
    def console_root() -> Response:
        return RedirectResponse(web.PREFIX + "/", status_code=307)

    app.mount(f"{web.PREFIX}/static", StaticFiles(directory=web.HERE / "static"), name="console-static")

    @app.exception_handler(web.SignInRequired)
    async def sign_in_first(request: Request, _: web.SignInRequired) -> Response:
        target = f"{web.PREFIX}/sign-in?next=" + web.quote(str(request.url.path) + (
            "?" + request.url.query if request.url.query else ""), safe="")
        if request.headers.get("hx-request") == "true":
            return Response(status_code=204, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)


def page_modules() -> list[ModuleType]:
    """Every page module in console/pages/ (each has a `router`; sign-in is mounted first)."""
    names = sorted(m.name for m in pkgutil.iter_modules(pages.__path__) if m.name != "signin")
    return [importlib.import_module(f"collectguard.console.pages.{name}") for name in names]


def error_page(request: Request, exc: CollectGuardError) -> Response:
    """A domain error met on a console path, as a page in the viewer's language (or a fragment for HTMX)."""
    return web.render(request, "error.html", {"error": exc}, status=exc.status)


def is_console(request: Request) -> bool:
    path = request.url.path
    return path == web.PREFIX or path.startswith(web.PREFIX + "/")
