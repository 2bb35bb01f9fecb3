"""Product rule `hold-active`: a hold on the debt or the debtor stops every contact until released."""

from __future__ import annotations

from collectguard.rulebook.rules.base import Context, Fail


def hold_active(ctx: Context) -> Fail | None:
    active = [h for h in ctx.facts.holds if h.active(ctx.facts.at)]
    if not active:
        return None
    reasons = ", ".join(sorted({h.reason for h in active}))
    ids = ", ".join(h.id for h in active)
    return Fail(f"暂停原因：{reasons}（{ids}）", f"hold reason: {reasons} ({ids})")
