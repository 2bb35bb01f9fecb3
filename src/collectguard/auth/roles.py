"""Roles and what each may do. Every principal acts for exactly one institution (art. 19(五))."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    INSTITUTION_ADMIN = "institution_admin"  # 机构管理员
    COMPLIANCE_OFFICER = "compliance_officer"  # 合规官
    AUDITOR = "auditor"  # 审计（只读）
    AGENCY_OPERATOR = "agency_operator"  # 催收机构操作员
    INTEGRATION = "integration"  # 外呼 / 短信 / 智能体接入


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


P = Permission
PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.INSTITUTION_ADMIN: frozenset(Permission),
    Role.COMPLIANCE_OFFICER: frozenset(
        {P.REGISTRY_READ, P.TEMPLATE_APPROVE, P.GATE_READ, P.EVENT_WRITE, P.HOLD_WRITE, P.HOLD_READ, P.LEDGER_READ,
         P.PII_REVEAL, P.NOTICES_READ}
    ),
    Role.AUDITOR: frozenset({P.REGISTRY_READ, P.GATE_READ, P.HOLD_READ, P.LEDGER_READ, P.NOTICES_READ}),
    # An agency sees only what is placed with it now, with the fields it needs (art. 20(三)).
    Role.AGENCY_OPERATOR: frozenset({P.REGISTRY_READ, P.GATE_ASK, P.GATE_READ, P.EVENT_WRITE, P.NOTICES_READ, P.NOTICES_ACK}),
    Role.INTEGRATION: frozenset({P.GATE_ASK, P.GATE_READ, P.EVENT_WRITE}),
}

# Events an agency operator or an integration may report; the rest are the institution's to decide.
FIELD_EVENTS = frozenset({"contact_refused", "repayment"})


@dataclass(frozen=True)
class Principal:
    key_id: str
    role: Role
    institution_id: str
    agency_id: str | None = None
    label: str | None = None

    def can(self, permission: Permission) -> bool:
        return permission in PERMISSIONS[self.role]

    @property
    def is_agency(self) -> bool:
        return self.role is Role.AGENCY_OPERATOR or (self.role is Role.INTEGRATION and self.agency_id is not None)
