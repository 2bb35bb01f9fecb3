"""People's accounts: create, sign in (argon2id, lock-out, TOTP), sessions with CSRF tokens, sign out.

Every function acts in the caller's unit of work (`registry.unit.Unit`) and never commits. `sign_in` never raises
for a refused sign-in: it returns a `SignIn` whose `error` the caller raises *after* committing, so the failure
count, the lock and their ledger records survive the refusal (a raise inside the unit would roll them back).

What a refusal reveals: an unknown username, a wrong password and a locked account get the same error after the
same work (an unknown username is verified against a dummy argon2id hash), so nobody learns which usernames exist
or which are locked. Only after the right password does the answer say that a one-time code is missing, wrong or
not yet enrolled. Sessions and CSRF tokens are stored as their SHA-256: a copy of the table opens nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from collectguard.auth.roles import Principal, Role
from collectguard.auth.service import check_binding
from collectguard.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthenticated
from collectguard.ledger.tags import Tag
from collectguard.privacy.crypto import decrypt, encrypt
from collectguard.registry.personal import keyring_of
from collectguard.registry.unit import Unit
from collectguard.users import repository
from collectguard.users.models import UserRow, UserSessionRow

HASHER = PasswordHasher()  # argon2id, RFC 9106 low-memory profile (argon2-cffi's default)
MIN_PASSWORD = 12
MAX_PASSWORD = 1024  # bounds the hashing work one request can ask for
TOTP_REQUIRED = frozenset({Role.INSTITUTION_ADMIN})
SIGN_IN_ROLES = frozenset(Role) - {Role.INTEGRATION}  # an integration key is a machine: it never signs in
REFUSED = ("用户名或密码错误，或账户已暂时锁定", "wrong username or password, or the account is locked for a while")


@dataclass(frozen=True)
class Policy:
    """Lock-out and session limits; from COLLECTGUARD_USER_* (whole minutes), defaults as in issue 12."""

    max_failures: int = 5
    lockout: timedelta = timedelta(minutes=15)
    idle: timedelta = timedelta(minutes=30)
    absolute: timedelta = timedelta(hours=12)

    @classmethod
    def from_env(cls) -> Policy:
        def minutes(name: str, default: timedelta) -> timedelta:
            raw = os.environ.get(name, "").strip()
            if not raw:
                return default
            if not raw.isdigit() or not 1 <= int(raw) <= 10_080:
                raise ValueError(f"{name}={raw!r}: 须为 1–10080 分钟 / must be 1 to 10080 minutes")
            return timedelta(minutes=int(raw))

        failures = os.environ.get("COLLECTGUARD_USER_MAX_FAILURES", "").strip()
        if failures and (not failures.isdigit() or not 1 <= int(failures) <= 100):
            raise ValueError(f"COLLECTGUARD_USER_MAX_FAILURES={failures!r}: 须为 1–100 / must be 1 to 100")
        return cls(max_failures=int(failures) if failures else 5,
                   lockout=minutes("COLLECTGUARD_USER_LOCKOUT_MIN", cls.lockout),
                   idle=minutes("COLLECTGUARD_USER_IDLE_MIN", cls.idle),
                   absolute=minutes("COLLECTGUARD_USER_SESSION_MAX_MIN", cls.absolute))


DEFAULT_POLICY = Policy()


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


# A hash nobody knows the password of, verified against when the username is unknown: the same work. Made at
# import, so that even a process's first sign-in with an unknown username takes no longer than with a known one.
_DUMMY_HASH = HASHER.hash(secrets.token_urlsafe(24))


def _record(unit: Unit, tag: Tag, user: UserRow, payload: dict[str, Any]) -> None:
    if user.institution_id is not None:
        unit.record(tag, user.id, payload, user.institution_id)
    else:
        unit.record_for_agency(tag, user.id, payload, user.agency_id or "")


# -- accounts ------------------------------------------------------------------------------------------------
def check_password(password: str) -> None:
    """At least 12 characters, of at least two classes (lower case, upper case, digits, others)."""
    if len(password) < MIN_PASSWORD or len(password) > MAX_PASSWORD:
        raise InvalidInput(f"密码须为 {MIN_PASSWORD}–{MAX_PASSWORD} 个字符",
                           f"the password must have {MIN_PASSWORD} to {MAX_PASSWORD} characters", field="password")
    classes = {"lower" if c.islower() else "upper" if c.isupper() else "digit" if c.isdigit() else "other"
               for c in password}
    if len(classes) < 2:
        raise InvalidInput("密码不能全为同一类字符（小写、大写、数字或符号）",
                           "the password must not be all one class of characters (lower case, upper case, digits "
                           "or symbols)", field="password")


def create_user(unit: Unit, *, username: str, role: Role | str, password: str, institution_id: str | None = None,
                agency_id: str | None = None) -> UserRow:
    """A new user, bound as an API key of the same role would be: an institution's roles need the institution, an
    agency operator also an agency the institution entrusts, an agency's own admin the agency and no institution."""
    try:
        role = Role(role)
    except ValueError:
        raise InvalidInput(f"未知角色 {role}", f"unknown role {role}", field="role") from None
    if role not in SIGN_IN_ROLES:
        raise InvalidInput("接入密钥角色（integration）不能登录控制台", "an integration role cannot sign in: it is "
                           "for machines, with an API key", field="role")
    session = unit.session
    check_binding(unit, role, institution_id, agency_id)
    check_password(password)
    if repository.by_username(session, username) is not None:
        raise Conflict(f"用户名 {username} 已存在", f"username {username} already exists", field="username",
                       code="duplicate-username")
    user = UserRow(id=f"usr_{secrets.token_hex(10)}", username=username, institution_id=institution_id,
                   agency_id=agency_id, role=role.value, password_hash=HASHER.hash(password), totp_secret=None,
                   totp_enabled=False, failed_attempts=0, locked_until=None, active=True, created_at=unit.at,
                   last_sign_in_at=None)
    session.add(user)
    session.flush()
    _record(unit, Tag.USER_CREATED, user, {"username": username, "role": role.value, "institution": institution_id,
                                           "agency": agency_id})
    return user


