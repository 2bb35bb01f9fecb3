"""ORM rows of the registry's kernel — institutions, tenants' own references, the registry version — and, for
the modules that read across domains (the gate's loaders, scoping, the CLI), every domain's rows under one name.

Each domain owns its rows: agencies/models.py, collectors/models.py, tools/models.py, templates/models.py,
debts/models.py. Rows are storage; the rulebook sees immutable facts built from them."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from collectguard.agencies.models import Agency, AgencyListing, Agreement, SubcontractorApproval
from collectguard.collectors.models import Collector, CollectorAcceptance, Training
from collectguard.db.base import Base, Id
from collectguard.db.registry_version import GateCached, RegistryState
from collectguard.debts.models import Contact, Debt, DebtGuarantor, Debtor, DebtorAgreement, Placement
from collectguard.templates.models import Template, TemplateVersion
from collectguard.tools.models import Tool

__all__ = [
    "Agency", "AgencyListing", "Agreement", "Collector", "CollectorAcceptance", "Contact", "Debt", "DebtGuarantor",
    "Debtor", "DebtorAgreement", "ExternalRef", "Institution", "Placement", "RegistryState", "SubcontractorApproval",
    "Template", "TemplateVersion", "Tool", "Training",
]


class Institution(GateCached, Base):
    __tablename__ = "institutions"
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200))
    profile: Mapped[str] = mapped_column(String(40), default="nifa-2024")
    policy: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The day it started collecting (the first anchor of its yearly self-inspection, art. 12(二)) and the zone
    # its days are counted in (obligations' deadlines); both since migration 0013.
    since: Mapped[date | None] = mapped_column(Date)
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai", server_default="Asia/Shanghai")


class ExternalRef(Base):
    """A tenant's own reference for an object whose id the server made (a loan number, a CRM id). References are
    unique per institution and kind, so one tenant's reference never collides with, or reveals, another's."""

    __tablename__ = "external_refs"
    institution_id: Mapped[str] = mapped_column(ForeignKey("institutions.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    ref: Mapped[str] = mapped_column(String(64), primary_key=True)
    object_id: Mapped[str] = mapped_column(Id, index=True)
