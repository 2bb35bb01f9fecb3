"""The calendar's one-off obligations of incidents (OVERSIGHT.md):

| obligation | subject | met by | overdue when |
|---|---|---|---|
| `art21-breach-24h` | each `pi_breach` with an agency | a notice `to: institution` | instant > discovered_at + 24 h |
| `art24-major-risk-48h` | each `major_risk` | an accepted report `to: sro` | instant > discovered_at + 48 h |

The hours are the profile's `breach_notice_hours` and `major_risk_report_hours`. Exactly 24 h (48 h) after the
discovery is still on time; a notice given late meets the obligation (the item leaves the overdue list) and stays
marked late on the notice itself. A `pi_breach` without an agency is the institution's own discovery: there is
no one to tell the institution, so no 24 h item.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from collectguard.incidents import repository as repo
from collectguard.incidents.models import Incident, IncidentNotification
from collectguard.incidents.schemas import IncidentKind, NotifyTo
from collectguard.registry.repository import institution_zone
from collectguard.rulebook.obligations import Dated, Deadlined, Evidence, SubjectKind, local_day
from collectguard.rulebook.policy import InstitutionPolicy
from collectguard.rulebook.profile import Profile

BREACH_24H = "art21-breach-24h"
MAJOR_RISK_48H = "art24-major-risk-48h"


@dataclass(frozen=True)
class Rule:
    """The deadline an incident carries: which obligation, the notice that meets it, and how many hours."""

    obligation: str
    to: NotifyTo
    hours: int

    def due_at(self, discovered_at: datetime) -> datetime:
        return discovered_at + timedelta(hours=self.hours)


def rule_of(kind: str, agency_id: str | None, profile: Profile) -> Rule | None:
    """The obligation an incident of `kind` carries, if any."""
    if kind == IncidentKind.MAJOR_RISK:
        return Rule(MAJOR_RISK_48H, NotifyTo.SRO, profile.major_risk_report_hours)
    if kind == IncidentKind.PI_BREACH and agency_id is not None:
        return Rule(BREACH_24H, NotifyTo.INSTITUTION, profile.breach_notice_hours)
    return None


def meeting(rule: Rule, notes: list[IncidentNotification]) -> IncidentNotification | None:
    """The first notice that meets the rule (later ones are follow-ups)."""
    return next((n for n in sorted(notes, key=lambda n: (n.at, n.n)) if n.to == rule.to), None)


def incident_deadlines(session: Session, institution_id: str, at: datetime, profile: Profile,
                       policy: InstitutionPolicy) -> list[Deadlined]:
    """Each incident recorded by `at` that carries a deadline, with the notice that met it (if any)."""
    rows: list[Incident] = repo.incidents(session, institution_id, reported_by=at)[0]
    if not rows:
        return []
    zone = institution_zone(session, institution_id)
    notes = repo.notifications(session, [r.id for r in rows])
    out = []
    for row in rows:
        rule = rule_of(row.kind, row.agency_id, profile)
        if rule is None:
            continue
        first = meeting(rule, [n for n in notes[row.id] if n.at <= at])
        met = Dated(local_day(first.at, zone), Evidence(f"incident:notified:{first.to}", f"{row.id}#{first.n}",
                                                        first.at, first.ledger_seq)) if first else None
        due = rule.due_at(row.discovered_at)
        # `due_at` decides (overdue from the next instant); `due_date`, its local day, places the item on the
        # calendar's month.
        out.append(Deadlined(rule.obligation, row.id, SubjectKind.INCIDENT,
                             Evidence("incident:reported", row.id, row.reported_at, row.ledger_seq),
                             due_date=local_day(due, zone), due_at=due, met=met, agency=row.agency_id))
    return out
