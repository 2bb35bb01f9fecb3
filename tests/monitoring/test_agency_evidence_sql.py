"""`monitoring.service.agency_evidence` counts in the database (repository.evidence_counts): on random attempts —
allowed and denied under several rules (a rule listed twice counts once), outcomes reported or not, contacts made
against a deny that ended inside, before or after the period, interactive calls and visits with and without their
recording declared, QA findings and clean-call markers, several parties and collectors, times clustered around the
institution's local midnight (to the microsecond, equal times broken by id), institutions in zones with and without
summer time, periods starting and ending anywhere — it answers exactly what the Python definitions answer
(`reference` below: the evidence as it was counted before, row by row), on SQLite and PostgreSQL."""

from __future__ import annotations

import random
import uuid
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from collectguard.agencies.models import Agency
from collectguard.agencies.repository import family
from collectguard.collectors.models import Collector
from collectguard.db.store import Store
from collectguard.gate.models import AttemptRow
from collectguard.monitoring import repository as repo
from collectguard.monitoring import scoring
from collectguard.monitoring.schemas import AgencyEvidence
from collectguard.monitoring.service import agency_evidence
from collectguard.qa.storage import QaFindingRow
from collectguard.registry.models import Institution
from collectguard.registry.repository import institution_zone
from collectguard.rulebook.calendar import local_date

RULES = ("art9-quiet-hours", "art10-daily-cap", "art8-contact-no-disclosure", "art16-etiquette", "art6-collector")
# (zone, a day near which it changes its offset, or an ordinary day)
ZONES = (("Asia/Shanghai", date(2026, 5, 20)), ("America/New_York", date(2026, 3, 8)),
         ("America/New_York", date(2026, 11, 1)), ("Australia/Lord_Howe", date(2026, 4, 5)),
         ("Asia/Kathmandu", date(2026, 1, 1)), ("Europe/London", date(2026, 10, 25)))
COLLECTORS = {"cA1": "agA", "cA2": "agA", "cS1": "agS", "cB1": "agB", "cI1": "bank"}  # "ghost" has no row


# -- the reference: the evidence as it was counted row by row in Python -------------------------------------------
def _rate(part: int, whole: int) -> Decimal:
    return scoring.share(part, whole) or Decimal(0)


def reference(session: Session, institution_id: str, agency_id: str, since: datetime, until: datetime) -> AgencyEvidence:
    """monitoring.service.agency_evidence before it counted in the database (the repository's row helpers)."""
    orgs = family(session, agency_id)
    zone = institution_zone(session, institution_id)
    rows = repo.attempt_rows(session, institution_id, since, until, orgs)
    asked = repo.asked_in(rows, since, until)
    denied = [r for r in asked if not r.allowed]
    by_rule: Counter[str] = Counter()
    for r in denied:
        by_rule.update(set(r.failing or ()))
    repeated = repo.after_deny(asked, zone)
    against = repo.against_deny_in(rows, since, until)
    calls = sum(1 for r in asked if r.connected and r.channel in repo.RECORDED_CHANNELS)
    findings = repo.finding_rows(session, institution_id, since, until, orgs)
    findings_by_rule = Counter(f.rule or "?" for f in findings)
    per_1000 = (Decimal(len(findings)) * 1000 / calls).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) \
        if calls else Decimal(0)
    allowed = [r for r in asked if r.allowed]
    reported = sum(1 for r in allowed if r.outcome_at is not None)
    inter = [r for r in asked if repo.interactive(r)]
    recorded = sum(1 for r in inter if r.recording is True)
    security = sum(n for rule, n in by_rule.items() if rule in scoring.SECURITY_RULES) + \
        sum(n for rule, n in findings_by_rule.items() if rule in scoring.SECURITY_RULES)
    completeness, recording_share = scoring.share(reported, len(allowed)), scoring.share(recorded, len(inter))
    complaints = 0
    suggested = scoring.suggest(scoring.Inputs(
        attempts=len(asked), denied=len(denied), after_deny=len(repeated), against_deny=len(against), calls=calls,
        findings_per_1000_calls=per_1000, security_events=security, completeness=completeness,
        recording_share=recording_share, complaints=complaints))
    return AgencyEvidence(
        institution_id=institution_id, agency_id=agency_id, agencies=sorted(orgs), since=since, until=until,
        attempts=len(asked), denied=len(denied), denial_rate=_rate(len(denied), len(asked)),
        denials_by_rule=dict(sorted(by_rule.items())),
        denial_rate_by_rule={rule: _rate(n, len(asked)) for rule, n in sorted(by_rule.items())},
        after_deny=len(repeated), against_deny=len(against), calls=calls, qa_findings=len(findings),
        qa_findings_by_rule=dict(sorted(findings_by_rule.items())), qa_findings_per_1000_calls=per_1000,
        complaints=complaints, outcomes_expected=len(allowed), outcomes_reported=reported,
        records_completeness=completeness, interactive=len(inter), interactive_recorded=recorded,
        recording_share=recording_share, suggested=suggested)


