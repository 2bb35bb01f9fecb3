"""Art. 10: registered collection tools, used only for their own institution."""

from __future__ import annotations

from collectguard.rulebook.rules.base import Context, Fail, fail_all
from collectguard.rulebook.vocabulary import TOOL_TYPE_FOR_CHANNEL, Channel


def registered_tool(ctx: Context) -> Fail | None:
    attempt = ctx.facts.attempt
    if attempt.channel is Channel.VISIT:
        return None
    tool = ctx.facts.tool
    if attempt.tool_id is None:
        return Fail("未指明催收工具", "no collection tool named")
    if tool is None:
        return Fail(f"工具 {attempt.tool_id} 未登记", f"tool {attempt.tool_id} is not registered")
    if ctx.facts.debt is not None and tool.institution_id != ctx.facts.debt.institution_id:
        return None  # another institution's tool: art10-tool-scope alone says so, and nothing about the tool
    problems: list[tuple[str, str]] = []
    if not (tool.official or tool.filed):
        problems.append((f"工具 {tool.id} 既非官方工具也未备案", f"tool {tool.id} is neither official nor filed"))
    if tool.active_from is not None and ctx.today < tool.active_from:
        problems.append((f"工具 {tool.id} 自 {tool.active_from} 起才启用",
                         f"tool {tool.id} is active only from {tool.active_from}"))
    if tool.active_to is not None and ctx.today > tool.active_to:
        problems.append((f"工具 {tool.id} 已于 {tool.active_to} 停用", f"tool {tool.id} was retired on {tool.active_to}"))
    needed = TOOL_TYPE_FOR_CHANNEL[attempt.channel]
    if tool.type is not needed:
        problems.append((
            f"{attempt.channel.value} 渠道须使用 {needed.value} 类工具，而 {tool.id} 是 {tool.type.value}",
            f"channel {attempt.channel.value} needs a {needed.value} tool; {tool.id} is a {tool.type.value}",
        ))
    if not tool.official and tool.org_id is not None:
        users = {ctx.collector.org_id} | {
            a.id for a in (ctx.facts.parent_agency, ctx.facts.root_agency) if a is not None
        }
        if tool.org_id not in users:
            problems.append((
                f"工具 {tool.id} 由 {tool.org_id} 备案，不能由 {ctx.collector.org_id} 使用",
                f"tool {tool.id} is filed by {tool.org_id}, not for use by {ctx.collector.org_id}",
            ))
    return fail_all(problems)


def tool_scope(ctx: Context) -> Fail | None:
    tool, debt = ctx.facts.tool, ctx.facts.debt
    if tool is None or ctx.facts.attempt.channel is Channel.VISIT:
        return None
    if debt is None:
        raise LookupError("debt unknown")
    if tool.institution_id != debt.institution_id:
        return Fail(f"工具 {tool.id} 不属于本机构，不能用于本机构的债务",
                    f"tool {tool.id} is not this institution's and cannot serve its debts")
    return None
