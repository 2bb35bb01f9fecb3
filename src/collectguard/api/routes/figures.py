"""A collector's figures for a day over HTTP, with the contacts it made although the gate denied them.
Scoped like the other gate reads: the caller's institution, and for an agency-bound key only its own and its
subcontractors' collectors (anyone else's is not found)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from collectguard.agencies import repository as agencies
from collectguard.api import attempt_ids
from collectguard.api.deps import Now, StoreDep, require
from collectguard.auth.roles import Permission, Principal
from collectguard.fields import StrictDate
from collectguard.gate.figures import FIGURES_ZONE, CollectorFiguresOut, collector_figures, visible_collector
from collectguard.registry.schemas import Ident
from collectguard.rulebook.calendar import local_date

router = APIRouter(prefix="/v1/collectors", tags=["gate 闸门"])


@router.get("/{collector_id}/figures", response_model=CollectorFiguresOut,
            summary="催收人员当日数据 A collector's figures for a day, contacts made against a deny included")
def figures(
    collector_id: Annotated[Ident, Path()],
    p: Annotated[Principal, Depends(require(Permission.GATE_READ))],
    store: StoreDep,
    at: Now,
    day: Annotated[StrictDate | None, Query(description="自然日 YYYY-MM-DD（Asia/Shanghai），默认今天 the natural "
                                                         "day in Asia/Shanghai (default: today)")] = None,
) -> CollectorFiguresOut:
    """The attempts the collector asked about that day (allowed, denied), the outcomes reported, the contacts
    that counted against each per-day limit, the attempts whose outcome never came, and `against_deny`: the
    contacts made although the gate denied them (a connected outcome reported for a denied attempt), which
    count like any other (RULES.md, Counting and concurrency)."""
    with store.read() as session:
        orgs = agencies.family(session, p.agency_id) if p.agency_id is not None else None
        visible_collector(session, p.institution_id, collector_id, orgs)
        return collector_figures(session, p.institution_id, collector_id, day or local_date(at, FIGURES_ZONE), at,
                                 shown=attempt_ids.external)
