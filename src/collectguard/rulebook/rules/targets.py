"""Art. 7 and 8: collect only from debtors; contacts only to restore contact, never told the debt."""

from __future__ import annotations

from collectguard.rulebook.rules.base import Context, Fail, debt_fields_in, fail_all, own
from collectguard.rulebook.usage import attempts_in_window
from collectguard.rulebook.vocabulary import Audience, DebtorStatus, PartyKind, Purpose


def _liable(ctx: Context, debtor_id: str) -> bool:
    debt = ctx.facts.debt
    if debt is None:
        raise LookupError("debt unknown")
    return debtor_id == debt.debtor_id or debtor_id in debt.guarantor_ids


def collection_target(ctx: Context) -> Fail | None:
    party = ctx.party
    purpose = ctx.facts.attempt.purpose
    if party.kind is PartyKind.DEBTOR:
        if not _liable(ctx, party.id):
            return Fail(f"{party.id} 不是该债务的借款人或担保人", f"{party.id} is neither borrower nor guarantor of this debt")
        return None
    if not _liable(ctx, party.debtor_id):
        return Fail(f"联系人 {party.id} 与该债务的债务人无关", f"contact {party.id} is not a contact of this debt's debtor")
    if purpose in (Purpose.LOCATE, Purpose.RELAY):
        return None
    if purpose is Purpose.REPAYMENT_INFO and party.offers_to_repay:
        return None
    shown = purpose.value if purpose else "无 / none"
    return Fail(
        f"联系人只能用于恢复联系或转告（目的：{shown}）",
        f"a contact may be reached only to locate the debtor or relay a message (purpose: {shown})",
    )


def contact_precondition(ctx: Context) -> Fail | None:
    party = ctx.party
    if party.kind is not PartyKind.CONTACT:
        return None
    if party.debtor_status in (DebtorStatus.UNREACHABLE, DebtorStatus.DECEASED, DebtorStatus.INCAPACITATED):
        return None
    definition = ctx.facts.limits.unreachable
    recent = attempts_in_window(ctx.facts, party.debtor_id, definition.window_days)
    if any(past.connected for past in recent):
        return Fail(
            f"近{definition.window_days}日内已与债务人接通",
            f"the debtor was reached within the last {definition.window_days} days",
        )
    failed = [past for past in recent if past.allowed and past.connected is False]
    days = {past.at.astimezone(party.zone).date() for past in failed}
    if len(failed) >= definition.min_attempts and len(days) >= definition.min_distinct_days:
        return None
    return Fail(
        f"近{definition.window_days}日未接通{len(failed)}次、{len(days)}天"
        f"（需至少{definition.min_attempts}次、{definition.min_distinct_days}天）",
        f"{len(failed)} unanswered attempts on {len(days)} days in the last {definition.window_days} days "
        f"(needs {definition.min_attempts} on {definition.min_distinct_days} days)",
    )


def contact_refused(ctx: Context) -> Fail | None:
    party = ctx.party
    if party.kind is PartyKind.CONTACT and party.refused:
        return Fail(f"联系人 {party.id} 已拒绝联系", f"contact {party.id} refused to be contacted")
    return None


def contact_no_disclosure(ctx: Context) -> Fail | None:
    party = ctx.party
    if party.kind is not PartyKind.CONTACT:
        return None
    may_know = party.offers_to_repay and ctx.facts.attempt.purpose is Purpose.REPAYMENT_INFO
    problems: list[tuple[str, str]] = []
    for template in (own(ctx, ctx.facts.template), own(ctx, ctx.facts.envelope_template)):
        if template is None:
            continue
        if template.audience is not Audience.CONTACT:
            problems.append((f"模板 {template.id} 不是面向联系人的模板", f"template {template.id} is not a contact template"))
        fields = debt_fields_in(template, ctx.profile)
        if fields and not may_know:
            shown = ", ".join(fields)
            problems.append((f"模板 {template.id} 含债务信息字段：{shown}",
                             f"template {template.id} contains debt fields: {shown}"))
    return fail_all(problems)
