"""An inspection's sample (art. 12(二); OVERSIGHT.md item 4): the candidates — an institution's attempts in a period,
optionally one organisation's — in one query, drawn by the pure `rulebook.sampling.draw`.

- The period is whole days in Asia/Shanghai, both ends included: from 00:00 on `period_from` to before 00:00 on
  the day after `period_to`, by the attempt's time (when the gate judged it).
- Every attempt the gate judged is a candidate, allowed or denied (a denied attempt may have been made anyway).
- `org_id`: an agency — its own collectors' attempts and its subcontractors' (an agency whose parent it is); the
  institution itself — its in-house collectors' attempts. None: every attempt of the institution.
- Stratum: the collector's agency (None for the institution's in-house collectors), the collector, the channel.
- A recording: the attempt declared recording throughout (`recording: true`) and the call connected (its outcome
  says so); with `recordings` only those are drawn.

The caller (the inspection service) makes the seed when none is given (`secrets.token_hex(16)`) and records it;
`SampleOut.seed` is its canonical form, which draws the same sample again.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from collectguard.agencies.models import Agency
from collectguard.collectors.models import Collector
from collectguard.errors import InvalidInput
from collectguard.gate.models import AttemptRow
from collectguard.rulebook import sampling

SHANGHAI = ZoneInfo("Asia/Shanghai")


class SampledOut(BaseModel):
    """One attempt of the sample, with its stratum."""

    attempt: str
    agency: str | None = Field(description="催收机构；空为机构自有催收人员 the agency; null: the institution's own collector")
    collector: str
    channel: str
    at: datetime
    allowed: bool
    recording: bool = Field(description="已声明全程录音且已接通 recorded throughout and connected")


class StratumOut(BaseModel):
    agency: str | None
    collector: str
    channel: str
    population: int
    sampled: int


class SampleOut(BaseModel):
    """A reproducible stratified sample: the same institution, org, period, size, seed and `recordings` draw it
    again. `items` in stratum order then by attempt id; `strata` every stratum of the population."""

    institution: str
    org: str | None
    period_from: date
    period_to: date
    seed: str = Field(description="随机种子（十六进制）the seed, hexadecimal: it draws the same sample again")
    size: int = Field(description="请求的样本量 the size asked for")
    recordings: bool
    population: int
    sampled: int
    items: list[SampledOut]
    strata: list[StratumOut]


def bounds(period_from: date, period_to: date) -> tuple[datetime, datetime]:
    """[start, end): 00:00 Shanghai on the first day to 00:00 Shanghai on the day after the last."""
    if period_to < period_from:
        raise InvalidInput("抽样期间的结束日早于开始日", "the period ends before it begins", field="period_to")
    return (datetime.combine(period_from, time(0), SHANGHAI),
            datetime.combine(period_to + timedelta(days=1), time(0), SHANGHAI))


def draw(session: Session, *, institution_id: str, org_id: str | None, period_from: date, period_to: date,
         size: int, seed: int | str, recordings: bool = False) -> SampleOut:
    """The sample of the institution's attempts in the period (one query). InvalidInput: a period that ends
    before it begins, a negative size, a seed that is not 1 to 64 hexadecimal digits (or a whole number)."""
    start, end = bounds(period_from, period_to)
    if size < 0:
        raise InvalidInput("样本量不得为负", "the sample size must not be negative", field="sample_size")
    try:
        sampling.canonical_seed(seed)
    except ValueError:
        raise InvalidInput("随机种子须为 1 至 64 位十六进制数字", "the seed must be 1 to 64 hexadecimal digits",
                           field="seed") from None
    recorded = and_(AttemptRow.request["recording"].as_boolean().is_(True), AttemptRow.connected.is_(True))
    query = (
        select(AttemptRow.id, AttemptRow.collector_id, AttemptRow.channel, AttemptRow.at, AttemptRow.allowed,
               AttemptRow.request["recording"].as_boolean(), AttemptRow.connected, Agency.id)
        .join(Collector, Collector.id == AttemptRow.collector_id)
        .outerjoin(Agency, Agency.id == Collector.org_id)
        .where(AttemptRow.institution_id == institution_id, AttemptRow.at >= start, AttemptRow.at < end)
    )
    if recordings:
        query = query.where(recorded)
    if org_id is not None:
        if org_id == institution_id:
            query = query.where(Collector.org_id == institution_id)
        else:
            query = query.where(or_(Collector.org_id == org_id, Agency.parent_id == org_id))
    candidates: list[sampling.Candidate] = []
    facts: dict[str, tuple[datetime, bool]] = {}
    for attempt, collector, channel, at, allowed, declared, connected, agency in session.execute(query):
        candidates.append(sampling.Candidate(id=attempt, agency=agency, collector=collector, channel=channel,
                                             recording=declared is True and connected is True))
        facts[attempt] = (at, allowed)
    sample = sampling.draw(candidates, size, seed, recordings=recordings)
    return SampleOut(
        institution=institution_id, org=org_id, period_from=period_from, period_to=period_to, seed=sample.seed,
        size=size, recordings=recordings, population=sample.population, sampled=len(sample.chosen),
        items=[SampledOut(attempt=c.id, agency=c.agency, collector=c.collector, channel=c.channel,
                          at=facts[c.id][0], allowed=facts[c.id][1], recording=c.recording) for c in sample.chosen],
        strata=[StratumOut(agency=s.agency, collector=s.collector, channel=s.channel, population=s.population,
                           sampled=s.sampled) for s in sample.strata],
    )
