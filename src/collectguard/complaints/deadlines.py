"""The calendar's one-off obligations of complaints: each complaint's answer (art22-complaint-response). SKELETON: the complaints helper fills it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from collectguard.rulebook.obligations import Deadlined
from collectguard.rulebook.policy import InstitutionPolicy
from collectguard.rulebook.profile import Profile


def complaint_deadlines(session: Session, institution_id: str, at: datetime, profile: Profile,
                        policy: InstitutionPolicy) -> list[Deadlined]:
    return []
