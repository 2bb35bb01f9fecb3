"""Art. 11(五): once the debt is repaid, collection stops at once."""

from __future__ import annotations

from collectguard.rulebook.rules.base import Context, Fail
from collectguard.rulebook.vocabulary import DebtStatus


def stop_after_repayment(ctx: Context) -> Fail | None:
    debt = ctx.facts.debt
    if debt is None:
        raise LookupError("debt unknown")
    if debt.status is DebtStatus.SETTLED and (debt.settled_at is None or debt.settled_at <= ctx.facts.at):
        when = f"{debt.settled_at.isoformat()}" if debt.settled_at else ""
        return Fail(f"债务 {debt.id} 已于 {when} 结清", f"debt {debt.id} was settled {when}".strip())
    return None
