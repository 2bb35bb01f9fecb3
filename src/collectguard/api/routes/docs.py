"""接口文档 The API docs page, served offline.

Why not FastAPI's default /docs: it loads Swagger UI from a CDN, which a bank's network (and this one)
cannot reach. The Swagger UI 5 bundle shipped in the `fastapi-offline` package is served from here instead,
and the page points only at these files and at /openapi.json — no external URL.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse

from collectguard.errors import NotFound

router = APIRouter(include_in_schema=False)
STATIC = Path(fastapi_offline.__file__).parent / "static"
# Only these files are served: a name is looked up, never joined into a path.
ASSETS: dict[str, tuple[str, str]] = {
    "swagger-ui-bundle.js": ("swagger-ui-bundle.js", "text/javascript; charset=utf-8"),
    "swagger-ui.css": ("swagger-ui.css", "text/css; charset=utf-8"),
    "favicon.png": ("favicon.png", "image/png"),
}
TITLE = "CollectGuard 催收合规网关 — API"


def _page(root: str) -> str:
    config = {
        "url": f"{root}/openapi.json",
        "dom_id": "#swagger-ui",
        "deepLinking": True,
        "persistAuthorization": True,
        "displayRequestDuration": True,
        "validatorUrl": None,  # never ask an outside validator
    }
    return f"""<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(TITLE)}</title>
<link rel="icon" type="image/png" href="{root}/docs/assets/favicon.png">
<link rel="stylesheet" href="{root}/docs/assets/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{root}/docs/assets/swagger-ui-bundle.js"></script>
<script>
const config = {json.dumps(config)};
config.presets = [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset];
config.layout = "BaseLayout";
window.ui = SwaggerUIBundle(config);
</script>
</body>
</html>
"""


@router.get("/docs", response_class=HTMLResponse)
def docs(request: Request) -> HTMLResponse:
    """Swagger UI over /openapi.json, every file served locally."""
    root = html.escape(str(request.scope.get("root_path", "")).rstrip("/"), quote=True)
    return HTMLResponse(_page(root), headers={"Cache-Control": "no-cache"})


@router.get("/docs/assets/{name}")
def asset(name: str) -> FileResponse:
    if name not in ASSETS:
        raise NotFound("docs asset", name, field="name")
    file, media_type = ASSETS[name]
    return FileResponse(STATIC / file, media_type=media_type, headers={"Cache-Control": "public, max-age=86400"})
