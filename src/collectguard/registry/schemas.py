"""Pydantic models of what the registry accepts: the scenario `setup` lists and the HTTP bodies."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, ClassVar, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from collectguard.errors import InvalidInput
from collectguard.fields import (
    NO_NUL,
    WHOLE,
    Address,
    Amount,
    Cap,
    Flag,
    IdNumber,
    LongText,
    Name,
    Phone,
    ShortText,
    StrictDate,
    storable,
    unique,
)
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


ZONES = frozenset(available_timezones())


def _zone(name: str) -> str:
    if name not in ZONES:
        raise ValueError(f"未知时区 / unknown time zone {name!r}")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"未知时区 / unknown time zone {name!r}") from None
    return name


# The document lists the zones (IANA names this server knows), so that what it allows is what is accepted.
TimeZoneName = Annotated[str, Field(min_length=1, max_length=64), AfterValidator(_zone),
                         WithJsonSchema({"type": "string", "enum": sorted(ZONES), "description": "IANA time zone"})]


def _hhmm(text: str) -> str:
    parse_hhmm(text)
    return text


HHMM = Annotated[str, Field(max_length=8, pattern=r"^(([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?|24:00(:00)?)$"),
                 AfterValidator(_hhmm)]
IdentList = Annotated[list[Ident], AfterValidator(unique), Field(json_schema_extra={"uniqueItems": True})]
Days = Annotated[int, Field(ge=1, le=366), WHOLE]
Attempts = Annotated[int, Field(ge=1, le=1000), WHOLE]
LeaseTtl = Annotated[int, Field(ge=1, le=86_400), WHOLE]


class Strict(BaseModel):
    """Input models: unknown keys refused, values immutable, no NUL character and no lone surrogate in any
    text (PostgreSQL and the ledger's hash refuse them; see collectguard.fields)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @field_validator("*", mode="after")
    @classmethod
    def _text_is_storable(cls, value: Any) -> Any:
        return storable(value)

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: Any, handler: Any) -> Any:
        """The document says what `_text_is_storable` refuses: a string property with no pattern of its own gets
        one excluding NUL, so that text generated from the document is text this model accepts."""
        schema = handler.resolve_ref_schema(handler(core_schema))
        for prop in schema.get("properties", {}).values():
            for branch in [prop, *prop.get("anyOf", [])]:
                if branch.get("type") == "string" and not {"pattern", "enum", "format", "const"} & branch.keys():
                    branch["pattern"] = NO_NUL
        return schema


# "Not sent": a field typed without None keeps its value when omitted and refuses an explicit null.
UNSET: Any = None


class Patch(Strict):
    """A change (PATCH body). Only the fields sent change. `null` clears a field that may be empty; a field typed
    without null (a flag, a period's end) refuses it. The id never changes: an unknown field, `id` included, is a
    422."""

    ATTRS: ClassVar[dict[str, str]] = {}  # body field → row attribute, where they differ

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: Any, handler: Any) -> Any:
        schema = super().__get_pydantic_json_schema__(core_schema, handler)
        schema["minProperties"] = 1  # an empty change is refused (422)
        return schema

    def changes(self) -> dict[str, Any]:
        if not self.model_fields_set:
            raise InvalidInput("没有要修改的字段", "nothing to change: send at least one field", field=None)
        return {self.ATTRS.get(name, name): getattr(self, name) for name in sorted(self.model_fields_set)}


class InstitutionIn(Strict):
    id: Ident
    name: Name | None = None
    since: StrictDate | None = Field(default=None, description="开始催收的日期 the day it started collecting (the "
                                     "first anchor of its yearly self-inspection); default: the day it is registered")
    timezone: TimeZoneName | None = Field(default=None, description="计算义务期限的时区 the zone its obligations' "
                                          "days are counted in (default Asia/Shanghai)")



class InstitutionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [
        {"id": "bank", "name": "示例银行", "profile": "nifa-2024", "policy": {"voice_cap": 2}}]})
    id: str
    name: str | None
    profile: str
    policy: dict[str, Any]


class InstitutionPatch(Patch):
    model_config = ConfigDict(json_schema_extra={"examples": [{"name": "示例银行股份有限公司"}]})
    name: Name | None = None

class AgencyIn(Strict):
    id: Ident
    name: Name | None = None
    listed_by: IdentList = Field(default=[], max_length=1000)
    parent: Ident | None = None
    approved_by: IdentList = Field(default=[], max_length=1000)


