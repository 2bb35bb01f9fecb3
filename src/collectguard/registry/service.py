"""The registry's kernel service and bulk loader. Services never commit: the caller's transaction does.

`Registry` is a `Unit` (registry/unit.py) that also creates institutions and loads a whole world — a scenario's
setup, the demo, an import — through the domain services (agencies, collectors, tools, templates, debts), in
dependency order and with one query per kind to find ids already taken. Every change is in the ledger.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from collectguard.agencies import service as agencies
from collectguard.collectors import service as collectors
from collectguard.db.base import Base
from collectguard.debts import service as debts
from collectguard.errors import InvalidInput
from collectguard.ledger.tags import Tag
from collectguard.oversight import service as oversight
from collectguard.registry import models as m
from collectguard.registry import refusals
from collectguard.registry import schemas as s
from collectguard.registry.unit import Unit
from collectguard.rulebook.policy import InstitutionPolicy, PolicyError, validate_policy
from collectguard.rulebook.profile import (
    DEFAULT_PROFILE,
    QuietHours,
    UnreachableDefinition,
    load_profile,
    parse_hhmm,
)
from collectguard.templates import service as templates
from collectguard.tools import service as tools


class Registry(Unit):
    """A unit of work that creates institutions and loads whole worlds."""

    def add_institution(self, data: s.InstitutionIn, policy: s.PolicyIn | None = None) -> m.Institution:
        policy_data = policy.model_dump(by_alias=True, exclude_none=True) if policy else {}
        if policy is not None:
            check_policy(policy)
        zone = data.timezone or s.DEFAULT_TIMEZONE
        since = data.since or self.at.astimezone(ZoneInfo(zone)).date()
        row = m.Institution(id=data.id, name=data.name, profile=DEFAULT_PROFILE, policy=policy_data, since=since,
                            timezone=zone)
        self.new(row, "institution", data.id, Tag.INSTITUTION_CREATED,
                 {"name": data.name, "policy": policy_data, "since": since.isoformat(), "timezone": zone}, data.id)
        return row

    def _prefetch_absent(self, world: s.World) -> None:
        kinds: list[tuple[type[Base], list[str]]] = [
            (m.Institution, _ids(world.institutions)), (m.Agency, _ids(world.agencies)),
            (m.Agreement, _ids(world.agreements)), (m.Collector, _ids(world.collectors)), (m.Tool, _ids(world.tools)),
            (m.Template, _ids(world.templates)), (m.Debtor, _ids(world.debtors) + _ids(world.contacts)),
            (m.Contact, _ids(world.contacts)), (m.Debt, _ids(world.debts)),
        ]
        for model, ids in kinds:
            present: set[str] = set()
            for start in range(0, len(ids), 500):
                chunk = ids[start:start + 500]
                present |= set(self.session.execute(select(model.id).where(model.id.in_(chunk))).scalars())  # type: ignore[attr-defined]
            self.remember_absent(model, set(ids) - present)

    def load_world(self, world: s.World, default_timezone: str = s.DEFAULT_TIMEZONE) -> None:
        """Create a whole world in dependency order (scenario setup, imports, the demo).

        Ids are checked for duplicates with one query per kind, not one per row."""
        self._prefetch_absent(world)
        for item in world.institutions:
            self.add_institution(item)
        for agency in _parents_first(world.agencies):
            agencies.add_agency(self, agency)
            self.session.flush()
        steps: list[tuple[list[Any], Any]] = [
            (world.agreements, lambda a: agencies.add_agreement(self, a)),
            (world.collectors, lambda c: collectors.add_collector(self, c)),
            (world.tools, lambda t: tools.add_tool(self, t)),
            (world.templates, lambda t: templates.add_template(self, t)),
            (world.debtors, lambda d: debts.add_debtor(self, d, default_timezone)),
            (world.contacts, lambda c: debts.add_contact(self, c)),
            (world.debts, lambda d: debts.add_debt(self, d)),
            (world.placements, lambda p: debts.add_placement(self, p)),
            (world.debtor_agreements, lambda a: debts.add_debtor_agreement(self, a)),
            (world.staff, lambda p: oversight.add_staff(self, p)),
        ]
        for items, add in steps:
            for item in items:
                add(item)
            self.session.flush()
        # contacts registered as refused before their debtor's debts were: their numbers, now that they are
        refusals.remember_registered(self.session, [c.id for c in world.contacts if c.refused], self.at)


def update_institution(unit: Unit, ident: str, changes: dict[str, Any]) -> m.Institution:
    row = unit.get(m.Institution, ident, kind="institution")
    unit.update(row, Tag.INSTITUTION_UPDATED, ident, changes, ident)
    return row


def _ids(items: list[Any]) -> list[str]:
    return [item.id for item in items]


def _parents_first(agencies: list[s.AgencyIn]) -> list[s.AgencyIn]:
    by_id = {a.id: a for a in agencies}
    ordered: list[s.AgencyIn] = []
    seen: set[str] = set()

    def visit(agency: s.AgencyIn, trail: tuple[str, ...]) -> None:
        if agency.id in seen:
            return
        if agency.id in trail:
            raise InvalidInput("转委托关系成环", f"subcontracting cycle: {' → '.join(trail + (agency.id,))}", field="parent")
        if agency.parent in by_id:
            visit(by_id[agency.parent], trail + (agency.id,))
        seen.add(agency.id)
        ordered.append(agency)

    for agency in agencies:
        visit(agency, ())
    return ordered


def to_policy(data: s.PolicyIn | dict[str, Any] | None) -> InstitutionPolicy:
    """Turn stored or submitted policy into the rulebook's InstitutionPolicy."""
    if data is None:
        return InstitutionPolicy()
    if isinstance(data, dict):
        data = s.PolicyIn.model_validate(data)
    quiet = data.quiet_hours
    return InstitutionPolicy(
        voice_cap=data.voice_cap,
        effective_call_cap=data.effective_call_cap,
        visit_cap=data.visit_cap,
        combined_voice_cap=data.combined_voice_cap,
        quiet_hours=QuietHours(parse_hhmm(quiet.from_), parse_hhmm(quiet.to)) if quiet else None,
        unreachable=UnreachableDefinition(**data.unreachable.model_dump()) if data.unreachable else None,
        lease_ttl_s=data.lease_ttl_s,
        pre_expiry_days=data.pre_expiry_days,
        complaint_days=data.complaint_days,
    )


def check_policy(data: s.PolicyIn) -> None:
    """Refuse a policy looser than the guideline, naming the field."""
    try:
        validate_policy(to_policy(data), load_profile(DEFAULT_PROFILE))
    except PolicyError as exc:
        raise InvalidInput(exc.message_zh, exc.message_en, field=f"policy.{exc.field}", code="policy-looser-than-guideline") from exc
