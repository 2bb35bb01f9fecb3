"""The calendar's one-off obligations of incidents: each incident's notice (art21-breach-24h, art24-major-risk-48h). SKELETON: the incidents helper fills it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from collectguard.rulebook.obligations import Deadlined
from collectguard.rulebook.policy import InstitutionPolicy
from collectguard.rulebook.profile import Profile


def incident_deadlines(session: Session, institution_id: str, at: datetime, profile: Profile,
                       policy: InstitutionPolicy) -> list[Deadlined]:
    return []
