"""An in-process snapshot of what rarely changes (institutions, agencies and their name-list entries,
approvals and agreements, collectors, tools, templates), so a decision reads only the debtor's own rows.

The snapshot is keyed by the registry version (`registry_state`), which every change to those entities
moves in its own transaction; each decision compares the version first and reloads on any move. That keeps
caching correct across threads, worker processes and servers."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from collectguard.registry import models as m
from collectguard.rulebook import facts as f
from collectguard.rulebook.vocabulary import (
    Audience,
    Channel,
    CollectorKind,
    CollectorStatus,
    ListingStatus,
    ToolType,
)


@dataclass(frozen=True)
class RegistrySnapshot:
    version: int | None
    policies: dict[str, dict[str, Any]]
    agency_parents: dict[str, str | None]
    listings: dict[tuple[str, str], ListingStatus]
    approvals: frozenset[tuple[str, str]]
    agreements: dict[tuple[str, str], tuple[f.Agreement, ...]]
    collectors: dict[str, f.Collector]
    tools: dict[str, f.Tool]
    templates: dict[str, f.Template]
    # Each institution's own view of other organisations' collectors (art. 19(五)): its suspensions and the
    # trainings it recognised, which no other institution's decisions read.
    acceptances: dict[tuple[str, str], CollectorStatus] = field(default_factory=dict)
    recognised: dict[tuple[str, str], date] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def collector(self, collector_id: str, institution_id: str) -> f.Collector | None:
        """A collector as `institution_id` sees it: the shared record, suspended if this institution suspended
        it, trained as late as the latest training it or the collector's organisation recorded."""
        shared = self.collectors.get(collector_id)
        if shared is None:
            return None
        status = self.acceptances.get((institution_id, collector_id))
        trained = self.recognised.get((institution_id, collector_id))
        if status is None and trained is None:
            return shared
        changes: dict[str, Any] = {}
        if status is not None and status is not CollectorStatus.ACTIVE and shared.status is CollectorStatus.ACTIVE:
            changes["status"] = status
        if trained is not None and (shared.last_training is None or trained > shared.last_training):
            changes["last_training"] = trained
        return replace(shared, **changes) if changes else shared

    def agency(self, agency_id: str, institution_id: str) -> f.Agency:
        return f.Agency(
            id=agency_id,
            parent_id=self.agency_parents.get(agency_id),
            listing=self.listings.get((institution_id, agency_id)),
            approved_as_subcontractor=(institution_id, agency_id) in self.approvals,
        )

    @classmethod
    def empty(cls) -> RegistrySnapshot:
        """No registry at all (a batch of outcomes judges nothing against it)."""
        return cls(version=None, policies={}, agency_parents={}, listings={}, approvals=frozenset(), agreements={},
                   collectors={}, tools={}, templates={})

    @classmethod
    def load(cls, session: Session, version: int | None) -> RegistrySnapshot:
        agreements: dict[tuple[str, str], list[f.Agreement]] = defaultdict(list)
        for a in session.execute(select(m.Agreement)).scalars():
            agreements[(a.institution_id, a.agency_id)].append(
                f.Agreement(a.id, a.agency_id, a.valid_from, a.valid_to, a.subcontracting)
            )
        versions = {
            (v.template_id, v.version): v for v in session.execute(
                select(m.TemplateVersion).join(m.Template, (m.Template.id == m.TemplateVersion.template_id)
                                               & (m.Template.current_version == m.TemplateVersion.version))
            ).scalars()
        }
        templates = {}
        for t in session.execute(select(m.Template)).scalars():
            v = versions[(t.id, t.current_version)]
            templates[t.id] = f.Template(
                id=t.id, institution_id=t.institution_id, audience=Audience(t.audience), channel=Channel(t.channel),
                approved=v.status == "approved", text=v.text, sealed=v.sealed, version=v.version, active=t.active,
            )
        return cls(
            version=version,
            policies={i.id: dict(i.policy or {}) for i in session.execute(select(m.Institution)).scalars()},
            agency_parents={a.id: a.parent_id for a in session.execute(select(m.Agency)).scalars()},
            listings={(r.institution_id, r.agency_id): ListingStatus(r.status)
                      for r in session.execute(select(m.AgencyListing)).scalars()},
            approvals=frozenset((r.institution_id, r.agency_id)
                                for r in session.execute(select(m.SubcontractorApproval)).scalars()),
            agreements={k: tuple(v) for k, v in agreements.items()},
            collectors={c.id: f.Collector(
                id=c.id, kind=CollectorKind(c.kind), org_id=c.org_id, status=CollectorStatus(c.status),
                pre_job_exam=c.pre_job_exam, pledge_signed=c.pledge_signed, last_training=c.last_training,
                approved=c.approved) for c in session.execute(select(m.Collector)).scalars()},
            tools={t.id: f.Tool(
                id=t.id, institution_id=t.institution_id, type=ToolType(t.type), official=t.official, filed=t.filed,
                org_id=t.org_id, active_from=t.active_from, active_to=t.active_to)
                for t in session.execute(select(m.Tool)).scalars()},
            templates=templates,
            acceptances={(r.institution_id, r.collector_id): CollectorStatus(r.status)
                         for r in session.execute(select(m.CollectorAcceptance)).scalars()},
            recognised={(str(inst), collector): day for inst, collector, day in session.execute(
                select(m.Training.institution_id, m.Training.collector_id, func.max(m.Training.day))
                .where(m.Training.institution_id.is_not(None))
                .group_by(m.Training.institution_id, m.Training.collector_id))},
        )


class SnapshotCache:
    """The current snapshot of one gate; reloaded when the registry version moves (or is unknown)."""

    def __init__(self) -> None:
        self._snapshot: RegistrySnapshot | None = None

    def get(self, session: Session) -> RegistrySnapshot:
        version = session.execute(select(m.RegistryState.version).where(m.RegistryState.id == 1)).scalar_one_or_none()
        current = self._snapshot
        if current is not None and version is not None and current.version == version:
            return current
        fresh = RegistrySnapshot.load(session, version)
        self._snapshot = fresh
        return fresh
