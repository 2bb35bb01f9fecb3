"""What every error answer looks like, and which statuses each route documents in the OpenAPI document.

`document_errors(app)` adds, to every operation, each error status it can answer — from what it is, not
from a list kept by hand: every /v1 operation needs an API key (401), may be refused to the caller's role (403),
may name something that is not the caller's (404), reads the database (503, retry) and may refuse a request
it cannot serve as asked (400, the domain errors' default, and a JSON body that cannot be parsed); a route that
takes parameters or a body may find them invalid (422); a change may conflict
(409), and every POST accepts `Idempotency-Key` (409 while the same request is in progress, 422 when the key
was used for another request). What a route states itself (`responses=`) is kept.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, Field


class ErrorOut(BaseModel):
    """Every error: a code, the message in Chinese and English, and the field it concerns."""

    code: str
    message_zh: str
    message_en: str
    field: str | None = None
    errors: list[dict[str, Any]] | None = Field(default=None, description="422: every malformed field")
    details: list[dict[str, Any]] | None = Field(default=None, description="e.g. a template's review findings")


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "请求无效：请求体不是合法 JSON（或嵌套过深、非 UTF-8），或服务器无法按此处理 "
                                            "Bad request: the body is not valid JSON (or is nested too deeply, or is "
                                            "not UTF-8), or the server cannot serve it as asked"},
    401: {"model": ErrorOut, "description": "缺少或无效的 API 密钥 Missing or invalid API key"},
    403: {"model": ErrorOut, "description": "角色无权 The role may not do this"},
    404: {"model": ErrorOut, "description": "不存在或不属于本机构 Not found (or not the caller's)"},
    409: {"model": ErrorOut, "description": "冲突（如编号重复，或相同请求正在处理）Conflict (e.g. a duplicate id, or the "
                                            "same Idempotency-Key request still in progress)"},
    422: {"model": ErrorOut, "description": "请求有误，`field` 指出字段 Invalid input; `field` names it"},
    503: {"model": ErrorOut, "description": "数据库暂不可用，请重试 Database unavailable; retry"},
}


METHODS = ("get", "post", "put", "patch", "delete")
_REF_DEFAULT_422 = "#/components/schemas/HTTPValidationError"
_TEMPLATES: dict[int, tuple[dict[str, Any], list[tuple[re.Pattern[str], list[str]]]]] = {}


def _codes(path: str, method: str, operation: dict[str, Any]) -> set[int]:
    if not path.startswith("/v1/"):
        return set()
    codes = {400, 401, 403, 404, 503}  # 400: a body that is not JSON, or a domain refusal (CollectGuardError)
    if "requestBody" in operation or operation.get("parameters") or method == "post":
        codes.add(422)
    if method != "get":
        codes.add(409)
    return codes


def document_errors(app: FastAPI) -> None:
    """Document on every operation each error status it can answer (see the module's docstring): the
    generated document is completed, whatever the routes were declared with."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        document = generate()
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        schemas.setdefault("ErrorOut", ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}"))
        for path, item in document.get("paths", {}).items():
            for method, operation in item.items():
                if method not in METHODS:
                    continue
                responses = operation.setdefault("responses", {})
                if _REF_DEFAULT_422 in str(responses.get("422", "")):
                    del responses["422"]  # FastAPI's {"detail": […]}: this API answers ErrorOut
                for code in sorted(_codes(path, method, operation)):
                    responses.setdefault(str(code), {
                        "description": ERRORS[code]["description"],
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}},
                    })
        if _REF_DEFAULT_422 not in str(document.get("paths")):
            schemas.pop("HTTPValidationError", None)
            schemas.pop("ValidationError", None)
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def documented_methods(app: FastAPI, path: str) -> list[str]:
    """The methods the document lists for the operation(s) at `path` (a request's path), upper-case, sorted."""
    document = app.openapi()
    cached = _TEMPLATES.get(id(document))
    if cached is None or cached[0] is not document:
        templates = [(re.compile("^" + re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(template)) + "$"),
                      [m.upper() for m in item if m in METHODS]) for template, item in document["paths"].items()]
        cached = (document, templates)
        _TEMPLATES.clear()
        _TEMPLATES[id(document)] = cached
    return sorted({m for pattern, methods in cached[1] if pattern.match(path) for m in methods})
