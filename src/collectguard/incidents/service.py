"""Incidents in the caller's transaction (services never commit), each step in the ledger. SKELETON: the
incidents helper replaces this file."""

from __future__ import annotations

from collectguard.incidents.schemas import IncidentIn, IncidentNotifiedIn
from collectguard.registry.schemas import EventOut
from collectguard.registry.unit import Unit


def report(unit: Unit, data: IncidentIn) -> EventOut:
    raise NotImplementedError("incidents: being built")


def notify(unit: Unit, data: IncidentNotifiedIn) -> EventOut:
    raise NotImplementedError("incidents: being built")
