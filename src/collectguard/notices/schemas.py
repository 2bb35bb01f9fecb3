"""What notices and endpoints look like over HTTP. An endpoint's secret goes in and never comes out."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from collectguard.fields import Flag, Note
from collectguard.notices.models import NoticeKind, NoticeStatus
from collectguard.registry.schemas import Strict


class NoticeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    kind: NoticeKind = NoticeKind.STOP_NOTICE
    institution_id: str
    agency_id: str | None  # None for an obligation alert (it goes to the institution itself)
    debt_id: str | None
    reason: str
    payload: dict[str, Any]
    created_at: AwareDatetime
    status: NoticeStatus
    attempts: int
    next_attempt_at: AwareDatetime | None
    delivered_at: AwareDatetime | None
    last_error: str | None
    acknowledged_at: AwareDatetime | None
    ack_note: str | None


class AckIn(Strict):
    note: Note | None = None


class EndpointIn(Strict):
    url: str = Field(max_length=2000, pattern=r"^https?://[A-Za-z0-9.\-]+(:[0-9]{1,5})?([/?#][!-~]*)?$")
    secret: str = Field(min_length=16, max_length=200)
    active: Flag = True

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("回调地址须为 http(s) URL / the webhook URL must be an http(s) URL")
        return value


class EndpointOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    institution_id: str
    agency_id: str
    url: str
    active: bool
    updated_at: AwareDatetime
    secret_set: bool = True  # the secret itself is never returned


class AlertEndpointOut(BaseModel):
    """An institution's own webhook for obligation alerts (PUT takes an `EndpointIn`)."""

    model_config = ConfigDict(from_attributes=True)

    institution_id: str
    url: str
    active: bool
    updated_at: AwareDatetime
    secret_set: bool = True  # the secret itself is never returned
