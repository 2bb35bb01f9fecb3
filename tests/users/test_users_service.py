"""People's accounts (issue 12, item 1): argon2id passwords, sign-in with lock-out and TOTP, sessions, CSRF."""

from __future__ import annotations

from datetime import datetime, timedelta

import pyotp
import pytest
from sqlalchemy import select
from tests.factories import at, build

from collectguard.auth.roles import Role
from collectguard.db.store import Store
from collectguard.errors import Forbidden, InvalidInput, Unauthenticated
from collectguard.ledger.models import LedgerRecord
from collectguard.ledger.tags import Tag
from collectguard.registry.unit import Unit, Units
from collectguard.users import service
from collectguard.users.models import UserRow, UserSessionRow

PASSWORD = "correct-horse-42"
T0 = at("2026-05-20 09:00")


@pytest.fixture
def units(store: Store) -> Units:
    build(store)
    return Units(store, "sm3")


def make(units: Units, username: str = "alice", role: Role = Role.COMPLIANCE_OFFICER, *,
         institution: str | None = "bank", agency: str | None = None, password: str = PASSWORD) -> str:
    with units.write(T0) as unit:
        return service.create_user(unit, username=username, role=role, password=password,
                                   institution_id=institution, agency_id=agency).id


def sign_in(units: Units, when: datetime, username: str = "alice", password: str = PASSWORD,
            code: str | None = None) -> service.SignIn:
    """One sign-in in its own committed unit, as an endpoint does: the refusal is raised after the commit."""
    with units.write(when) as unit:
        return service.sign_in(unit, username, password, code, user_agent="pytest")


def records(units: Units, tag: Tag) -> list[LedgerRecord]:
    with units.read() as session:
        return list(session.execute(select(LedgerRecord).where(LedgerRecord.kind == tag.value)
                                    .order_by(LedgerRecord.seq)).scalars())


def user(units: Units, username: str = "alice") -> UserRow:
    with units.read() as session:
        row = session.execute(select(UserRow).where(UserRow.username == username)).scalar_one()
        session.expunge(row)
        return row


def test_the_password_is_hashed_with_argon2id_and_never_stored_or_recorded_plain(units):
    user_id = make(units)
    row = user(units)
    assert row.password_hash.startswith("$argon2id$") and PASSWORD not in row.password_hash
    assert row.role == "compliance_officer" and row.institution_id == "bank" and row.id == user_id
    created = records(units, Tag.USER_CREATED)
    assert [(r.subject, r.institution_id) for r in created] == [(user_id, "bank")]
    with units.read() as session:
        bodies = " ".join(session.execute(select(LedgerRecord.body)).scalars())
    assert PASSWORD not in bodies and "$argon2" not in bodies


@pytest.mark.parametrize("password", ["short-1A", "alllowercaseletters", "123456789012345", "ＡＢＣＤＥＦＧＨＩＪＫＬ"])
def test_the_password_policy_is_a_422_naming_password(units, password):
    with pytest.raises(InvalidInput) as err:
        make(units, password=password)
    assert err.value.status == 422 and err.value.field == "password"


def test_roles_are_bound_as_api_keys_are_and_integration_cannot_be_created(units):
    with pytest.raises(InvalidInput) as err:
        make(units, role=Role.INTEGRATION)
    assert err.value.field == "role"
    with pytest.raises(InvalidInput) as err:
        make(units, role=Role.AUDITOR, institution=None)
    assert err.value.field == "institution"
    with pytest.raises(InvalidInput) as err:
        make(units, role=Role.AGENCY_OPERATOR)
    assert err.value.field == "agency"
    with pytest.raises(InvalidInput) as err:
        make(units, role=Role.AGENCY_ADMIN, agency="agA")  # an agency's own admin belongs to no institution
    assert err.value.field == "agency"
    make(units, "op", Role.AGENCY_OPERATOR, agency="agA")
    agency_admin = make(units, "agadmin", Role.AGENCY_ADMIN, institution=None, agency="agA")
    # Recorded for every institution that entrusts the agency.
    assert [r.institution_id for r in records(units, Tag.USER_CREATED) if r.subject == agency_admin] == ["bank"]
    signed = sign_in(units, T0, "agadmin").unwrap()
    assert signed.principal is not None and signed.principal.role is Role.AGENCY_ADMIN
    assert signed.principal.institution_id == "" and signed.principal.agency_id == "agA"


