"""Art. 15: approved templates, and the letter rules (recipient, seal, interval, envelope, no fax)."""

from __future__ import annotations

from datetime import timedelta

from collectguard.rulebook.rules.base import Context, Fail, check, debt_fields_in, own
from collectguard.rulebook.usage import last_letter_date
from collectguard.rulebook.vocabulary import TOOL_TYPE_FOR_CHANNEL, Channel, Delivery, Mode, PartyKind


def _same_family(a: Channel, b: Channel) -> bool:
    return a is b or (a in TOOL_TYPE_FOR_CHANNEL and TOOL_TYPE_FOR_CHANNEL.get(a) is TOOL_TYPE_FOR_CHANNEL.get(b))


@check("art15-template-approved")
def template_approved(ctx: Context) -> Fail | None:
    attempt = ctx.facts.attempt
    if attempt.mode is not Mode.NOTIFICATION and attempt.template_id is None:
        return None
    if attempt.template_id is None:
        return Fail("告知式催收须指明已审批模板", "a notification attempt must name an approved template")
    template = ctx.facts.template
    if template is None:
        return Fail(f"模板 {attempt.template_id} 未登记", f"template {attempt.template_id} is not registered")
    if template.institution_id != ctx.facts.institution_id:
        return Fail(f"模板 {template.id} 不属于本机构", f"template {template.id} is not this institution's")
    if not template.approved:
        return Fail(f"模板 {template.id} 第{template.version}版未获审批", f"template {template.id} v{template.version} is not approved")
    if not template.active:
        return Fail(f"模板 {template.id} 已停用", f"template {template.id} is retired")
    if not _same_family(template.channel, attempt.channel):
        return Fail(
            f"模板 {template.id} 用于 {template.channel.value} 渠道，不能用于 {attempt.channel.value}",
            f"template {template.id} is for {template.channel.value}, not {attempt.channel.value}",
        )
    return None


def _letter(ctx: Context) -> bool:
    return ctx.facts.attempt.channel is Channel.LETTER


@check("art15-letter-recipient")
def letter_recipient(ctx: Context) -> Fail | None:
    if not _letter(ctx):
        return None
    if ctx.party.kind is not PartyKind.DEBTOR:
        return Fail("函件收件人须为债务人本人", "a letter must be addressed to the debtor")
    receiver = ctx.facts.attempt.receiver
    if receiver is not None and not (receiver.adult_household_member and receiver.told_debtor_only):
        return Fail(
            "代收人须为同住成年家属并被告知须由债务人本人拆阅",
            "a receiver must be an adult household member told that only the debtor may open it",
        )
    return None


@check("art15-letter-seal")
def letter_seal(ctx: Context) -> Fail | None:
    template = own(ctx, ctx.facts.template)
    if not _letter(ctx) or template is None:
        return None
    if not template.sealed:
        return Fail(f"函件模板 {template.id} 未加盖公章", f"letter template {template.id} bears no seal")
    return None


@check("art15-letter-interval")
def letter_interval(ctx: Context) -> Fail | None:
    if not _letter(ctx):
        return None
    debt = ctx.facts.debt
    if debt is None:
        raise LookupError("debt unknown")
    last = last_letter_date(ctx.facts, debt.product)
    days = ctx.facts.limits.letter_interval_days
    if last is not None and (ctx.today - last).days < days:
        nxt = last + timedelta(days=days)
        return Fail(
            f"上次函件 {last}，同一产品下次最早 {nxt}",
            f"last letter for this product on {last}; the next may go on {nxt}",
        )
    return None


@check("art15-letter-envelope")
def letter_envelope(ctx: Context) -> Fail | None:
    attempt = ctx.facts.attempt
    if not _letter(ctx) or attempt.envelope_template_id is None:
        return None
    envelope = ctx.facts.envelope_template
    if envelope is None:
        return Fail(f"信封模板 {attempt.envelope_template_id} 未登记", f"envelope template {attempt.envelope_template_id} is not registered")
    if own(ctx, envelope) is None:
        return Fail(f"信封模板 {envelope.id} 不属于本机构", f"envelope template {envelope.id} is not this institution's")
    fields = debt_fields_in(envelope, ctx.profile)
    if fields:
        shown = ", ".join(fields)
        return Fail(f"信封模板含债务信息字段：{shown}", f"the envelope template shows debt fields: {shown}")
    return None


@check("art15-letter-no-fax")
def letter_no_fax(ctx: Context) -> Fail | None:
    if _letter(ctx) and ctx.facts.attempt.delivery is Delivery.FAX:
        return Fail("函件不得传真发送", "a letter must not be faxed")
    return None