def set_password(unit: Unit, user: UserRow, password: str) -> None:
    """A new password (a reset by an administrator, or the demo's fresh one): the lock and failure count are
    cleared and every open session of the user ends."""
    check_password(password)
    user.password_hash = HASHER.hash(password)
    user.failed_attempts = 0
    user.locked_until = None
    ended = repository.end_sessions(unit.session, user.id, unit.at)
    _record(unit, Tag.PASSWORD_SET, user, {"sessions_ended": ended})


def deactivate(unit: Unit, user: UserRow) -> None:
    """The user can no longer sign in (the account stays, for the record); its open sessions end now."""
    user.active = False
    ended = repository.end_sessions(unit.session, user.id, unit.at)
    _record(unit, Tag.USER_DEACTIVATED, user, {"sessions_ended": ended})


def get_user(unit: Unit, username: str) -> UserRow:
    user = repository.by_username(unit.session, username)
    if user is None:
        raise NotFound("user", username, field="username")
    return user


# -- the second factor ---------------------------------------------------------------------------------------
def _context(user: UserRow) -> str:
    return f"user.totp_secret:{user.id}"  # bound to the column and the row


def _totp(unit: Unit, user: UserRow) -> pyotp.TOTP | None:
    if user.totp_secret is None:
        return None
    return pyotp.TOTP(decrypt(keyring_of(unit.session), user.totp_secret, context=_context(user)), interval=30)


def _code_ok(user: UserRow, totp: pyotp.TOTP, code: str | None, at: datetime) -> bool:
    """The code of the current 30-second step or of one either side (valid_window=1), and of a later step than the
    last code accepted: a code, once used, is never accepted again (RFC 6238 §5.2)."""
    if not code:
        return False
    now = totp.timecode(at)
    for step in (now - 1, now, now + 1):
        if hmac.compare_digest(totp.generate_otp(step), str(code).strip()) and (
                user.totp_last_step is None or step > user.totp_last_step):
            user.totp_last_step = step
            return True
    return False


