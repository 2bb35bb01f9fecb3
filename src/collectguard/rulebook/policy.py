"""Per-institution policy and per-debtor agreements, resolved into the limits one attempt is judged by.

An institution may be stricter than the guideline, never looser (a looser policy is refused). A debtor's
agreement may change hours and the three per-day caps, where the guideline says "unless agreed".
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import time
from typing import TYPE_CHECKING

from collectguard.rulebook.calendar import Window, windows_outside
from collectguard.rulebook.parameters import QuietHours, UnreachableDefinition

if TYPE_CHECKING:  # the profile module assembles rules whose checks read policies: only its type is needed
    from collectguard.rulebook.profile import Profile


class PolicyError(ValueError):
    """A policy that would loosen the guideline, or is not well formed. `field` names where."""

    def __init__(self, field: str, message_zh: str, message_en: str) -> None:
        super().__init__(f"{field}: {message_zh} / {message_en}")
        self.field = field
        self.message_zh = message_zh
        self.message_en = message_en


@dataclass(frozen=True)
class InstitutionPolicy:
    voice_cap: int | None = None
    effective_call_cap: int | None = None
    visit_cap: int | None = None
    combined_voice_cap: int | None = None
    quiet_hours: QuietHours | None = None
    unreachable: UnreachableDefinition | None = None
    lease_ttl_s: int | None = None
    pre_expiry_days: int | None = None  # stricter is larger (OVERSIGHT.md)
    complaint_days: int | None = None  # stricter is smaller


@dataclass(frozen=True)
class DebtorAgreementTerms:
    """What a debtor agreed with an institution (art. 9, 15(二), 16(二)(三), 8(二))."""

    windows: tuple[Window, ...] = ()
    voice_cap: int | None = None
    effective_call_cap: int | None = None
    visit_cap: int | None = None
    unreachable: UnreachableDefinition | None = None


@dataclass(frozen=True)
class Limits:
    """Everything numeric that one attempt is judged by, after profile, policy and agreement."""

    windows: tuple[Window, ...]
    windows_agreed: bool
    voice_cap: int
    effective_call_cap: int
    visit_cap: int
    combined_voice_cap: int | None
    unreachable: UnreachableDefinition
    lease_ttl_s: int
    effective_call_min_duration_s: float
    visit_team_min: int
    visit_team_max: int
    letter_interval_days: int
    training_valid_days: int


DAY_US = 24 * 3600 * 1_000_000


def _us(t: time) -> int:
    """Microseconds since midnight: quiet hours are compared exactly, never rounded to the minute."""
    return ((t.hour * 60 + t.minute) * 60 + t.second) * 1_000_000 + t.microsecond


def _quiet_spans(quiet: QuietHours) -> list[tuple[int, int]]:
    """The half-open spans [from, to) of a day that quiet hours cover, wrapping past midnight. Quiet hours
    whose `from` equals their `to` cover the whole day, as the calendar keeps them (`windows_outside`)."""
    start, end = _us(quiet.start), _us(quiet.end)
    if quiet.all_day:
        return [(0, DAY_US)]
    if start < end:
        return [(start, end)]
    return [(start, DAY_US), (0, end)]


def _covers(outer: QuietHours, inner: QuietHours) -> bool:
    """Whether every instant of the day quiet under `inner` is quiet under `outer` too."""
    spans = _quiet_spans(outer)
    return all(any(s <= a and b <= e for s, e in spans) for a, b in _quiet_spans(inner))


def validate_policy(policy: InstitutionPolicy, profile: Profile) -> None:
    """Refuse anything looser than the guideline, with the field at fault."""
    for name in ("voice_cap", "effective_call_cap", "visit_cap"):
        value = getattr(policy, name)
        if value is None:
            continue
        limit = getattr(profile, name)
        if value < 0:
            raise PolicyError(name, f"不能为负数（{value}）", f"must not be negative ({value})")
        if value > limit:
            raise PolicyError(
                name,
                f"机构政策 {value} 宽于指引上限 {limit}（{profile.references.get(name, '')}）",
                f"policy {value} is looser than the guideline's limit {limit} ({profile.references.get(name, '')})",
            )
    if policy.combined_voice_cap is not None and policy.combined_voice_cap < 0:
        raise PolicyError("combined_voice_cap", "不能为负数", "must not be negative")
    if policy.quiet_hours is not None:
        if not _covers(policy.quiet_hours, profile.quiet_hours):
            g = profile.quiet_hours
            raise PolicyError(
                "quiet_hours",
                f"静默时段必须覆盖 {g.start:%H:%M}–{g.end:%H:%M}（第9条）",
                f"quiet hours must cover {g.start:%H:%M}–{g.end:%H:%M} (art. 9)",
            )
    if policy.unreachable is not None:
        validate_unreachable(policy.unreachable, "unreachable")
    if policy.lease_ttl_s is not None and not 1 <= policy.lease_ttl_s <= 86_400:
        raise PolicyError("lease_ttl_s", "须在 1–86400 秒之间", "must be between 1 and 86400 seconds")
    _validate_oversight(policy, profile)


def _validate_oversight(policy: InstitutionPolicy, profile: Profile) -> None:
    """Deadlines of the obligations: the pre-expiry evaluation may come earlier, never later; a complaint may be
    answered sooner, never later."""
    days, least = policy.pre_expiry_days, profile.pre_expiry_days
    if days is not None and not least <= days <= 366:
        raise PolicyError("pre_expiry_days", f"须在 {least}–366 天之间：少于 {least} 天宽于指引"
                          f"（{profile.references.get('pre_expiry_days', '')}）",
                          f"must be {least}–366 days: fewer than {least} is looser than the guideline")
    days, most = policy.complaint_days, profile.complaint_days
    if days is not None and not 1 <= days <= most:
        raise PolicyError("complaint_days", f"须在 1–{most} 天之间：多于 {most} 天宽于指引"
                          f"（{profile.references.get('complaint_days', '')}）",
                          f"must be 1–{most} days: more than {most} is looser than the guideline")


def validate_unreachable(definition: UnreachableDefinition, field: str) -> None:
    d = definition
    if min(d.window_days, d.min_attempts, d.min_distinct_days) < 1:
        raise PolicyError(field, "各项须为正整数", "every value must be a positive integer")
    if d.min_distinct_days > d.window_days:
        raise PolicyError(
            field, "不同天数不能超过窗口天数", "min_distinct_days cannot exceed window_days"
        )
    if d.min_distinct_days > d.min_attempts:
        raise PolicyError(
            field, "不同天数不能超过尝试次数", "min_distinct_days cannot exceed min_attempts"
        )


def validate_agreement(terms: DebtorAgreementTerms) -> None:
    for name in ("voice_cap", "effective_call_cap", "visit_cap"):
        value = getattr(terms, name)
        if value is not None and value < 0:
            raise PolicyError(name, f"不能为负数（{value}）", f"must not be negative ({value})")
    if terms.unreachable is not None:
        validate_unreachable(terms.unreachable, "unreachable")


def resolve_limits(
    profile: Profile,
    policy: InstitutionPolicy | None = None,
    agreement: DebtorAgreementTerms | None = None,
) -> Limits:
    """Profile → institution policy (stricter only) → debtor agreement (may override where allowed)."""
    policy = policy or InstitutionPolicy()
    quiet = policy.quiet_hours or profile.quiet_hours
    limits = Limits(
        windows=windows_outside(quiet),
        windows_agreed=False,
        voice_cap=_pick(policy.voice_cap, profile.voice_cap),
        effective_call_cap=_pick(policy.effective_call_cap, profile.effective_call_cap),
        visit_cap=_pick(policy.visit_cap, profile.visit_cap),
        combined_voice_cap=policy.combined_voice_cap,
        unreachable=policy.unreachable or profile.unreachable,
        lease_ttl_s=_pick(policy.lease_ttl_s, profile.lease_ttl_s),
        effective_call_min_duration_s=profile.effective_call_min_duration_s,
        visit_team_min=profile.visit_team_min,
        visit_team_max=profile.visit_team_max,
        letter_interval_days=profile.letter_interval_days,
        training_valid_days=profile.training_valid_days,
    )
    if agreement is None:
        return limits
    return replace(
        limits,
        windows=agreement.windows or limits.windows,
        windows_agreed=bool(agreement.windows),
        voice_cap=_pick(agreement.voice_cap, limits.voice_cap),
        effective_call_cap=_pick(agreement.effective_call_cap, limits.effective_call_cap),
        visit_cap=_pick(agreement.visit_cap, limits.visit_cap),
        unreachable=agreement.unreachable or limits.unreachable,
    )


def _pick(override: int | None, default: int) -> int:
    return default if override is None else override
