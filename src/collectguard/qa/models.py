"""Input and output models of transcript inspection (质检), see shared/qa/FORMAT.md.

一通电话一行 JSON（one call per JSON line）: `Call` validates it; `Finding` is one flagged span.
"""

from __future__ import annotations

from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

Category = Literal[
    "impersonation",
    "identity-hidden",
    "identity-not-stated",
    "identity-not-verified",
    "recording-notice-missing",
    "misleading",
    "threat",
    "insult",
    "third-party-disclosure",
    "third-party-pressure",
    "public-shaming",
    "private-channel",
    "extra-fee",
    "illegal-funding",
]
CATEGORIES: tuple[str, ...] = get_args(Category)

RuleId = Literal[
    "art11-identity",
    "art16-recording-notice",
    "art11-truthful",
    "art16-etiquette",
    "art8-contact-no-disclosure",
    "art7-collection-target",
    "art11-official-channel",
    "art11-no-extra-fees",
    "art11-no-illegal-funding",
    "art16-visit-conduct",
]

#: The RULES.md rule id each category is reported under (FORMAT.md, "Categories").
CATEGORY_RULE: dict[str, str] = {
    "impersonation": "art11-identity",
    "identity-hidden": "art11-identity",
    "identity-not-stated": "art11-identity",
    "identity-not-verified": "art11-identity",
    "recording-notice-missing": "art16-recording-notice",
    "misleading": "art11-truthful",
    "threat": "art16-etiquette",
    "insult": "art16-etiquette",
    "third-party-disclosure": "art8-contact-no-disclosure",
    "third-party-pressure": "art7-collection-target",
    "public-shaming": "art16-etiquette",
    "private-channel": "art11-official-channel",
    "extra-fee": "art11-no-extra-fees",
    "illegal-funding": "art11-no-illegal-funding",
}

#: Chinese names of the categories, for tables and messages.
CATEGORY_ZH: dict[str, str] = {
    "impersonation": "冒充身份",
    "identity-hidden": "隐瞒身份",
    "identity-not-stated": "未表明身份",
    "identity-not-verified": "未核实身份",
    "recording-notice-missing": "未告知录音",
    "misleading": "虚假误导",
    "threat": "威胁恐吓",
    "insult": "侮辱谩骂",
    "third-party-disclosure": "向第三方透露",
    "third-party-pressure": "向第三方施压",
    "public-shaming": "公开曝光",
    "private-channel": "私人收款渠道",
    "extra-fee": "额外收费",
    "illegal-funding": "诱导非法筹资",
}

Severity = Literal["critical", "major", "minor"]
SEVERITY_ZH: dict[str, str] = {"critical": "严重", "major": "重要", "minor": "轻微"}

Speaker = Literal["agent", "debtor", "contact", "other"]
Audience = Literal["debtor", "contact"]


class Turn(BaseModel):
    """One utterance: who spoke, when (seconds, optional) and what."""

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)

    speaker: Speaker
    text: str
    start: float | None = Field(default=None, ge=0)
    end: float | None = Field(default=None, ge=0)
    # end ≥ start is checked once per call (`Call._turn_times`): one Python call per call, not per turn

    @property
    def duration(self) -> float | None:
        if self.start is None or self.end is None:
            return None
        return self.end - self.start


class Call(BaseModel):
    """One call or visit transcript (FORMAT.md, "Input")."""

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)

    id: str = Field(min_length=1)
    audience: Audience
    turns: list[Turn] = Field(min_length=1)
    labels: list[Category] | None = None
    meta: dict[str, Any] = Field(default_factory=dict)
    attempt_id: str | None = Field(default=None, min_length=1, description="the gate attempt this call belongs to")

    @model_validator(mode="after")
    def _turn_times(self) -> Call:
        for i, turn in enumerate(self.turns):
            if turn.start is not None and turn.end is not None and turn.end < turn.start:
                raise ValueError(f"turns.{i}: end {turn.end} is before start {turn.start} / 结束时间早于开始时间")
        return self

    @property
    def interactive(self) -> bool:
        """A call with any non-agent turn is interactive (交互式催收)."""
        return any(turn.speaker != "agent" for turn in self.turns)


class Finding(BaseModel):
    """One flagged span: category, RULES.md rule id, turn index, time span, evidence, severity."""

    model_config = ConfigDict(frozen=True)

    category: Category
    rule: str
    turn: int | None
    start: float | None
    end: float | None
    evidence: str
    severity: Severity
    rule_id: str = Field(default="", exclude=True, description="the YAML rule or check that fired")

    def to_output(self) -> dict[str, Any]:
        """The FORMAT.md output object (without the internal `rule_id`)."""
        return self.model_dump(mode="json")