class AgreementIn(Strict):
    id: Ident
    institution: Ident
    agency: Ident
    from_: StrictDate = Field(alias="from")
    to: StrictDate
    subcontracting: Flag = False

    @model_validator(mode="after")
    def _order(self) -> AgreementIn:
        if self.to < self.from_:
            raise ValueError("`to` 早于 `from` / `to` is before `from`")
        return self


class CollectorIn(Strict):
    id: Ident
    org: Ident
    kind: CollectorKind
    pre_job_exam: StrictDate | None = None
    pledge_signed: Flag = False
    last_training: StrictDate | None = None
    approved: Flag = False
    status: CollectorStatus = CollectorStatus.ACTIVE


class ToolIn(Strict):
    id: Ident
    institution: Ident
    type: ToolType
    official: Flag = False
    filed: Flag = False
    org: Ident | None = None
    active_from: StrictDate | None = None
    active_to: StrictDate | None = None


class TemplateIn(Strict):
    id: Ident
    institution: Ident
    audience: Audience
    channel: Channel
    approved: Flag = False
    sealed: Flag = False
    text: LongText


class DebtorIn(Strict):
    id: Ident
    name: Name | None = None
    phone: Phone | None = None
    id_number: IdNumber | None = None
    address: Address | None = None
    timezone: TimeZoneName | None = None
    status: DebtorStatus = DebtorStatus.NORMAL


class ContactIn(Strict):
    id: Ident
    debtor: Ident
    relation: ShortText | None = None
    name: Name | None = None
    phone: Phone | None = None
    refused: Flag = False
    offers_to_repay: Flag = False


class DebtIn(Strict):
    id: Ident
    institution: Ident
    debtor: Ident
    product: str = Field(min_length=1, max_length=100)
    guarantors: IdentList = Field(default=[], max_length=100)
    overdue_amount: Amount | None = None
    overdue_since: StrictDate | None = None
    status: DebtStatus = DebtStatus.OPEN


class PlacementIn(Strict):
    debt: Ident
    agency: Ident
    from_: StrictDate = Field(alias="from")
    to: StrictDate

    @model_validator(mode="after")
    def _order(self) -> PlacementIn:
        if self.to < self.from_:
            raise ValueError("`to` 早于 `from` / `to` is before `from`")
        return self


class UnreachableIn(Strict):
    window_days: Days = 7
    min_attempts: Attempts = 3
    min_distinct_days: Days = 2


class WindowIn(Strict):
    from_: HHMM = Field(alias="from")
    to: HHMM
    days: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] | None = Field(default=None, min_length=1,
                                                                                         max_length=7)

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
    windows: list[WindowIn] = Field(default=[], max_length=50)
    voice_cap: Cap | None = None
    effective_call_cap: Cap | None = None
    visit_cap: Cap | None = None
    unreachable: UnreachableIn | None = None


class QuietHoursIn(Strict):
    from_: HHMM = Field(alias="from")
    to: HHMM


class PolicyIn(Strict):
    """Per-institution policy overrides: stricter than the guideline, never looser."""

    unreachable: UnreachableIn | None = None
    lease_ttl_s: LeaseTtl | None = None
    combined_voice_cap: Cap | None = None
    voice_cap: Cap | None = None
    effective_call_cap: Cap | None = None
    visit_cap: Cap | None = None
    quiet_hours: QuietHoursIn | None = None
    pre_expiry_days: Annotated[int, WHOLE] | None = Field(default=None, description="协议到期前评估提前天数（≥30）days "
                                        "before an agreement ends by which its pre-expiry evaluation is done (≥ 30)")
    complaint_days: Annotated[int, WHOLE] | None = Field(default=None, description="投诉答复期限（≤15天）days to answer "
                                       "a complaint (≤ 15)")


class StaffRole(StrEnum):
    COMPLIANCE = "compliance"
    COLLECTION = "collection"
    MANAGEMENT = "management"


class StaffIn(Strict):
    """A person of an institution or an agency who evaluates, inspects, investigates or reports (OVERSIGHT.md)."""

    id: Ident
    org: Ident
    role: StaffRole | None = None
    name: Name | None = None


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
    staff: list[StaffIn] = []


# What an event answers: its ledger kind (ledger/tags.py), its subject and the record's sequence number.
class EventOut(BaseModel):
    kind: str
    subject: str
    ledger_seq: int
    detail: dict[str, Any] = {}
