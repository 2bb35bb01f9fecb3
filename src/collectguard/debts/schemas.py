"""What the debts' endpoints accept and answer: debtors and contacts (personal data masked, art. 19(二)3), debts,
placements, what a debtor agreed, and a tenant's own references. The setup models (`DebtorIn`, `DebtIn`, …) are
the registry's shared vocabulary (registry/schemas.py); over HTTP the server makes the id."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from collectguard.fields import (
    Address,
    Amount,
    Cap,
    Flag,
    IdNumber,
    Name,
    Phone,
    Reason,
    ShortText,
    StrictDate,
)
from collectguard.registry import schemas as s
from collectguard.registry.create import ServerMade
from collectguard.rulebook.vocabulary import DebtorStatus, DebtStatus


# == create (POST) bodies: the server makes the id ===================================================
class DebtorCreate(ServerMade, s.DebtorIn):
    id_kind = "debtor"
    setup = s.DebtorIn


class ContactCreate(ServerMade, s.ContactIn):
    id_kind = "contact"
    setup = s.ContactIn


class DebtCreate(ServerMade, s.DebtIn):
    id_kind = "debt"
    setup = s.DebtIn


# == answers =========================================================================================
class DebtorOut(BaseModel):
    """A debtor as the caller may see it. `view`: masked (default), revealed (audited), agency (minimum)."""

    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [
        {"id": "d1", "institution_id": "bank", "name": "张*", "phone": "138****8000",
         "id_number": "110***********1234", "address": "北京市****", "timezone": "Asia/Shanghai",
         "status": "normal", "status_reason": None, "view": "masked"}]})
    id: str
    institution_id: str | None
    name: str | None
    phone: str | None
    id_number: str | None = Field(description="agency view: always null (art. 20(三))")
    address: str | None = Field(description="agency view: always null (art. 20(三))")
    timezone: str
    status: DebtorStatus
    status_reason: str | None
    view: Literal["masked", "revealed", "agency"]


class ContactOut(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [
        {"id": "k1", "debtor_id": "d1", "relation": "colleague", "name": "李*", "phone": "139****9000",
         "refused": False, "refused_at": None, "offers_to_repay": False}]})
    id: str
    debtor_id: str
    relation: str | None
    name: str | None = Field(description="always masked")
    phone: str | None = Field(description="always masked")
    refused: bool
    refused_at: AwareDatetime | None
    offers_to_repay: bool


class DebtOut(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [
        {"id": "loan1", "institution_id": "bank", "debtor_id": "d1", "product": "cash-loan",
         "overdue_amount": "3200.00", "overdue_since": "2026-03-01", "status": "open", "settled_at": None,
         "repaid_total": "0.00", "guarantors": ["d9"]}]})
    id: str
    institution_id: str
    debtor_id: str
    product: str
    overdue_amount: Decimal | None = Field(description="元, a decimal string such as \"3200.00\"")
    overdue_since: date | None
    status: DebtStatus
    settled_at: AwareDatetime | None
    repaid_total: Decimal
    guarantors: list[str] | None = Field(description="担保人 ids; null for agency callers (art. 20(三))")


class PlacementOut(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [
        {"id": 1, "debt_id": "loan1", "agency_id": "agA", "valid_from": "2026-05-01", "valid_to": "2026-06-30"}]})
    id: int
    debt_id: str
    agency_id: str
    valid_from: date
    valid_to: date


class DebtorAgreementOut(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [
        {"id": 1, "debtor_id": "d1", "institution_id": "bank",
         "windows": [{"from": "18:00", "to": "20:00", "days": ["mon", "wed"]}], "voice_cap": 1,
         "effective_call_cap": None, "visit_cap": None, "unreachable": None}]})
    id: int
    debtor_id: str
    institution_id: str
    windows: list[s.WindowIn]
    voice_cap: int | None
    effective_call_cap: int | None
    visit_cap: int | None
    unreachable: s.UnreachableIn | None


class RefOut(BaseModel):
    kind: str
    ref: str
    id: str


# == change (PATCH) bodies ===========================================================================
class DebtorPatch(s.Patch):
    """Personal fields and time zone. Status: POST /v1/debtor-status."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"phone": "13900139000"}]})
    name: Name | None = None
    phone: Phone | None = None
    id_number: IdNumber | None = None
    address: Address | None = None
    timezone: s.TimeZoneName = s.UNSET


class ContactPatch(s.Patch):
    """Relation and personal fields. A refusal: POST /v1/contact-refusals."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"relation": "spouse", "offers_to_repay": True}]})
    relation: ShortText | None = None
    name: Name | None = None
    phone: Phone | None = None
    offers_to_repay: Flag = s.UNSET


class DebtPatch(s.Patch):
    """Product, arrears and guarantors. Repayments and settlement: POST /v1/repayments."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"overdue_amount": "3560.50",
                                                               "overdue_since": "2026-03-01"}]})
    product: str = Field(default=s.UNSET, min_length=1, max_length=100)
    overdue_amount: Amount | None = None
    overdue_since: StrictDate | None = None
    guarantors: s.IdentList = Field(default=s.UNSET, max_length=100)


class PlacementPatch(s.Patch):
    """Shorten (recall early) or extend a placement; it may not overlap another of the same debt."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"to": "2026-05-31"}]})
    ATTRS = {"from_": "valid_from", "to": "valid_to"}
    from_: StrictDate = Field(default=s.UNSET, alias="from")
    to: StrictDate = s.UNSET


class DebtorAgreementPatch(s.Patch):
    model_config = ConfigDict(json_schema_extra={"examples": [{"voice_cap": 1,
                                                               "windows": [{"from": "18:00", "to": "20:00"}]}]})
    windows: list[s.WindowIn] = Field(default=s.UNSET, max_length=50)
    voice_cap: Cap | None = None
    effective_call_cap: Cap | None = None
    visit_cap: Cap | None = None
    unreachable: s.UnreachableIn | None = None


# == events ==========================================================================================
class RepaymentIn(s.Strict):
    """`settled: true` ends collection of the debt: it needs the `debt:settle` permission."""

    debt: s.Ident
    amount: Amount | None = None
    settled: Flag


class ContactRefusedIn(s.Strict):
    contact: s.Ident


class DebtorStatusIn(s.Strict):
    debtor: s.Ident
    status: DebtorStatus
    reason: Reason | None = None
