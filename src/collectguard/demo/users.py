"""The demo's console users, one per role: created on the first run, given fresh passwords on every run (printed
once by `collectguard demo`). The institution admin gets a fresh TOTP secret too, since it must use one."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from collectguard.auth.roles import Role
from collectguard.registry.unit import Unit
from collectguard.users import repository
from collectguard.users import service as users


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: Role
    password: str
    institution: str | None
    agency: str | None
    totp_uri: str | None = None  # the admin's otpauth:// URI (scan it, or compute codes from its secret)


def _password() -> str:
    return f"Demo-{secrets.token_urlsafe(12)}"  # upper and lower case, digits, symbols: 21+ characters


def demo_users(unit: Unit, institution: str, agency: str, other_agency: str | None = None) -> list[DemoUser]:
    """A user per role that signs in (integration never does), bound to the demo lender and its first agency; with
    `other_agency`, a second agency operator there (to see that it sees only its own agency)."""
    wanted: list[tuple[str, Role, str | None, str | None]] = [
        ("demo-admin", Role.INSTITUTION_ADMIN, institution, None),
        ("demo-compliance", Role.COMPLIANCE_OFFICER, institution, None),
        ("demo-auditor", Role.AUDITOR, institution, None),
        ("demo-agency", Role.AGENCY_OPERATOR, institution, agency),
        ("demo-agency-admin", Role.AGENCY_ADMIN, None, agency),
    ]
    if other_agency is not None:
        wanted.append(("demo-agency-2", Role.AGENCY_OPERATOR, institution, other_agency))
    made = []
    for username, role, inst, ag in wanted:
        password = _password()
        user = repository.by_username(unit.session, username)
        if user is None:
            user = users.create_user(unit, username=username, role=role, password=password, institution_id=inst,
                                     agency_id=ag)
        else:
            users.set_password(unit, user, password)
        uri = None
        if role in users.TOTP_REQUIRED:
            if user.totp_secret is not None:
                users.reset_totp(unit, user)
            uri = users.enroll_totp(unit, user, issuer="CollectGuard demo")
        made.append(DemoUser(username, role, password, inst, ag, uri))
    return made