def test_sign_in_creates_a_session_and_a_ledger_record(units):
    user_id = make(units)
    signed = sign_in(units, T0).unwrap()
    assert signed.token and signed.csrf_token and signed.token != signed.csrf_token
    assert signed.principal is not None and signed.principal.role is Role.COMPLIANCE_OFFICER
    assert signed.principal.institution_id == "bank" and signed.principal.label == "alice"
    with units.read() as session:
        rows = list(session.execute(select(UserSessionRow)).scalars())
    assert len(rows) == 1 and rows[0].user_id == user_id
    assert signed.token not in rows[0].id and len(rows[0].id) == 64  # the SHA-256, never the token
    assert rows[0].expires_at == T0 + timedelta(hours=12) and rows[0].user_agent == "pytest"
    succeeded = records(units, Tag.SIGN_IN_SUCCEEDED)
    assert [(r.subject, r.institution_id) for r in succeeded] == [(user_id, "bank")]
    assert signed.token not in succeeded[0].body
    assert user(units).last_sign_in_at == T0


def test_a_wrong_password_is_refused_and_recorded(units):
    user_id = make(units)
    refused = sign_in(units, T0, password="wrong-password-1")
    assert refused.token is None and isinstance(refused.error, Unauthenticated)
    with pytest.raises(Unauthenticated):
        refused.unwrap()
    failed = records(units, Tag.SIGN_IN_FAILED)
    assert [(r.subject, r.institution_id) for r in failed] == [(user_id, "bank")]
    assert "wrong-password-1" not in failed[0].body
    assert user(units).failed_attempts == 1


def test_an_unknown_username_gets_the_identical_error_and_is_recorded(units):
    make(units)
    wrong = sign_in(units, T0, password="wrong-password-1").error
    unknown = sign_in(units, T0, username="mallory").error
    assert wrong is not None and unknown is not None
    assert (type(unknown), unknown.as_dict()) == (type(wrong), wrong.as_dict())
    failed = records(units, Tag.SIGN_IN_FAILED)
    assert len(failed) == 2 and "mallory" not in failed[1].body + failed[1].subject


def test_five_failures_lock_the_account_even_against_the_right_password(units):
    make(units)
    for minute in range(5):
        assert sign_in(units, T0 + timedelta(minutes=minute), password="wrong-password-1").error is not None
    assert len(records(units, Tag.SIGN_IN_LOCKED)) == 1
    locked_until = T0 + timedelta(minutes=4 + 15)
    assert user(units).locked_until == locked_until
    during = sign_in(units, locked_until - timedelta(seconds=1))
    assert during.token is None and during.error is not None
    # The same answer as an unknown username: a lock tells nobody that the account exists.
    unknown = sign_in(units, T0, username="nobody-here").error
    assert unknown is not None and during.error.as_dict() == unknown.as_dict()
    after = sign_in(units, locked_until).unwrap()
    assert after.token and user(units).failed_attempts == 0


def test_a_success_resets_the_failure_count(units):
    make(units)
    for _ in range(4):
        sign_in(units, T0, password="wrong-password-1")
    sign_in(units, T0).unwrap()
    for _ in range(4):
        sign_in(units, T0, password="wrong-password-1")
    assert user(units).locked_until is None and sign_in(units, T0).token


def enroll(units: Units, username: str) -> pyotp.TOTP:
    with units.write(T0) as unit:
        uri = service.enroll_totp(unit, service.get_user(unit, username))
    assert uri.startswith("otpauth://totp/") and "CollectGuard" in uri
    return pyotp.parse_uri(uri)  # type: ignore[return-value]


def test_an_institution_admin_needs_totp(units):
    make(units, "admin", Role.INSTITUTION_ADMIN)
    refused = sign_in(units, T0, "admin")
    assert isinstance(refused.error, Forbidden) and refused.error.code == "totp-enrollment-required"
    totp = enroll(units, "admin")
    row = user(units, "admin")
    assert row.totp_secret is not None and row.totp_secret.startswith("cg1.") and totp.secret not in row.totp_secret
    assert not row.totp_enabled
    valid = {totp.at(T0 + timedelta(seconds=step)) for step in (-30, 0, 30)}
    wrong = sign_in(units, T0, "admin", code=next(c for c in ("000000", "111111", "222222", "333333") if c not in valid))
    assert isinstance(wrong.error, Unauthenticated) and wrong.error.field == "totp_code"
    missing = sign_in(units, T0, "admin")
    assert isinstance(missing.error, Unauthenticated) and missing.error.field == "totp_code"
    assert user(units, "admin").failed_attempts == 2  # a wrong code counts towards the lock
    # A code from the previous 30-second step is still accepted (valid_window=1).
    signed = sign_in(units, T0, "admin", code=totp.at(T0 - timedelta(seconds=30))).unwrap()
    assert signed.principal is not None and signed.principal.role is Role.INSTITUTION_ADMIN
    assert user(units, "admin").totp_enabled and len(records(units, Tag.TOTP_ENABLED)) == 1
    assert sign_in(units, T0, "admin").error is not None  # enabled: every sign-in needs a code


