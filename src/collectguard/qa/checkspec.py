"""Parameters of the call-level checks (调用级检查), read from the `check:` section of a rule file.

Each category file may carry a `check:` mapping; these models validate it, so a bad parameter is a
clear error naming the file. The logic lives in `checks.py`; the words live in the YAML files.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from collectguard.qa.schema import Negation
from collectguard.qa.text import normalize, normalize_pattern

_Strict = ConfigDict(extra="forbid", frozen=True)


#: list-valued parameters that are not keywords (kept out of the automaton)
_NOT_TERMS = frozenset({"meta_keys", "confirming_speakers"})


class CheckParams(BaseModel):
    model_config = _Strict

    @model_validator(mode="before")
    @classmethod
    def _normalise_terms(cls, data: Any) -> Any:
        """Terms are matched on normalised text (您 → 你, full-width → half-width, lower case)."""
        if not isinstance(data, dict):
            return data
        out = dict(data)
        for key, value in data.items():
            if key.endswith("_regex") and isinstance(value, str):
                out[key] = normalize_pattern(value)
            elif key.endswith("_regex") and isinstance(value, list):
                out[key] = [normalize_pattern(v) if isinstance(v, str) else v for v in value]
            elif key not in _NOT_TERMS and isinstance(value, list) and all(isinstance(v, str) for v in value):
                out[key] = list(dict.fromkeys(normalize(v) for v in value))
        return out

    def terms(self) -> set[str]:
        """Every literal term (for the shared Aho-Corasick automaton)."""
        out: set[str] = set()
        for name, value in self:
            if name.endswith("_regex") or name in _NOT_TERMS:
                continue
            if isinstance(value, list) and all(isinstance(v, str) for v in value):
                out |= set(value)
            elif isinstance(value, Negation):
                out |= set(value.negators) | set(value.debunkers) | set(value.ignore)
        return out


def _regex(pattern: str) -> str:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"bad regular expression {pattern!r}: {exc}") from exc
    return pattern


class IdentityStatedParams(CheckParams):
    """identity-not-stated: the opening must name an institution or agency."""

    first_agent_turns: int = Field(default=2, ge=1)
    first_seconds: float = Field(default=30.0, gt=0)
    self_intro: list[str] = Field(min_length=1, description="我是 / 这里是 … cues before an organisation")
    org_suffixes: list[str] = Field(min_length=1, description="…银行 / …公司 / …金融 name endings")
    org_names: list[str] = Field(default_factory=list, description="names that need no suffix (工行…)")
    suffix_blockers: list[str] = Field(default_factory=list, description="资产+管理部: a department, not a name")
    greetings: list[str] = Field(default_factory=list, description="您好 / 喂 … that may open the clause")
    not_name_chars: str = Field(default="你您他她我在的了是把被给这那吗呢吧啊", description="a name has none")
    name_generic: list[str] = Field(default_factory=list, description="农村商业 / 网络 … cut to find a ledger name's core")
    intro_within: int = Field(default=16, ge=0)
    min_name_chars: int = Field(default=2, ge=0, description="characters of name before the suffix")
    meta_keys: list[str] = Field(default_factory=lambda: ["institution", "agency"])
    template_field_regex: str = r"\{(?:institution|agency|company|org)[a-z_]*\}"

    @field_validator("template_field_regex")
    @classmethod
    def _compiles(cls, pattern: str) -> str:
        return _regex(pattern)


class RecordingParams(CheckParams):
    """recording-notice-missing: an interactive call where the agent never says it is recorded."""

    notice: list[str] = Field(min_length=1)
    negation: Negation | None = None


class DebtDetailParams(CheckParams):
    """What counts as a debt detail (债务信息): terms, stated amounts, template fields."""

    debt_terms: list[str] = Field(min_length=1)
    amounts: bool = True
    amount_context: list[str] = Field(
        default_factory=list, description="an amount counts only with one of these nearby (empty: always)"
    )
    amount_context_within: int = Field(default=12, ge=0)
    template_field_regex: str = r"\{[a-z_]*(?:amount|overdue|due|days|penalt|principal|interest|balance|fee)[a-z_]*\}"
    detail_regex: list[str] = Field(default_factory=list, description="patterns such as 逾期N天")
    not_details: list[str] = Field(
        default_factory=list, description="names holding a debt word (小额贷款, 贷款中心): no detail inside them"
    )
    negation: Negation | None = None

    @field_validator("detail_regex")
    @classmethod
    def _detail_compiles(cls, patterns: list[str]) -> list[str]:
        return [_regex(p) for p in patterns]

    @field_validator("template_field_regex")
    @classmethod
    def _compiles(cls, pattern: str) -> str:
        return _regex(pattern)


class IdentityVerifiedParams(DebtDetailParams):
    """identity-not-verified: debt details before the other party confirmed being the debtor."""

    confirm: list[str] = Field(min_length=1, description="是我 / 本人 / 对 … in the other party's turn")
    deny: list[str] = Field(default_factory=list, description="不是 / 打错了 … cancels a confirmation")
    max_confirm_chars: int = Field(default=24, ge=1, description="longer turns need a strong confirmation")
    strong_confirm: list[str] = Field(default_factory=list)
    unsure: list[str] = Field(default_factory=list, description="什么？/ 信号不好 … : no confirmation")
    confirming_speakers: list[str] = Field(default_factory=lambda: ["debtor"])


class DisclosureParams(DebtDetailParams):
    """third-party-disclosure: debt details told to a contact (unless the contact offered to repay)."""

    offer_to_repay: list[str] = Field(default_factory=list)


class AmountParams(CheckParams):
    """misleading (inflated amount): a stated owed amount materially above the ledger's."""

    meta_keys: list[str] = Field(min_length=1)
    owed_context: list[str] = Field(min_length=1, description="欠 / 应还 … near the amount")
    context_within: int = Field(default=10, ge=0)
    tolerance_ratio: float = Field(default=0.10, ge=0)
    tolerance_abs: float = Field(default=50.0, ge=0)


#: category → the parameter model of its call-level check
CHECK_PARAMS: dict[str, type[CheckParams]] = {
    "identity-not-stated": IdentityStatedParams,
    "recording-notice-missing": RecordingParams,
    "identity-not-verified": IdentityVerifiedParams,
    "third-party-disclosure": DisclosureParams,
    "misleading": AmountParams,
}