# -- random worlds ------------------------------------------------------------------------------------------------
def _orgs(session: Session) -> None:
    session.add(Institution(id="bank", timezone="Asia/Shanghai"))
    session.add_all([Agency(id="agA"), Agency(id="agB")])
    session.flush()
    session.add(Agency(id="agS", parent_id="agA"))
    session.add_all([Collector(id=c, org_id=org, kind="human") for c, org in COLLECTORS.items()])


def _instant(rng: random.Random, zone: ZoneInfo, days: list[date], seen: list[datetime]) -> datetime:
    """Mostly near a local midnight (to the microsecond), sometimes anywhere in the days, sometimes an instant
    already used (equal times: the gate's order is then the id's)."""
    pick = rng.random()
    if seen and pick < 0.15:
        return rng.choice(seen)
    midnight = datetime.combine(rng.choice(days), time(), zone).astimezone(UTC)
    if pick < 0.6:
        shift = timedelta(microseconds=rng.choice((-1, 0, 1, -500, 499, 999_999, -999_999, -400, 600)))
        return midnight + rng.choice((timedelta(0), timedelta(seconds=rng.randint(-90, 90)))) + shift
    return midnight + timedelta(seconds=rng.randint(0, 86_399), microseconds=rng.randint(0, 999_999))


def _world(session: Session, rng: random.Random, institution: str, zone: ZoneInfo, around: date,
           n: int) -> tuple[list[date], list[datetime]]:
    """`n` random attempts of `institution` (and some of another, with the same collectors), and QA findings."""
    session.add(Institution(id=institution, timezone=zone.key))
    other = f"{institution}-other"
    session.add(Institution(id=other, timezone="Asia/Shanghai"))
    days = [around + timedelta(days=k) for k in range(-2, 3)]
    seen: list[datetime] = []
    rows: list[dict[str, Any]] = []
    for k in range(n):
        at = _instant(rng, zone, days, seen)
        twin = next((r for r in reversed(rows) if r["at"] == at), None)  # asked at the same instant: to the same?
        seen.append(at)
        allowed = rng.random() < 0.55
        failing = [] if allowed and rng.random() < 0.9 else rng.choices(RULES, k=rng.randint(0 if allowed else 1, 3))
        reported = rng.random() < 0.7
        against = not allowed and reported and rng.random() < 0.5
        ended = None
        if reported and rng.random() < 0.6:
            ended = at + rng.choice((timedelta(seconds=rng.randint(0, 7200)), timedelta(days=rng.randint(1, 4)),
                                     timedelta(microseconds=1)))
        channel = rng.choice(("voice", "voice", "video", "sms", "visit", "letter"))
        request: dict[str, Any] = {"id": f"x{k}"}
        if rng.random() < 0.8:
            request["recording"] = rng.choice((True, False, None))
        party = twin["party_id"] if twin and rng.random() < 0.8 else rng.choice(("d1", "d2", "k1", "k2"))
        collector = twin["collector_id"] if twin and rng.random() < 0.8 else rng.choice((*COLLECTORS, "ghost"))
        rows.append({
            "id": f"{institution}-{rng.randint(0, 9999):04d}-{k}", "decision_id": str(uuid.uuid4()),  # not in time order
            "institution_id": other if rng.random() < 0.1 else institution, "debt_id": "loan",
            "collector_id": collector, "party_id": party,
            "party_kind": "debtor" if party.startswith("d") else "contact", "debtor_id": "d" + party[1],
            "channel": channel, "mode": rng.choice(("notification", "interactive")), "at": at, "allowed": allowed,
            "failing": failing, "lease_state": "none", "connected": rng.choice((None, True, False)) if reported else None,
            "outcome_at": at + timedelta(minutes=5) if reported else None, "ended_at": ended, "against_deny": against,
            "request": request, "decision": {}})
    session.execute(insert(AttemptRow), rows)
    findings = []
    for r in rng.sample(rows, k=n // 4):
        for seq in range(rng.randint(0, 3)):
            findings.append(QaFindingRow(
                attempt_id=r["id"], call_id="call", seq=seq, collector_id=r["collector_id"],
                org_id=rng.choice(("agA", "agS", "agB", "bank")), institution_id=r["institution_id"],
                day=local_date(r["at"], zone), category=None if seq == 0 else rng.choice(("threat", "insult")),
                rule=rng.choice((*RULES[2:], None)), severity=None))
    session.add_all(findings)
    return days, seen


def _period(rng: random.Random, zone: ZoneInfo, days: list[date], seen: list[datetime]) -> tuple[datetime, datetime]:
    """Whole local days, or from and to any instant (one an attempt was asked at, now and then)."""
    first, last = sorted(rng.sample(days, 2))
    if rng.random() < 0.4:
        return datetime.combine(first, time(), zone), datetime.combine(last + timedelta(days=1), time(), zone)
    a, b = sorted((rng.choice(seen) if rng.random() < 0.3 else _instant(rng, zone, days, seen)) for _ in range(2))
    return a, b + timedelta(microseconds=rng.choice((0, 1)))


@pytest.mark.parametrize("seed", range(4))
def test_the_evidence_counted_in_the_database_is_the_rows_evidence(db_url, seed):
    rng = random.Random(f"agency-evidence-sql:{seed}")
    store = Store(db_url)
    try:
        with store.transaction() as session:
            _orgs(session)
        compared = 0
        for k, (name, around) in enumerate(ZONES):
            zone, institution = ZoneInfo(name), f"i{seed}-{k}"
            with store.transaction() as session:
                days, seen = _world(session, rng, institution, zone, around, n=rng.choice((60, 250)))
            with store.read() as session:
                for _ in range(6):
                    since, until = _period(rng, zone, days, seen)
                    for agency in ("agA", "agB", "agS"):
                        expected = reference(session, institution, agency, since, until)
                        assert agency_evidence(session, institution, agency, since, until) == expected, \
                            (name, agency, since, until)
                        compared += 1
                # the whole span: every attempt of the institution counted once
                since = datetime.combine(days[0] - timedelta(days=1), time(), zone)
                until = datetime.combine(days[-1] + timedelta(days=6), time(), zone)
                assert agency_evidence(session, institution, "agA", since, until) == \
                    reference(session, institution, "agA", since, until)
        assert compared == len(ZONES) * 6 * 3
    finally:
        store.dispose()


def test_the_local_day_in_sql_is_the_calendars(db_url):
    """repository.local_day gives rulebook.calendar.local_date of every instant, around every change of offset."""
    rng = random.Random("local-day")
    store = Store(db_url)
    try:
        with store.transaction() as session:
            _orgs(session)
            session.add(Institution(id="i", timezone="Asia/Shanghai"))
            instants = []
            for name, around in ZONES:
                zone = ZoneInfo(name)
                instants += [_instant(rng, zone, [around + timedelta(days=d) for d in range(-2, 3)], instants)
                             for _ in range(150)]
            session.execute(insert(AttemptRow), [{
                "id": f"t{k}", "decision_id": str(uuid.uuid4()), "institution_id": "i", "debt_id": "loan",
                "collector_id": "cA1", "party_id": "d1", "party_kind": "debtor", "debtor_id": "d1",
                "channel": "sms", "mode": "notification", "at": at, "allowed": True, "failing": [],
                "lease_state": "none", "request": {}, "decision": {}} for k, at in enumerate(instants)])
        with store.read() as session:
            dialect = session.get_bind().dialect.name
            for name, around in ZONES:
                zone = ZoneInfo(name)
                since = datetime.combine(around - timedelta(days=3), time(), UTC)
                until = datetime.combine(around + timedelta(days=4), time(), UTC)
                day = repo.local_day(AttemptRow.at, zone, since, until, dialect)
                rows = session.execute(select(AttemptRow.at, day).where(AttemptRow.at >= since,
                                                                        AttemptRow.at < until)).all()
                assert len(rows) >= 100
                for at, got in rows:
                    assert str(got) == local_date(at, zone).isoformat(), (name, at)
    finally:
        store.dispose()


def test_offsets_are_the_zones():
    for name, around in ZONES:
        zone = ZoneInfo(name)
        since = datetime.combine(around - timedelta(days=200), time(7, 13, 5, 123), UTC)
        until = since + timedelta(days=366)
        stretches = repo.offsets(zone, since, until)
        assert stretches[0][0] == since
        at = since
        while at < until:
            offset = next(o for start, o in reversed(stretches) if start <= at)
            assert at.astimezone(zone).utcoffset() == timedelta(seconds=offset), (name, at)
            at += timedelta(minutes=37, microseconds=1)
        for (start, offset), (_, before) in zip(stretches[1:], stretches, strict=False):
            assert offset != before
            assert (start - timedelta(seconds=1)).astimezone(zone).utcoffset() == timedelta(seconds=before)
    assert len(repo.offsets(ZoneInfo("Asia/Shanghai"), datetime(2025, 1, 1, tzinfo=UTC),
                            datetime(2026, 1, 1, tzinfo=UTC))) == 1
    assert len(repo.offsets(ZoneInfo("America/New_York"), datetime(2025, 1, 1, tzinfo=UTC),
                            datetime(2026, 1, 1, tzinfo=UTC))) == 3
