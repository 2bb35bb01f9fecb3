"""Art. 16: recording of interactive collection, and the field-visit team and IDs."""

from __future__ import annotations

from collectguard.rulebook.rules.base import Context, Fail
from collectguard.rulebook.vocabulary import Channel, Mode

RECORDED_CHANNELS = (Channel.VOICE, Channel.VIDEO)


def recording(ctx: Context) -> Fail | None:
    attempt = ctx.facts.attempt
    needs = attempt.channel is Channel.VISIT or (
        attempt.effective_mode is Mode.INTERACTIVE and attempt.channel in RECORDED_CHANNELS
    )
    if needs and attempt.recording is not True:
        return Fail("未声明全程录音录像", "recording throughout is not declared")
    return None


def team_of(ctx: Context) -> list[str]:
    """The visit team: the collector and every named member, each counted once."""
    return list(dict.fromkeys((ctx.facts.attempt.collector_id, *ctx.facts.attempt.team)))


def visit_team(ctx: Context) -> Fail | None:
    if ctx.facts.attempt.channel is not Channel.VISIT:
        return None
    size = len(team_of(ctx))
    low, high = ctx.facts.limits.visit_team_min, ctx.facts.limits.visit_team_max
    if not low <= size <= high:
        return Fail(f"外访 {size} 人，须为 {low}–{high} 人", f"{size} staff on the visit; {low} to {high} required")
    return None


def visit_id(ctx: Context) -> Fail | None:
    if ctx.facts.attempt.channel is Channel.VISIT and ctx.facts.attempt.ids_shown is not True:
        return Fail("未声明主动出示工作证件", "showing work IDs is not declared")
    return None
