"""The operator models of rule files (邻近 / 否定 / 位置 / 语速 / 静音), shared by rules and checks."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

_Strict = ConfigDict(extra="forbid", frozen=True)


class Near(BaseModel):
    """Proximity (邻近): a term of `left` and a term of `right` within `within` characters."""

    model_config = _Strict
    left: list[str] = Field(min_length=1)
    right: list[str] = Field(min_length=1)
    within: int = Field(ge=0, le=200)
    ordered: bool = True  #: `left` must come before `right`
    same_clause: bool = False  #: no clause punctuation (，。！？；) between the two terms


class Negation(BaseModel):
    """Negation scope (否定范围): a negator shortly before, or a debunker shortly after, cancels a hit."""

    model_config = _Strict
    before: int = Field(default=6, ge=0, le=50)
    after: int = Field(default=8, ge=0, le=50)
    negators: list[str] = Field(default_factory=list)
    debunkers: list[str] = Field(default_factory=list)
    ignore: list[str] = Field(
        default_factory=list, description="是不是 / 会不会 / 不得不 …: a negator inside one of these is no negator"
    )
    breakers: list[str] = Field(
        default_factory=list, description="就 / 的话 / 否则 … between negator and hit: the negation does not reach"
    )


class Position(BaseModel):
    """Where in the call a rule applies (位置): first N seconds / first N agent turns / before turn X."""

    model_config = _Strict
    first_seconds: float | None = Field(default=None, gt=0)
    first_agent_turns: int | None = Field(default=None, ge=1)
    before_turn: int | None = Field(default=None, ge=0)


class SpeechRate(BaseModel):
    """Speech rate (语速) in characters per second, from the turn's start and end."""

    model_config = _Strict
    min_cps: float | None = Field(default=None, ge=0)
    max_cps: float | None = Field(default=None, ge=0)


class Silence(BaseModel):
    """Silence (静音) before the turn: the gap since the previous turn ended, in seconds."""

    model_config = _Strict
    min_before: float | None = Field(default=None, ge=0)
    max_before: float | None = Field(default=None, ge=0)
