"""An institution's policy (stricter caps, quiet hours, the unreachable definition, lease TTL): read it, and
replace it — stricter than the guideline only, judged by the rulebook's own check (`validate_policy`)
against the institution's profile. A change is recorded in the ledger as `registry:institution:updated`
for the institution, which also moves the registry version, so every gate's snapshot sees it at its next
decision. Services never commit: the caller's transaction does."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from collectguard.errors import InvalidInput
from collectguard.ledger.tags import Tag
from collectguard.registry import models as m
from collectguard.registry.schemas import PolicyIn
from collectguard.registry.service import to_policy
from collectguard.registry.unit import Unit
from collectguard.rulebook.policy import PolicyError, resolve_limits, validate_policy
from collectguard.rulebook.profile import load_profile

LOOSER = "policy-looser-than-guideline"


class EffectiveLimits(BaseModel):
    """What an attempt of this institution is judged by (before any debtor agreement)."""

    voice_cap: int
    effective_call_cap: int
    visit_cap: int
    combined_voice_cap: int | None
    quiet_hours: dict[str, str]
    unreachable: dict[str, int]
    lease_ttl_s: int


class PolicyOut(BaseModel):
    institution_id: str
    profile: str = Field(description="指引版本 the guideline profile the policy is judged against")
    policy: dict[str, Any] = Field(description="本机构的覆盖项 the institution's overrides (absent = the guideline's)")
    effective: EffectiveLimits
    ledger_seq: int | None = Field(default=None, description="账本记录号（有变更时）ledger record of the change, if any")


def policy_out(row: m.Institution, ledger_seq: int | None = None) -> PolicyOut:
    profile = load_profile(row.profile)
    stored = dict(row.policy or {})
    policy = to_policy(stored)
    limits = resolve_limits(profile, policy)
    quiet = policy.quiet_hours or profile.quiet_hours
    return PolicyOut(
        institution_id=row.id, profile=row.profile, policy=stored, ledger_seq=ledger_seq,
        effective=EffectiveLimits(
            voice_cap=limits.voice_cap, effective_call_cap=limits.effective_call_cap, visit_cap=limits.visit_cap,
            combined_voice_cap=limits.combined_voice_cap,
            quiet_hours={"from": f"{quiet.start:%H:%M}", "to": f"{quiet.end:%H:%M}"},
            unreachable={"window_days": limits.unreachable.window_days,
                         "min_attempts": limits.unreachable.min_attempts,
                         "min_distinct_days": limits.unreachable.min_distinct_days},
            lease_ttl_s=limits.lease_ttl_s,
        ),
    )


def check(data: PolicyIn, profile_name: str) -> None:
    """Refuse a policy looser than the guideline: a 422 naming the key at fault."""
    try:
        validate_policy(to_policy(data), load_profile(profile_name))
    except PolicyError as exc:
        raise InvalidInput(exc.message_zh, exc.message_en, field=exc.field, code=LOOSER) from exc


def show(registry: Unit, institution_id: str) -> PolicyOut:
    return policy_out(registry.get(m.Institution, institution_id, kind="institution", field="institution"))


def replace(registry: Unit, institution_id: str, data: PolicyIn) -> PolicyOut:
    """Replace the institution's policy with `data` (keys left out follow the guideline). An unchanged
    policy records nothing."""
    row = registry.get(m.Institution, institution_id, kind="institution", field="institution")
    check(data, row.profile)
    new = data.model_dump(mode="json", by_alias=True, exclude_none=True)
    previous = dict(row.policy or {})
    if new == previous:
        return policy_out(row)
    row.policy = new
    seq = registry.record(Tag.INSTITUTION_UPDATED, institution_id,
                          {"policy": new, "previous_policy": previous}, institution_id)
    return policy_out(row, seq)
