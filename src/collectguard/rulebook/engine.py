"""evaluate(facts) → Decision: every rule in force, every failure, fail closed, quotas, next allowed time.

The rules are the profile's own `Rule` objects (id, article, dates, messages and check in one immutable unit,
assembled when the profile loads); the engine keeps no state of its own between decisions.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from collectguard import __version__
from collectguard.rulebook.calendar import local_date, next_window_moment, start_of_day
from collectguard.rulebook.decision import MODE_TAKEN_AS_NOTIFICATION, Decision, Note, RuleError, Violation
from collectguard.rulebook.facts import Facts
from collectguard.rulebook.profile import DEFAULT_PROFILE, Profile, load_profile
from collectguard.rulebook.rules import Context
from collectguard.rulebook.usage import CAP_RULES, last_letter_date, quota_rule_for, remaining
from collectguard.rulebook.vocabulary import PartyKind

TIME_BOUND_RULES = frozenset({"art9-quiet-hours", "art15-letter-interval", *CAP_RULES})
QUOTA_ERROR = "quota"


def rulebook_version(profile: Profile) -> str:
    return f"{profile.label}+collectguard-{__version__}"


def evaluate(facts: Facts, profile: Profile | None = None) -> Decision:
    """Judge one attempt on its facts. Pure: the same facts always give the same decision."""
    profile = profile or load_profile(DEFAULT_PROFILE)
    ctx = Context(facts, profile)
    violations, errors = _check_rules(ctx)
    allowed = not violations and not errors
    lease_rule: str | None = None
    quotas: dict[str, int] = {}
    try:
        if facts.party is not None:
            lease_rule = quota_rule_for(facts.attempt.channel, facts.attempt.effective_mode, facts.party.kind)
            if facts.party.kind is PartyKind.DEBTOR:
                taking = lease_rule if allowed else None
                quotas = {rule: remaining(facts, rule, taking=taking) for rule in CAP_RULES}
    except Exception as exc:
        errors.append(RuleError(QUOTA_ERROR, "15–16", f"{type(exc).__name__}: {exc}"))
        allowed = False
    return Decision(
        allowed=allowed,
        violations=tuple(violations),
        errors=tuple(errors),
        quotas=quotas,
        next_allowed_at=facts.at if allowed else _next_allowed(ctx, violations, errors),
        lease_rule=lease_rule if allowed else None,
        rulebook_version=rulebook_version(profile),
        evaluated_at=facts.at,
        mode=facts.attempt.effective_mode,
        notes=_notes(facts),
    )


def failures(facts: Facts, profile: Profile | None = None) -> tuple[list[Violation], list[RuleError]]:
    """What `evaluate` finds wrong with an attempt — every failing rule and every rule that could not be
    evaluated — without the rest of a decision (quotas left, next allowed time, notes): the same rules, the
    same checks, for a caller that needs only the verdict (a replay of a million logged calls). `evaluate`
    denies whenever these are not empty."""
    return _check_rules(Context(facts, profile or load_profile(DEFAULT_PROFILE)))


def _check_rules(ctx: Context) -> tuple[list[Violation], list[RuleError]]:
    violations: list[Violation] = []
    errors: list[RuleError] = []
    for rule in ctx.profile.in_force(ctx.day):
        try:
            failure = rule.check(ctx)
        except Exception as exc:  # INVARIANT: a rule that cannot be evaluated denies (fail closed)
            errors.append(RuleError(rule.id, rule.article, f"{type(exc).__name__}: {exc}"))
            continue
        if failure is not None:
            violations.append(
                Violation(
                    rule=rule.id,
                    article=rule.article,
                    message_zh=f"{rule.message_zh}（{rule.cited_zh}）：{failure.zh}",
                    message_en=f"{rule.message_en} ({rule.cited_en}): {failure.en}",
                )
            )
    return violations, errors


def _notes(facts: Facts) -> tuple[Note, ...]:
    attempt = facts.attempt
    if attempt.effective_mode is attempt.mode:
        return ()
    channel = attempt.channel.value
    return (Note(MODE_TAKEN_AS_NOTIFICATION,
                 f"{channel} 为单向渠道，按告知式催收判断（声明为 {attempt.mode.value}）",
                 f"{channel} is a one-way channel: judged as notification (declared {attempt.mode.value})"),)


def _next_allowed(ctx: Context, violations: list[Violation], errors: list[RuleError]) -> datetime | None:
    """The earliest instant the same attempt would be allowed, if only time stands in its way.

    Quiet hours and agreed windows move it to the next window; a per-day cap to the next day's first
    allowed moment (a lease in flight may still be released today, but that cannot be known now); the
    letter interval to the first allowed moment of the day it ends. Anything else: None.
    """
    failing = {v.rule for v in violations}
    facts = ctx.facts
    if errors or not failing <= TIME_BOUND_RULES or facts.party is None:
        return None
    zone = facts.party.zone
    today = local_date(facts.at, zone)
    earliest_letter = None
    if "art15-letter-interval" in failing and facts.debt is not None:
        last = last_letter_date(facts, facts.debt.product)
        if last is not None:
            earliest_letter = last + timedelta(days=facts.limits.letter_interval_days)
    candidate: datetime | None = facts.at
    for _ in range(32):
        assert candidate is not None
        start = candidate
        if failing & set(CAP_RULES) and local_date(candidate, zone) <= today:
            candidate = start_of_day(today + timedelta(days=1), zone)
        if earliest_letter is not None and local_date(candidate, zone) < earliest_letter:
            candidate = start_of_day(earliest_letter, zone)
        candidate = next_window_moment(candidate, facts.limits.windows, zone)
        if candidate is None or candidate == start:
            return candidate
    return None