def enroll_totp(unit: Unit, user: UserRow, *, issuer: str = "CollectGuard") -> str:
    """A new TOTP secret (stored encrypted, not yet enabled); returns its otpauth:// URI, shown once. The first
    valid code — `confirm_totp`, or a sign-in with it — enables it. An enabled second factor is not replaced."""
    if user.totp_enabled:
        raise Conflict("已启用动态口令", "TOTP is already enabled for this user", field="username",
                       code="totp-enabled")
    secret = pyotp.random_base32()
    user.totp_last_step = None
    user.totp_secret = encrypt(keyring_of(unit.session), secret, context=_context(user))
    return pyotp.TOTP(secret, interval=30).provisioning_uri(name=user.username, issuer_name=issuer)


def reset_totp(unit: Unit, user: UserRow) -> None:
    """Forget the user's second factor (a lost phone): the next `enroll_totp` starts afresh."""
    user.totp_secret = None
    user.totp_enabled = False
    user.totp_last_step = None
    _record(unit, Tag.TOTP_RESET, user, {})


def confirm_totp(unit: Unit, user: UserRow, code: str) -> None:
    totp = _totp(unit, user)
    if totp is None:
        raise Conflict("尚未登记动态口令", "no TOTP secret enrolled", field="totp_code", code="totp-not-enrolled")
    if not _code_ok(user, totp, code, unit.at):
        raise InvalidInput("动态口令错误", "wrong one-time code", field="totp_code")
    _enable(unit, user)


def _enable(unit: Unit, user: UserRow) -> None:
    if not user.totp_enabled:
        user.totp_enabled = True
        _record(unit, Tag.TOTP_ENABLED, user, {})


# -- signing in ----------------------------------------------------------------------------------------------
def principal_of(user: UserRow) -> Principal:
    """The user as the API's principal: the same role and scope as a key of that role."""
    return Principal(key_id=f"user:{user.id}", role=Role(user.role), institution_id=user.institution_id or "",
                     agency_id=user.agency_id, label=user.username)


@dataclass(frozen=True)
class SignIn:
    """What `sign_in` answers: tokens (shown once, to set as cookies) or the error to raise after committing."""

    token: str | None = None
    csrf_token: str | None = None
    principal: Principal | None = None
    expires_at: datetime | None = None
    error: Unauthenticated | Forbidden | None = None

    def unwrap(self) -> SignIn:
        if self.error is not None:
            raise self.error
        return self


def _refused() -> SignIn:
    return SignIn(error=Unauthenticated(*REFUSED, field="password", code="sign-in-refused"))


