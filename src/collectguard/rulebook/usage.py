"""Counting per-day quotas and contact history from the attempts the facts carry."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import cache
from types import MappingProxyType
from typing import Protocol

from collectguard.rulebook.calendar import day_instants, local_date
from collectguard.rulebook.facts import Facts, PastAttempt
from collectguard.rulebook.vocabulary import COUNTING_LEASE_STATES, Channel, Mode, PartyKind, effective_mode

VOICE_CAP = "art15-voice-cap"
EFFECTIVE_CALL_CAP = "art16-effective-call-cap"
VISIT_CAP = "art16-visit-cap"
CAP_RULES = (VOICE_CAP, EFFECTIVE_CALL_CAP, VISIT_CAP)
VOICE_RULES = (VOICE_CAP, EFFECTIVE_CALL_CAP)
_CAP_LIMIT = MappingProxyType({VOICE_CAP: "voice_cap", EFFECTIVE_CALL_CAP: "effective_call_cap",  # Limits' fields
                                VISIT_CAP: "visit_cap"})


@cache  # three enums in, a rule id out: asked by every cap rule of every decision
def quota_rule_for(channel: Channel, mode: Mode, party_kind: PartyKind) -> str | None:
    """The per-day quota an attempt consumes when it connects (or is effective), if any.

    Caps are per debtor: an attempt to a contact takes none. Voice and video calls count as calls
    (notification → art. 15(二), interactive → art. 16(二)1); a visit counts under art. 16(三)4. The mode is
    taken as `effective_mode` gives it (a one-way channel is notification-type whatever was declared).
    """
    mode = effective_mode(channel, mode)
    if party_kind is not PartyKind.DEBTOR:
        return None
    if channel is Channel.VISIT:
        return VISIT_CAP
    if channel in (Channel.VOICE, Channel.VIDEO):
        return VOICE_CAP if mode is Mode.NOTIFICATION else EFFECTIVE_CALL_CAP
    return None


class Counted(Protocol):
    """An attempt as far as the day it counts on goes (a PastAttempt, or an attempts-table row)."""

    @property
    def allowed(self) -> bool: ...
    @property
    def at(self) -> datetime: ...
    @property
    def ended_at(self) -> datetime | None: ...


def counted_at(past: Counted) -> datetime:
    """The instant whose natural day a past attempt counts on.

    An allowed attempt counts on the day it was decided: its lease held that day's unit from the decision on,
    so concurrent callers never both take a day's last one. A denied attempt took no lease; when it was
    carried out anyway, it counts on the day it ended when its outcome says so (`ended_at`: a call made,
    or a letter sent, later than it was asked), else on the day it was asked.
    """
    if not past.allowed and past.ended_at is not None:
        return past.ended_at
    return past.at


def used_today(facts: Facts, rule: str) -> int:
    """Leases held or consumed today (the party's natural day) against one per-day quota, and contacts
    made against a deny that consumed it (RULES.md, Counting and concurrency: caps count what happened).

    # INVARIANT: a held lease counts until its outcome releases it, and an expired one counts as
    # consumed: so concurrent callers can never push connected contacts past the cap.
    """
    return facts.used_today_by_rule.get(rule, 0)


def count_used_today(facts: Facts) -> dict[str, int]:
    """`used_today` for every quota at once, in one pass over the history (what `Facts.used_today_by_rule`
    memoises: a decision asks for several quotas several times)."""
    assert facts.party is not None
    zone, party_id = facts.party.zone, facts.party.id
    first, after = day_instants(local_date(facts.at, zone), zone)  # today, as instants
    counts: dict[str, int] = {}
    for past in facts.history:
        rule = past.quota_rule
        if (rule is not None and past.party_id == party_id and past.lease_state in COUNTING_LEASE_STATES
                and first <= counted_at(past) < after):
            counts[rule] = counts.get(rule, 0) + 1
    return counts


def remaining(facts: Facts, rule: str, *, taking: str | None) -> int:
    """What is left of a per-day limit after this attempt's own lease (`taking`), never below 0."""
    limits = facts.limits
    left = getattr(limits, _CAP_LIMIT[rule]) - used_today(facts, rule) - (1 if taking == rule else 0)
    if rule in VOICE_RULES and limits.combined_voice_cap is not None:
        combined = sum(used_today(facts, r) for r in VOICE_RULES) + (1 if taking in VOICE_RULES else 0)
        left = min(left, limits.combined_voice_cap - combined)
    return max(left, 0)


def attempts_in_window(facts: Facts, debtor_id: str, days: int) -> list[PastAttempt]:
    """Earlier attempts to the debtor within the last `days` natural days, today included."""
    assert facts.party is not None
    zone = facts.party.zone
    today = local_date(facts.at, zone)
    first: date = today - timedelta(days=days - 1)
    return [
        past
        for past in facts.history
        if past.party_id == debtor_id and past.at <= facts.at and first <= local_date(past.at, zone) <= today
    ]


def letter_sent(past: PastAttempt) -> bool:
    """Whether a past letter counts as sent: allowed and not reported undelivered, or denied but reported
    delivered (sent despite the deny: it counts like any other, RULES.md, Counting and concurrency)."""
    return past.connected is not False if past.allowed else past.connected is True


def last_letter_date(facts: Facts, product: str) -> date | None:
    """The date of the latest letter sent to this party for this product (`letter_sent`), on the day it
    counts on (`counted_at`)."""
    assert facts.party is not None
    zone = facts.party.zone
    days = [
        local_date(counted_at(past), zone)
        for past in facts.history
        if past.channel is Channel.LETTER
        and letter_sent(past)
        and past.party_id == facts.party.id
        and past.product == product
        and past.at <= facts.at
    ]
    return max(days, default=None)


def lease_consumed(
    rule: str,
    *,
    connected: bool,
    duration_s: float | None,
    meaningful: bool | None,
    effective: bool | None,
    min_duration_s: float,
) -> bool:
    """Whether an outcome consumes the lease it settles (RULES.md, Counting and concurrency).

    Notification calls count once they connect; interactive calls when effective (≥ 6 s and meaning
    exchanged; an unknown duration counts, fail safe); visits when effective (or, unsaid, connected).
    """
    if not connected:
        return False
    if rule == EFFECTIVE_CALL_CAP:
        long_enough = duration_s is None or duration_s >= min_duration_s
        return long_enough and meaningful is not False and effective is not False
    if rule == VISIT_CAP:
        return connected if effective is None else effective
    return True
