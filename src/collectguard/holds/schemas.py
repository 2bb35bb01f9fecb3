"""What a hold looks like on the way in and out."""

from __future__ import annotations

from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, model_validator

from collectguard.fields import Instant, Note
from collectguard.registry.schemas import Ident, Strict


class HoldReason(StrEnum):
    DISPUTE = "dispute"  # 债务争议
    REGULATOR_COMPLAINT = "regulator_complaint"  # 投诉升级至监管
    HARDSHIP = "hardship"  # 经济困难
    LITIGATION = "litigation"  # 诉讼中
    SUSPECTED_FRAUD = "suspected_fraud"  # 疑似欺诈
    IDENTITY_THEFT = "identity_theft"  # 身份冒用
    DECEASED = "deceased"  # 死亡


class HoldIn(Strict):
    # exactly one of `debt` and `debtor`, stated in the document as the validator below enforces it
    model_config = ConfigDict(json_schema_extra={"oneOf": [
        {"required": ["debt"], "properties": {"debt": {"type": "string", "maxLength": 64}, "debtor": {"type": "null"}}},
        {"required": ["debtor"], "properties": {"debtor": {"type": "string", "maxLength": 64}, "debt": {"type": "null"}}},
    ]})

    id: Ident
    institution: Ident
    debt: Ident | None = None
    debtor: Ident | None = None
    reason: HoldReason
    note: Note | None = None
    starts_at: Instant | None = None  # default: now; may be in the past

    @model_validator(mode="after")
    def _target(self) -> HoldIn:
        if (self.debt is None) == (self.debtor is None):
            raise ValueError("暂停须指定债务或债务人之一 / a hold is on exactly one of `debt` or `debtor`")
        return self


class HoldReleaseIn(Strict):
    hold: Ident
    note: Note | None = None


class HoldOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    institution_id: str
    debt_id: str | None
    debtor_id: str | None
    reason: HoldReason
    note: str | None
    starts_at: AwareDatetime
    released_at: AwareDatetime | None
