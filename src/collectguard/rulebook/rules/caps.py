"""Per-day caps per debtor, across all agencies: art. 15(二), 16(二)1, 16(三)4."""

from __future__ import annotations

from collectguard.rulebook.rules.base import Context, Fail
from collectguard.rulebook.usage import (
    EFFECTIVE_CALL_CAP,
    VISIT_CAP,
    VOICE_CAP,
    VOICE_RULES,
    quota_rule_for,
    remaining,
    used_today,
)


def _cap_check(ctx: Context, rule: str, cap: int, what_zh: str, what_en: str) -> Fail | None:
    attempt = ctx.facts.attempt
    if quota_rule_for(attempt.channel, attempt.effective_mode, ctx.party.kind) != rule:
        return None
    if remaining(ctx.facts, rule, taking=None) > 0:
        return None
    used = used_today(ctx.facts, rule)
    combined = ctx.facts.limits.combined_voice_cap
    if rule in VOICE_RULES and combined is not None and used < cap:
        total = sum(used_today(ctx.facts, r) for r in VOICE_RULES)
        return Fail(
            f"今日语音合计 {total} 次，已达机构合并上限 {combined}",
            f"{total} voice calls today reach the institution's combined cap of {combined}",
        )
    return Fail(f"今日{what_zh} {used} 次，已达上限 {cap}", f"{used} {what_en} today, the cap is {cap}")


def voice_cap(ctx: Context) -> Fail | None:
    return _cap_check(ctx, VOICE_CAP, ctx.facts.limits.voice_cap, "已拨通（含进行中）", "connected or in-flight calls")


def effective_call_cap(ctx: Context) -> Fail | None:
    return _cap_check(
        ctx, EFFECTIVE_CALL_CAP, ctx.facts.limits.effective_call_cap, "有效通话（含进行中）", "effective or in-flight calls"
    )


def visit_cap(ctx: Context) -> Fail | None:
    return _cap_check(ctx, VISIT_CAP, ctx.facts.limits.visit_cap, "有效面谈（含进行中）", "effective or in-flight visits")
