"""Art. 15: approved templates, and the letter rules (recipient, seal, interval, envelope, no fax).

A one-way channel (SMS, 5G message, e-mail, letter) is notification-type whatever mode the caller declares,
so it always needs an approved template. Where one rule finds several problems it names them all.
"""

from __future__ import annotations

from datetime import timedelta

from collectguard.rulebook.rules.base import Context, Fail, debt_fields_in, fail_all, own
from collectguard.rulebook.usage import last_letter_date
from collectguard.rulebook.vocabulary import (
    PAPER_DELIVERIES,
    TOOL_TYPE_FOR_CHANNEL,
    Channel,
    Delivery,
    Mode,
    PartyKind,
    Receiver,
)


def _same_family(a: Channel, b: Channel) -> bool:
    return a is b or (a in TOOL_TYPE_FOR_CHANNEL and TOOL_TYPE_FOR_CHANNEL.get(a) is TOOL_TYPE_FOR_CHANNEL.get(b))


def template_approved(ctx: Context) -> Fail | None:
    attempt = ctx.facts.attempt
    if attempt.effective_mode is not Mode.NOTIFICATION and attempt.template_id is None:
        return None
    if attempt.template_id is None:
        if attempt.mode is not attempt.effective_mode:
            channel = attempt.channel.value
            return Fail(f"{channel} 为单向渠道，无论声明何种方式均按告知式催收，须指明已审批模板",
                        f"{channel} is a one-way channel, notification-type whatever the declared mode: "
                        "it must name an approved template")
        return Fail("告知式催收须指明已审批模板", "a notification attempt must name an approved template")
    template = ctx.facts.template
    if template is None:
        return Fail(f"模板 {attempt.template_id} 未登记", f"template {attempt.template_id} is not registered")
    if template.institution_id != ctx.facts.institution_id:
        # Another institution's template: that alone, and nothing about its content (art. 19(五)).
        return Fail(f"模板 {template.id} 不属于本机构", f"template {template.id} is not this institution's")
    problems: list[tuple[str, str]] = []
    if not template.approved:
        problems.append((f"模板 {template.id} 第{template.version}版未获审批",
                         f"template {template.id} v{template.version} is not approved"))
    if not template.active:
        problems.append((f"模板 {template.id} 已停用", f"template {template.id} is retired"))
    if not _same_family(template.channel, attempt.channel):
        problems.append((f"模板 {template.id} 用于 {template.channel.value} 渠道，不能用于 {attempt.channel.value}",
                         f"template {template.id} is for {template.channel.value}, not {attempt.channel.value}"))
    return fail_all(problems)


def _letter(ctx: Context) -> bool:
    return ctx.facts.attempt.channel is Channel.LETTER


def letter_recipient(ctx: Context) -> Fail | None:
    """Addressed to the debtor; a hand delivery records its receiver — the debtor, or an adult family member
    living with the debtor whose relation is recorded and who is told that only the debtor may open it."""
    if not _letter(ctx):
        return None
    attempt = ctx.facts.attempt
    problems: list[tuple[str, str]] = []
    if ctx.party.kind is not PartyKind.DEBTOR:
        problems.append(("函件收件人须为债务人本人", "a letter must be addressed to the debtor"))
    if attempt.delivery is Delivery.HAND:
        if attempt.receiver is None:
            problems.append(("专人送达须登记签收人（receiver：debtor 本人或 family 同住成年家属）",
                             "a hand delivery must record its receiver (receiver: debtor or family)"))
        elif attempt.receiver is Receiver.FAMILY:
            if attempt.receiver_relation is None:
                problems.append(("家属代收须登记其与债务人的关系（receiver_relation）",
                                 "a family receiver's relation to the debtor is missing (receiver_relation)"))
            if attempt.receiver_told is not True:
                problems.append(("家属代收须告知其函件仅限债务人本人拆阅（receiver_told: true）",
                                 "the family receiver must be told that only the debtor may open it "
                                 "(receiver_told: true)"))
    return fail_all(problems)


def letter_seal(ctx: Context) -> Fail | None:
    template = own(ctx, ctx.facts.template)
    if not _letter(ctx) or template is None:
        return None
    if not template.sealed:
        return Fail(f"函件模板 {template.id} 未加盖公章", f"letter template {template.id} bears no seal")
    return None


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


def letter_envelope(ctx: Context) -> Fail | None:
    """A paper letter (post, hand, fax or delivery not given) names an envelope template showing no debt fields."""
    attempt = ctx.facts.attempt
    if not _letter(ctx):
        return None
    if attempt.envelope_template_id is None:
        if attempt.delivery not in PAPER_DELIVERIES:
            return None
        how = attempt.delivery.value if attempt.delivery else None
        return Fail(f"纸质函件（送达方式 {how or '未注明'}）缺少信封模板（envelope_template）",
                    f"the envelope template is missing: a paper letter (delivery {how or 'not given'}) must "
                    "name one (envelope_template)")
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


def letter_no_fax(ctx: Context) -> Fail | None:
    if _letter(ctx) and ctx.facts.attempt.delivery is Delivery.FAX:
        return Fail("函件不得传真发送", "a letter must not be faxed")
    return None