def sign_in(unit: Unit, username: str, password: str, totp_code: str | None = None, *, user_agent: str | None = None,
            policy: Policy = DEFAULT_POLICY) -> SignIn:
    session = unit.session
    user = repository.by_username(session, username)
    try:
        matches: bool = HASHER.verify(user.password_hash if user is not None else _DUMMY_HASH, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        matches = False
    if user is None or not user.active:
        unit.record(Tag.SIGN_IN_FAILED, f"name:{_sha256(username)[:16]}", {"reason": "unknown"},
                    user.institution_id if user is not None else None)
        return _refused()
    if user.locked_until is not None and user.locked_until > unit.at:
        _record(unit, Tag.SIGN_IN_FAILED, user, {"reason": "locked", "locked_until": user.locked_until})
        return _refused()
    if not matches:
        return _fail(unit, user, "password", _refused(), policy)
    if HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = HASHER.hash(password)
    totp = _totp(unit, user)
    if totp is None and Role(user.role) in TOTP_REQUIRED:
        _record(unit, Tag.SIGN_IN_FAILED, user, {"reason": "totp-not-enrolled"})
        return SignIn(error=Forbidden("机构管理员须先登记动态口令（collectguard users totp-enroll）",
                                      "an institution_admin must enroll a TOTP second factor first "
                                      "(collectguard users totp-enroll)", field="totp_code",
                                      code="totp-enrollment-required"))
    if totp is not None and (user.totp_enabled or Role(user.role) in TOTP_REQUIRED or totp_code):
        if not _code_ok(user, totp, totp_code, unit.at):
            error = Unauthenticated("缺少或错误的动态口令", "missing or wrong one-time code", field="totp_code",
                                    code="totp-required")
            return _fail(unit, user, "totp", SignIn(error=error), policy)
        _enable(unit, user)  # the first valid code confirms an enrolment
    user.failed_attempts = 0
    user.locked_until = None
    user.last_sign_in_at = unit.at
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    expires_at = unit.at + policy.absolute
    session.add(UserSessionRow(id=_sha256(token), user_id=user.id, csrf_hash=_sha256(csrf), created_at=unit.at,
                               expires_at=expires_at, last_seen_at=unit.at, revoked_at=None,
                               user_agent=user_agent[:200] if user_agent else None))
    _record(unit, Tag.SIGN_IN_SUCCEEDED, user, {"session": _sha256(token)[:16], "totp": totp is not None})
    return SignIn(token=token, csrf_token=csrf, principal=principal_of(user), expires_at=expires_at)


def _fail(unit: Unit, user: UserRow, reason: str, answer: SignIn, policy: Policy) -> SignIn:
    user.failed_attempts += 1
    _record(unit, Tag.SIGN_IN_FAILED, user, {"reason": reason, "failed_attempts": user.failed_attempts})
    if user.failed_attempts >= policy.max_failures:
        user.locked_until = unit.at + policy.lockout
        user.failed_attempts = 0
        _record(unit, Tag.SIGN_IN_LOCKED, user, {"locked_until": user.locked_until})
        return _refused()
    return answer


# -- sessions ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ActiveSession:
    id: str  # the SHA-256 of the token
    user_id: str
    principal: Principal
    csrf_hash: str
    expires_at: datetime
    last_seen_at: datetime


def session_for(unit: Unit, token: str | None, *, policy: Policy = DEFAULT_POLICY,
                touch: bool = True) -> ActiveSession | None:
    """The live session of a token, its last use moved to now (unless `touch` is False: a read-only look);
    None when unknown, revoked, idle too long, past its absolute limit, or its user is deactivated or locked."""
    if not token:
        return None
    row = repository.session_row(unit.session, _sha256(token))
    if row is None or row.revoked_at is not None or row.expires_at <= unit.at:
        return None
    if unit.at - row.last_seen_at >= policy.idle:
        return None
    user = repository.by_id(unit.session, row.user_id)
    if user is None or not user.active or (user.locked_until is not None and user.locked_until > unit.at):
        return None
    if touch:
        row.last_seen_at = max(row.last_seen_at, unit.at)
    return ActiveSession(row.id, user.id, principal_of(user), row.csrf_hash, row.expires_at, row.last_seen_at)


def check_csrf(session: ActiveSession, token: str | None) -> bool:
    """Whether a form's CSRF token is the session's (constant-time)."""
    return check_csrf_hash(session.csrf_hash, token)


def check_csrf_hash(csrf_hash: str, token: str | None) -> bool:
    """Whether `token` is the one whose SHA-256 is `csrf_hash` (constant-time); an empty token never is."""
    return bool(token) and hmac.compare_digest(csrf_hash, _sha256(token or ""))


def sign_out(unit: Unit, token: str | None) -> bool:
    """End the session of a token; False when there was none to end."""
    if not token:
        return False
    row = repository.session_row(unit.session, _sha256(token))
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = unit.at
    user = repository.by_id(unit.session, row.user_id)
    if user is not None:
        _record(unit, Tag.SESSION_ENDED, user, {"session": row.id[:16]})
    return True
