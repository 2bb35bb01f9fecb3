"""`collectguard users create|list|set-password|deactivate|totp-enroll|totp-reset`: people's accounts for the console.

The password is read from standard input, never from an argument (arguments show in `ps` and shell history):
prompted twice without echo when standard input is a terminal, else one line (`printf '%s\\n' "$PW" | …`)."""

from __future__ import annotations

import getpass
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

import typer

from collectguard.registry.cli import DbOption, _db

app = typer.Typer(help="用户 People's accounts for the console: passwords (argon2id), TOTP, roles.",
                  no_args_is_help=True)

T = TypeVar("T")
UsernameOption = Annotated[str, typer.Option("--username", help="用户名 username")]


def _read_password() -> str:
    if sys.stdin.isatty():
        first = getpass.getpass("密码 Password: ")
        if getpass.getpass("再次输入 Again: ") != first:
            typer.echo("错误 error: 两次输入的密码不一致 / the passwords differ", err=True)
            raise typer.Exit(2)
        return first
    return sys.stdin.readline().rstrip("\r\n")


@app.command("create")
def create(
    username: UsernameOption,
    role: Annotated[str, typer.Option("--role", help="角色 role: institution_admin, compliance_officer, auditor, "
                                                     "agency_operator, agency_admin")],
    institution: Annotated[str | None, typer.Option("--institution", help="机构编号 institution id")] = None,
    agency: Annotated[str | None, typer.Option("--agency", help="催收机构编号 agency id")] = None,
    db: DbOption = None,
) -> None:
    """创建用户 Create a user; the password is read from standard input."""
    from collectguard.config import Settings
    from collectguard.db.store import Store
    from collectguard.errors import CollectGuardError
    from collectguard.registry.unit import Units
    from collectguard.users import service

    password = _read_password()
    store = Store(_db(db))
    try:
        with Units(store, Settings.from_env().ledger_hash).write(datetime.now(UTC)) as unit:
            user = service.create_user(unit, username=username, role=role, password=password,
                                       institution_id=institution, agency_id=agency)
            user_id, needs_totp = user.id, user.role in {r.value for r in service.TOTP_REQUIRED}
    except CollectGuardError as exc:
        typer.echo(f"错误 error: {exc}", err=True)
        raise typer.Exit(2) from None
    finally:
        store.dispose()
    typer.echo(f"已创建用户 created user {username} ({user_id}, {role})")
    if needs_totp:
        typer.echo(f"须登记动态口令 TOTP required before signing in: collectguard users totp-enroll --username {username}")


def _on_user(db: str | None, username: str, act: Callable[[Any, Any], T]) -> T:
    """Run `act(unit, user)` in one unit of work (recorded in the ledger); a refusal is printed, exit 2."""
    from collectguard.config import Settings
    from collectguard.db.store import Store
    from collectguard.errors import CollectGuardError
    from collectguard.registry.unit import Units
    from collectguard.users import service

    store = Store(_db(db))
    try:
        with Units(store, Settings.from_env().ledger_hash).write(datetime.now(UTC)) as unit:
            return act(unit, service.get_user(unit, username))
    except CollectGuardError as exc:
        typer.echo(f"错误 error: {exc}", err=True)
        raise typer.Exit(2) from None
    finally:
        store.dispose()


@app.command("totp-enroll")
def totp_enroll(username: UsernameOption, db: DbOption = None) -> None:
    """登记动态口令 Enroll a TOTP second factor: prints the otpauth:// URI once (scan it; the first valid code
    at sign-in enables it)."""
    from collectguard.users import service

    typer.echo(_on_user(db, username, service.enroll_totp))


@app.command("totp-reset")
def totp_reset(username: UsernameOption, db: DbOption = None) -> None:
    """重置动态口令 Forget a user's second factor (a lost phone); enroll a new one with totp-enroll."""
    from collectguard.users import service

    _on_user(db, username, service.reset_totp)
    typer.echo(f"已重置 reset: collectguard users totp-enroll --username {username}")


@app.command("set-password")
def set_password(username: UsernameOption, db: DbOption = None) -> None:
    """重设密码 Set a new password (read from standard input); unlocks the account and ends its sessions."""
    from collectguard.users import service

    password = _read_password()
    _on_user(db, username, lambda unit, user: service.set_password(unit, user, password))
    typer.echo(f"已重设密码 password set for {username}; its sessions ended")


@app.command("deactivate")
def deactivate(username: UsernameOption, db: DbOption = None) -> None:
    """停用用户 Deactivate a user: it can no longer sign in and its sessions end (the account stays on record)."""
    from collectguard.users import service

    _on_user(db, username, service.deactivate)
    typer.echo(f"已停用 deactivated {username}")


@app.command("list")
def list_users(
    institution: Annotated[str | None, typer.Option("--institution", help="只列此机构 only this institution")] = None,
    agency: Annotated[str | None, typer.Option("--agency", help="只列此催收机构 only this agency")] = None,
    db: DbOption = None,
) -> None:
    """列出用户 List users (never their secrets)."""
    from collectguard.db.store import Store
    from collectguard.users import repository

    store = Store(_db(db))
    try:
        with store.read() as session:
            rows = [(u.username, u.role, u.institution_id or "-", u.agency_id or "-",
                     "totp" if u.totp_enabled else "-", "active" if u.active else "inactive",
                     f"locked until {u.locked_until.isoformat()}" if u.locked_until else "")
                    for u in repository.list_users(session, institution_id=institution, agency_id=agency)]
    finally:
        store.dispose()
    for row in rows:
        typer.echo("\t".join(row).rstrip())
