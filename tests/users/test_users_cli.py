"""`collectguard users create|totp-enroll|list`: the password comes from standard input, never an argument."""

from __future__ import annotations

from datetime import UTC, datetime

import pyotp
from sqlalchemy import select
from tests.factories import build
from typer.testing import CliRunner

from collectguard.cli import app
from collectguard.registry.unit import Units
from collectguard.users import service
from collectguard.users.models import UserRow

runner = CliRunner()
PASSWORD = "Str0ng enough pass"


def test_create_reads_the_password_from_stdin_then_signs_in(store, db_url):
    build(store)
    result = runner.invoke(app, ["users", "create", "--username", "carol", "--role", "compliance_officer",
                                 "--institution", "bank", "--db", db_url], input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert "carol" in result.output and PASSWORD not in result.output
    with store.read() as session:
        row = session.execute(select(UserRow).where(UserRow.username == "carol")).scalar_one()
        assert row.password_hash.startswith("$argon2id$")
    with Units(store, "sm3").write(datetime.now(UTC)) as unit:
        assert service.sign_in(unit, "carol", PASSWORD).unwrap().token
    listed = runner.invoke(app, ["users", "list", "--db", db_url])
    assert listed.exit_code == 0 and "carol\tcompliance_officer\tbank" in listed.output
    assert "$argon2" not in listed.output


def test_create_refuses_a_weak_password_and_the_integration_role(store, db_url):
    build(store)
    weak = runner.invoke(app, ["users", "create", "--username", "dave", "--role", "auditor", "--institution", "bank",
                               "--db", db_url], input="short\n")
    assert weak.exit_code == 2 and "password" in weak.output
    integration = runner.invoke(app, ["users", "create", "--username", "bot", "--role", "integration",
                                      "--institution", "bank", "--db", db_url], input=PASSWORD + "\n")
    assert integration.exit_code == 2 and "role" in integration.output
    with store.read() as session:
        assert session.execute(select(UserRow)).first() is None


def test_totp_enroll_prints_the_uri_once_and_an_admin_signs_in_with_a_code(store, db_url):
    build(store)
    created = runner.invoke(app, ["users", "create", "--username", "root", "--role", "institution_admin",
                                  "--institution", "bank", "--db", db_url], input=PASSWORD + "\n")
    assert created.exit_code == 0 and "totp-enroll" in created.output
    enrolled = runner.invoke(app, ["users", "totp-enroll", "--username", "root", "--db", db_url])
    assert enrolled.exit_code == 0, enrolled.output
    uri = enrolled.output.strip()
    assert uri.startswith("otpauth://totp/")
    now = datetime.now(UTC)
    with Units(store, "sm3").write(now) as unit:
        code = pyotp.parse_uri(uri).now()  # type: ignore[attr-defined]
        assert service.sign_in(unit, "root", PASSWORD, code).unwrap().token
    again = runner.invoke(app, ["users", "totp-enroll", "--username", "root", "--db", db_url])
    assert again.exit_code == 2 and "already enabled" in again.output
    unknown = runner.invoke(app, ["users", "totp-enroll", "--username", "nobody", "--db", db_url])
    assert unknown.exit_code == 2


def test_set_password_deactivate_and_totp_reset(store, db_url):
    build(store)
    runner.invoke(app, ["users", "create", "--username", "erin", "--role", "auditor", "--institution", "bank",
                        "--db", db_url], input=PASSWORD + "\n")
    with Units(store, "sm3").write(datetime.now(UTC)) as unit:
        token = service.sign_in(unit, "erin", PASSWORD).unwrap().token
    changed = runner.invoke(app, ["users", "set-password", "--username", "erin", "--db", db_url],
                            input="An0ther good one\n")
    assert changed.exit_code == 0, changed.output
    with Units(store, "sm3").write(datetime.now(UTC)) as unit:
        assert service.session_for(unit, token) is None  # a new password ends the open sessions
        assert service.sign_in(unit, "erin", PASSWORD).error is not None
        second = service.sign_in(unit, "erin", "An0ther good one").unwrap().token
    assert runner.invoke(app, ["users", "deactivate", "--username", "erin", "--db", db_url]).exit_code == 0
    with Units(store, "sm3").write(datetime.now(UTC)) as unit:
        assert service.session_for(unit, second) is None
        assert service.sign_in(unit, "erin", "An0ther good one").error is not None
    enrolled = runner.invoke(app, ["users", "totp-enroll", "--username", "erin", "--db", db_url])
    assert enrolled.output.startswith("otpauth://")
    assert runner.invoke(app, ["users", "totp-reset", "--username", "erin", "--db", db_url]).exit_code == 0
    with store.read() as session:
        row = session.execute(select(UserRow).where(UserRow.username == "erin")).scalar_one()
        assert row.totp_secret is None and not row.active
    unknown = runner.invoke(app, ["users", "deactivate", "--username", "nobody", "--db", db_url])
    assert unknown.exit_code == 2 and "nobody" in unknown.output