def test_totp_is_optional_for_other_roles_and_confirmed_explicitly(units):
    make(units)
    totp = enroll(units, "alice")
    assert sign_in(units, T0).token  # pending enrolment: not required yet
    with units.write(T0) as unit:
        with pytest.raises(InvalidInput):
            service.confirm_totp(unit, service.get_user(unit, "alice"), "abcdef")
    with units.write(T0) as unit:
        service.confirm_totp(unit, service.get_user(unit, "alice"), totp.at(T0))
    assert sign_in(units, T0).error is not None
    replayed = sign_in(units, T0, code=totp.at(T0)).error  # the confirming code, used again
    assert isinstance(replayed, Unauthenticated) and replayed.field == "totp_code"
    assert sign_in(units, T0 + timedelta(seconds=30), code=totp.at(T0 + timedelta(seconds=30))).token


def test_a_one_time_code_is_never_accepted_twice(units):
    make(units, "admin", Role.INSTITUTION_ADMIN)
    totp = enroll(units, "admin")
    code = totp.at(T0)
    assert sign_in(units, T0, "admin", code=code).token
    assert sign_in(units, T0 + timedelta(seconds=20), "admin", code=code).error is not None
    # Nor an older step's code after a newer one was used.
    assert sign_in(units, T0 + timedelta(seconds=30), "admin", code=totp.at(T0 + timedelta(seconds=30))).token
    assert sign_in(units, T0 + timedelta(seconds=30), "admin", code=code).error is not None


def lookup(units: Units, token: str | None, when: datetime) -> service.ActiveSession | None:
    with units.write(when) as unit:
        return service.session_for(unit, token)


def test_sessions_expire_when_idle_and_at_their_absolute_limit(units):
    make(units)
    token = sign_in(units, T0).unwrap().token
    assert lookup(units, None, T0) is None and lookup(units, "not-a-token", T0) is None
    # Used every 29 minutes, it lives until its absolute limit of 12 hours.
    when = T0
    while when + timedelta(minutes=29) < T0 + timedelta(hours=12):
        when += timedelta(minutes=29)
        found = lookup(units, token, when)
        assert found is not None and found.principal.label == "alice", when
    assert lookup(units, token, T0 + timedelta(hours=12)) is None
    # Idle for 30 minutes: gone.
    idle = sign_in(units, T0).unwrap().token
    assert lookup(units, idle, T0 + timedelta(minutes=29)) is not None
    assert lookup(units, idle, T0 + timedelta(minutes=29 + 30)) is None


def test_sign_out_ends_the_session_and_is_recorded(units):
    user_id = make(units)
    token = sign_in(units, T0).unwrap().token
    with units.write(T0) as unit:
        assert service.sign_out(unit, token)
    with units.write(T0) as unit:
        assert not service.sign_out(unit, token)
    assert lookup(units, token, T0) is None
    assert [r.subject for r in records(units, Tag.SESSION_ENDED)] == [user_id]


def test_the_csrf_token_belongs_to_its_session(units):
    make(units)
    first = sign_in(units, T0).unwrap()
    second = sign_in(units, T0).unwrap()
    session = lookup(units, first.token, T0)
    assert session is not None
    assert service.check_csrf(session, first.csrf_token)
    assert not service.check_csrf(session, second.csrf_token)
    assert not service.check_csrf(session, None) and not service.check_csrf(session, "")


def test_a_rehash_happens_when_the_parameters_change(units, monkeypatch):
    from argon2 import PasswordHasher

    make(units)
    monkeypatch.setattr(service, "HASHER", PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1))
    before = user(units).password_hash
    sign_in(units, T0).unwrap()
    after = user(units).password_hash
    assert after != before and after.startswith("$argon2id$v=19$m=8192,t=1,p=1$")


def test_policy_from_the_environment(monkeypatch):
    monkeypatch.setenv("COLLECTGUARD_USER_LOCKOUT_MIN", "5")
    monkeypatch.setenv("COLLECTGUARD_USER_MAX_FAILURES", "3")
    policy = service.Policy.from_env()
    assert policy.lockout == timedelta(minutes=5) and policy.max_failures == 3
    assert policy.idle == timedelta(minutes=30) and policy.absolute == timedelta(hours=12)
    monkeypatch.setenv("COLLECTGUARD_USER_IDLE_MIN", "0")
    with pytest.raises(ValueError):
        service.Policy.from_env()


def test_a_unit_is_never_committed_by_the_service(store):
    build(store)
    with store.transaction() as session:
        unit = Unit(session, at=T0)
        service.create_user(unit, username="ghost", role=Role.AUDITOR, password=PASSWORD, institution_id="bank")
        session.rollback()
    with store.read() as session:
        assert session.execute(select(UserRow)).first() is None
