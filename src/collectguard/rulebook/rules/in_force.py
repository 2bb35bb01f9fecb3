"""Product rule `rulebook-not-in-force`: no regulation in force means deny, naming why (fail closed).

Before the profile's first effective date — a wrong clock, a replay of old data — or once every one of its
rules has lapsed, nothing of the regulation judges an attempt; allowing it would allow everything. The rule
itself is in force on every day (its profile entry dates it from 0001-01-01).
"""

from __future__ import annotations

from collectguard.rulebook.rules.base import Context, Fail

NOT_IN_FORCE = "rulebook-not-in-force"


def rulebook_in_force(ctx: Context) -> Fail | None:
    profile, day = ctx.profile, ctx.day
    if day < profile.effective_from:
        return Fail(
            f"规则配置 {profile.name}（{profile.title_zh}）自 {profile.effective_from} 起生效，{day} 尚无生效规则，"
            "按失败关闭拒绝",
            f"profile {profile.name} ({profile.title_en}) is in force from {profile.effective_from}; on {day} no "
            "rule of it applies, so the gate fails closed",
        )
    if not any(rule.profile == profile.name for rule in profile.in_force(day)):
        return Fail(
            f"规则配置 {profile.name} 在 {day} 无任何生效规则，按失败关闭拒绝",
            f"no rule of profile {profile.name} is in force on {day}, so the gate fails closed",
        )
    return None
