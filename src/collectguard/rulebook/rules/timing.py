"""Art. 9: no collection from 22:00 to 08:00, unless the debtor agreed other hours."""

from __future__ import annotations

from collectguard.rulebook.calendar import Window, within
from collectguard.rulebook.rules.base import Context, Fail
from collectguard.rulebook.vocabulary import WEEKDAYS


def describe(windows: tuple[Window, ...]) -> str:
    parts = []
    for w in windows:
        days = "" if w.days is None else "[" + ",".join(WEEKDAYS[d] for d in sorted(w.days)) + "]"
        parts.append(f"{w.start:%H:%M}–{w.end:%H:%M}{days}")
    return ", ".join(parts)


def quiet_hours(ctx: Context) -> Fail | None:
    limits = ctx.facts.limits
    if within(ctx.facts.at, limits.windows, ctx.party.zone):
        return None
    shown = f"{ctx.local_now:%Y-%m-%d %H:%M:%S} {ctx.party.timezone}"
    if not limits.windows:
        return Fail(f"{shown}：机构政策全天静默（静默起止时间相同），无允许时段",
                    f"{shown}: the institution's quiet hours cover the whole day (from equals to); no hour is allowed")
    allowed = describe(limits.windows)
    if limits.windows_agreed:
        return Fail(f"{shown} 不在约定时段 {allowed} 内", f"{shown} is outside the agreed windows {allowed}")
    return Fail(f"{shown} 不在允许时段 {allowed} 内", f"{shown} is outside the allowed hours {allowed}")
