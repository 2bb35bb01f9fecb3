"""Pydantic models of what the registry accepts: the scenario `setup` lists and the HTTP bodies."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from collectguard.rulebook.profile import parse_hhmm
from collectguard.rulebook.vocabulary import (
    WEEKDAYS,
    Audience,
    Channel,
    CollectorKind,
    CollectorStatus,
    DebtorStatus,
    DebtStatus,
    ToolType,
)

Ident = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:\-]+$")]
DEFAULT_TIMEZONE = "Asia/Shanghai"


def _zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"未知时区 / unknown time zone {name!r}") from None
    return name


TimeZoneName = Annotated[str, AfterValidator(_zone)]


def _hhmm(text: str) -> str:
    parse_hhmm(text)
    return text


HHMM = Annotated[str, AfterValidator(_hhmm)]


def _no_nul(value: Any) -> Any:
    if isinstance(value, str) and "\x00" in value:
        raise ValueError("不能包含 NUL 字符 / must not contain NUL characters")
    if isinstance(value, (list, tuple)):
        for item in value:
            _no_nul(item)
    return value


class Strict(BaseModel):
    """Input models: unknown keys refused, values immutable, no NUL characters (PostgreSQL refuses them)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @field_validator("*", mode="after")
    @classmethod
    def _text_is_storable(cls, value: Any) -> Any:
        return _no_nul(value)


class InstitutionIn(Strict):
    id: Ident
    name: str | None = Field(default=None, max_length=200)


class AgencyIn(Strict):
    id: Ident
    name: str | None = Field(default=None, max_length=200)
    listed_by: list[Ident] = []
    parent: Ident | None = None
    approved_by: list[Ident] = []


class AgreementIn(Strict):
    id: Ident
    institution: Ident
    agency: Ident
    from_: date = Field(alias="from")
    to: date
    subcontracting: bool = False

    @model_validator(mode="after")
    def _order(self) -> AgreementIn:
        if self.to < self.from_:
            raise ValueError("`to` 早于 `from` / `to` is before `from`")
        return self


class CollectorIn(Strict):
    id: Ident
    org: Ident
    kind: CollectorKind
    pre_job_exam: date | None = None
    pledge_signed: bool = False
    last_training: date | None = None
    approved: bool = False
    status: CollectorStatus = CollectorStatus.ACTIVE


class ToolIn(Strict):
    id: Ident
    institution: Ident
    type: ToolType
    official: bool = False
    filed: bool = False
    org: Ident | None = None
    active_from: date | None = None
    active_to: date | None = None


class TemplateIn(Strict):
    id: Ident
    institution: Ident
    audience: Audience
    channel: Channel
    approved: bool = False
    sealed: bool = False
    text: str = Field(min_length=1)


class DebtorIn(Strict):
    id: Ident
    name: str | None = None
    phone: str | None = None
    id_number: str | None = None
    address: str | None = None
    timezone: TimeZoneName | None = None
    status: DebtorStatus = DebtorStatus.NORMAL


class ContactIn(Strict):
    id: Ident
    debtor: Ident
    relation: str | None = Field(default=None, max_length=64)
    name: str | None = None
    phone: str | None = None
    refused: bool = False
    offers_to_repay: bool = False


class DebtIn(Strict):
    id: Ident
    institution: Ident
    debtor: Ident
    product: str = Field(min_length=1, max_length=100)
    guarantors: list[Ident] = []
    overdue_amount: Decimal | None = Field(default=None, ge=0, max_digits=18, decimal_places=2)
    overdue_since: date | None = None
    status: DebtStatus = DebtStatus.OPEN


class PlacementIn(Strict):
    debt: Ident
    agency: Ident
    from_: date = Field(alias="from")
    to: date

    @model_validator(mode="after")
    def _order(self) -> PlacementIn:
        if self.to < self.from_:
            raise ValueError("`to` 早于 `from` / `to` is before `from`")
        return self


class UnreachableIn(Strict):
    window_days: int = Field(7, ge=1, le=366)
    min_attempts: int = Field(3, ge=1)
    min_distinct_days: int = Field(2, ge=1)


class WindowIn(Strict):
    from_: HHMM = Field(alias="from")
    to: HHMM
    days: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] | None = None

    @field_validator("days")
    @classmethod
    def _nonempty(cls, days: list[str] | None) -> list[str] | None:
        if days is not None and not days:
            raise ValueError("days 不能为空 / days must not be empty (omit it for every day)")
        return days

    def weekday_numbers(self) -> frozenset[int] | None:
        return None if self.days is None else frozenset(WEEKDAYS.index(d) for d in self.days)


class DebtorAgreementIn(Strict):
    debtor: Ident
    institution: Ident
    windows: list[WindowIn] = []
    voice_cap: int | None = Field(default=None, ge=0)
    effective_call_cap: int | None = Field(default=None, ge=0)
    visit_cap: int | None = Field(default=None, ge=0)
    unreachable: UnreachableIn | None = None


class QuietHoursIn(Strict):
    from_: HHMM = Field(alias="from")
    to: HHMM


class PolicyIn(Strict):
    """Per-institution policy overrides: stricter than the guideline, never looser."""

    unreachable: UnreachableIn | None = None
    lease_ttl_s: int | None = Field(default=None, ge=1, le=86_400)
    combined_voice_cap: int | None = Field(default=None, ge=0)
    voice_cap: int | None = Field(default=None, ge=0)
    effective_call_cap: int | None = Field(default=None, ge=0)
    visit_cap: int | None = Field(default=None, ge=0)
    quiet_hours: QuietHoursIn | None = None


class World(Strict):
    """Everything a scenario's `setup` (or a bulk import) creates, in dependency order."""

    institutions: list[InstitutionIn] = []
    agencies: list[AgencyIn] = []
    agreements: list[AgreementIn] = []
    collectors: list[CollectorIn] = []
    tools: list[ToolIn] = []
    templates: list[TemplateIn] = []
    debtors: list[DebtorIn] = []
    contacts: list[ContactIn] = []
    debts: list[DebtIn] = []
    placements: list[PlacementIn] = []
    debtor_agreements: list[DebtorAgreementIn] = []
