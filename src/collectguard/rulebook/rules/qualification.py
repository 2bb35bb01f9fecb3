"""Art. 6(二): only qualified collectors collect."""

from __future__ import annotations

from datetime import date

from collectguard.rulebook.facts import Collector
from collectguard.rulebook.rules.base import Context, Fail
from collectguard.rulebook.vocabulary import Channel, CollectorKind, CollectorStatus


def _problems(collector: Collector, today: date, valid_days: int) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    if collector.status is not CollectorStatus.ACTIVE:
        problems.append((f"状态为{collector.status.value}", f"status is {collector.status.value}"))
    if collector.kind is CollectorKind.AI_AGENT:
        if not collector.approved:
            problems.append(("智能体未经机构审批", "AI agent not approved by the institution"))
        return problems
    if collector.pre_job_exam is None or collector.pre_job_exam > today:
        problems.append(("未通过岗前培训考试", "no pre-job exam passed"))
    if not collector.pledge_signed:
        problems.append(("未签署个人信息保密承诺", "confidentiality pledge not signed"))
    if collector.last_training is None:
        problems.append(("无培训记录", "no training on record"))
    else:
        days = (today - collector.last_training).days
        if days > valid_days:
            problems.append((f"距上次培训已{days}天（上限{valid_days}天）", f"last trained {days} days ago (max {valid_days})"))
    return problems


def collector_qualified(ctx: Context) -> Fail | None:
    members: dict[str, Collector | None] = {ctx.collector.id: ctx.collector}
    if ctx.facts.attempt.channel is Channel.VISIT:
        members.update(ctx.facts.team)
    zh: list[str] = []
    en: list[str] = []
    for member_id, member in members.items():
        if member is None:
            zh.append(f"{member_id}：未登记")
            en.append(f"{member_id}: not registered")
            continue
        for p_zh, p_en in _problems(member, ctx.today, ctx.facts.limits.training_valid_days):
            zh.append(f"{member_id}：{p_zh}")
            en.append(f"{member_id}: {p_en}")
    return Fail("；".join(zh), "; ".join(en)) if zh else None
