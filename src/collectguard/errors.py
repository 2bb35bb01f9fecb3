"""One error base class carrying its HTTP status; every message in Chinese and English, with the field."""

from __future__ import annotations

from typing import Any


class CollectGuardError(Exception):
    status = 400
    code = "bad-request"

    def __init__(
        self,
        message_zh: str,
        message_en: str,
        *,
        field: str | None = None,
        code: str | None = None,
        details: list[dict[str, Any]] | None = None,
    ):
        super().__init__(f"{message_zh} / {message_en}" + (f" [{field}]" if field else ""))
        self.message_zh = message_zh
        self.message_en = message_en
        self.field = field
        self.details = details
        if code is not None:
            self.code = code

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "message_zh": self.message_zh, "message_en": self.message_en,
                               "field": self.field}
        if self.details is not None:
            out["details"] = self.details
        return out


class Unauthenticated(CollectGuardError):
    status = 401
    code = "unauthenticated"


class Forbidden(CollectGuardError):
    status = 403
    code = "forbidden"


class NotFound(CollectGuardError):
    status = 404
    code = "not-found"

    def __init__(self, kind: str, ident: str, *, field: str | None = None):
        super().__init__(f"未找到{kind} {ident}", f"{kind} {ident} not found", field=field)
        self.kind = kind
        self.ident = ident


class Conflict(CollectGuardError):
    status = 409
    code = "conflict"


class Refused(Conflict):
    """A request the rulebook refuses (an agency listed without its admission evaluation, a scheme that pays on
    recovery alone): every failing rule id in `rules`, the first as `code`, each with its article in `details`."""

    def __init__(self, rules: list[tuple[str, str, str, str]], *, field: str | None = None):
        """`rules`: (rule id, article, message zh, message en) for each rule that fails, at least one."""
        super().__init__("；".join(r[2] for r in rules), "; ".join(r[3] for r in rules), field=field, code=rules[0][0],
                         details=[{"rule": r[0], "article": r[1], "message_zh": r[2], "message_en": r[3]} for r in rules])
        self.rules = [r[0] for r in rules]


class InvalidInput(CollectGuardError):
    status = 422
    code = "invalid"


class Unavailable(CollectGuardError):
    status = 503
    code = "unavailable"
