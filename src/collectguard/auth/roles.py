"""Roles and what each may do. Every principal acts for exactly one institution (art. 19(五)), except an agency's
own key (`agency_admin`): it maintains the agency's shared record — its collectors, their trainings, pledges and
statuses — which every institution that entrusts the agency reads, and sees no institution's data at all."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    INSTITUTION_ADMIN = "institution_admin"  # 机构管理员
    COMPLIANCE_OFFICER = "compliance_officer"  # 合规官
    AUDITOR = "auditor"  # 审计（只读）
    AGENCY_OPERATOR = "agency_operator"  # 催收机构操作员
    INTEGRATION = "integration"  # 外呼 / 短信 / 智能体接入
    AGENCY_ADMIN = "agency_admin"  # 催收机构自有管理员（平台签发，维护本机构人员）


class Permission(StrEnum):
    REGISTRY_READ = "registry:read"
    REGISTRY_WRITE = "registry:write"
    TEMPLATE_APPROVE = "template:approve"
    GATE_ASK = "gate:ask"
    GATE_READ = "gate:read"
    EVENT_WRITE = "event:write"
    HOLD_WRITE = "hold:write"
    HOLD_READ = "hold:read"
    LEDGER_READ = "ledger:read"
    PII_REVEAL = "pii:reveal"
    KEYS_MANAGE = "keys:manage"
    NOTICES_READ = "notices:read"
    NOTICES_ACK = "notices:ack"
    DEBT_SETTLE = "debt:settle"  # report a repayment as settling the debt: collection stops, the agency is told
    PLACEMENT_WRITE = "placement:write"  # place a debt with an agency, and change or end that placement
    STAFF_WRITE = "staff:write"  # an agency's own people: only the agency itself (or the platform) changes them
    OVERSIGHT_READ = "oversight:read"  # evaluations, inspections, orders, the obligations calendar (an agency: its own)
    OVERSIGHT_WRITE = "oversight:write"  # evaluate, list, inspect, order rectification, terminate (arts. 12, 17, 18)
    # What an agency reports to the institution: a personal-information incident (art. 21(二)), its periodic
    # complaint report (art. 22), the destruction of its copies at the end of an agreement (art. 20(四)).
    AGENCY_REPORT = "oversight:report"


P = Permission
PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.INSTITUTION_ADMIN: frozenset(Permission),
    Role.COMPLIANCE_OFFICER: frozenset(
        {P.REGISTRY_READ, P.TEMPLATE_APPROVE, P.GATE_READ, P.EVENT_WRITE, P.HOLD_WRITE, P.HOLD_READ, P.LEDGER_READ,
         P.PII_REVEAL, P.NOTICES_READ, P.DEBT_SETTLE, P.PLACEMENT_WRITE, P.OVERSIGHT_READ, P.OVERSIGHT_WRITE,
         P.AGENCY_REPORT}
    ),
    Role.AUDITOR: frozenset({P.REGISTRY_READ, P.GATE_READ, P.HOLD_READ, P.LEDGER_READ, P.NOTICES_READ,
                             P.OVERSIGHT_READ}),
    # An agency sees only what is placed with it now, with the fields it needs (art. 20(三)).
    Role.AGENCY_OPERATOR: frozenset({P.REGISTRY_READ, P.GATE_ASK, P.GATE_READ, P.EVENT_WRITE, P.NOTICES_READ, P.NOTICES_ACK,
                                     P.OVERSIGHT_READ, P.AGENCY_REPORT}),
    Role.INTEGRATION: frozenset({P.GATE_ASK, P.GATE_READ, P.EVENT_WRITE}),
    Role.AGENCY_ADMIN: frozenset({P.STAFF_WRITE}),
}
# Roles bound to an agency rather than acting for the institution itself.
AGENCY_ROLES = frozenset({Role.AGENCY_OPERATOR, Role.AGENCY_ADMIN})

# Events an agency operator or an integration may report; the rest are the institution's to decide. A
# repayment they report is an amount received; only a role with `debt:settle` may say it settles the debt.
FIELD_EVENTS = frozenset({"contact_refused", "repayment"})


@dataclass(frozen=True)
class Principal:
    key_id: str
    role: Role
    institution_id: str  # "" for an agency's own key, which acts for no institution
    agency_id: str | None = None
    label: str | None = None

    def can(self, permission: Permission) -> bool:
        return permission in PERMISSIONS[self.role]

    @property
    def is_agency_admin(self) -> bool:
        return self.role is Role.AGENCY_ADMIN

    @property
    def is_agency(self) -> bool:
        return self.role is Role.AGENCY_OPERATOR or (self.role is Role.INTEGRATION and self.agency_id is not None)
