"""Complaints in the caller's transaction (services never commit), each step in the ledger. SKELETON: the
complaints helper replaces this file."""

from __future__ import annotations

from collectguard.complaints.schemas import ComplaintAssignIn, ComplaintIn, ComplaintResolvedIn
from collectguard.registry.schemas import EventOut
from collectguard.registry.unit import Unit


def register(unit: Unit, data: ComplaintIn) -> EventOut:
    raise NotImplementedError("complaints: being built")


def assign(unit: Unit, data: ComplaintAssignIn) -> EventOut:
    raise NotImplementedError("complaints: being built")


def resolve(unit: Unit, data: ComplaintResolvedIn) -> EventOut:
    raise NotImplementedError("complaints: being built")
