"""`collectguard init` (a fresh database's first institution and its first administrator key) and
`collectguard policy show|set` (an institution's policy, stricter than the guideline only).

A policy file is YAML (or JSON) with the scenario format's policy keys, for example:

    voice_cap: 2
    quiet_hours: {from: "21:00", to: "08:00"}
    unreachable: {window_days: 7, min_attempts: 3, min_distinct_days: 2}
    lease_ttl_s: 300
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

if TYPE_CHECKING:
    from pydantic import ValidationError

    from collectguard.registry.schemas import PolicyIn

policy_app = typer.Typer(help="机构政策 An institution's policy: stricter caps, quiet hours, unreachable "
                              "definition, lease TTL.", no_args_is_help=True)

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="数据库 URL (default: $COLLECTGUARD_DB or sqlite:///collectguard.db)"),
]
InstitutionOption = Annotated[str, typer.Option("--institution", help="机构编号 institution id")]


def _db(url: str | None) -> str:
    from collectguard.config import Settings

    return url or Settings.from_env().db_url


def _fail(message: str, code: int = 2) -> NoReturn:
    typer.echo(f"错误 error: {message}", err=True)
    raise typer.Exit(code)


def instant(text: str | None, option: str = "--at") -> datetime:
    """An option's aware instant (ISO 8601 with its offset); now when not given. A bad one exits 2 naming the option."""
    if text is None:
        return datetime.now(UTC)
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        _fail(f"{option} 不是 ISO 8601 时间 is not an ISO 8601 instant: {text!r}")
    if when.tzinfo is None:
        _fail(f"{option} 须带时区 must carry a UTC offset, e.g. 2026-12-04T09:00:00+08:00")
    return when


def _invalid(exc: ValidationError, where: str) -> NoReturn:
    lines = [f"{'.'.join(str(p) for p in e['loc']) or '(top)'}: {e['msg']}" for e in exc.errors()]
    _fail(f"{where} 无效 is invalid:\n  " + "\n  ".join(lines))


def read_policy_file(path: Path) -> dict[str, Any]:
    """The mapping a policy file holds (YAML or JSON); exits 2 naming the file and what is wrong."""
    import yaml

    try:
        data = yaml.safe_load(path.read_text("utf-8"))
    except OSError as exc:
        _fail(f"无法读取 cannot read {path}: {exc.strerror}")
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        _fail(f"{where}: 不是有效的 YAML / not valid YAML ({getattr(exc, 'problem', None) or exc})")
    if data is None:
        return {}
    if not isinstance(data, dict):
        _fail(f"{path}: 须为政策键的映射 / must be a mapping of policy keys (voice_cap, quiet_hours, …)")
    return data


def _assignments(values: list[str], policy: dict[str, Any]) -> dict[str, Any]:
    """Apply KEY=VALUE (dotted keys for nested values: quiet_hours.from=21:00); an empty VALUE removes KEY."""
    import yaml

    out = json.loads(json.dumps(policy))
    for item in values:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise typer.BadParameter(f"须为 KEY=VALUE / expected KEY=VALUE, got {item!r}", param_hint="--set")
        path = key.strip().split(".")
        target = out
        for part in path[:-1]:
            node = target.setdefault(part, {})
            if not isinstance(node, dict):
                raise typer.BadParameter(f"{'.'.join(path[:-1])} 不是映射 / is not a mapping", param_hint="--set")
            target = node
        if raw.strip() == "":
            target.pop(path[-1], None)
        else:
            # HH:MM stays text (YAML would read 21:00 as a number of minutes)
            target[path[-1]] = raw.strip() if ":" in raw else yaml.safe_load(raw)
    return out


def _policy(data: dict[str, Any], where: str) -> PolicyIn:
    from pydantic import ValidationError

    from collectguard.registry.schemas import PolicyIn

    try:
        return PolicyIn.model_validate(data)
    except ValidationError as exc:
        _invalid(exc, where)


def _print(out: Any) -> None:
    sys.stdout.write(json.dumps(out.model_dump(mode="json"), ensure_ascii=False, indent=2) + "\n")


@policy_app.command("show")
def policy_show(institution: InstitutionOption, db: DbOption = None) -> None:
    """查看政策 The institution's overrides and the limits in effect, as JSON."""
    from collectguard.db.store import Store
    from collectguard.errors import CollectGuardError
    from collectguard.registry import policies
    from collectguard.registry.service import Registry

    store = Store(_db(db))
    try:
        with store.read() as session:
            out = policies.show(Registry(session, at=datetime.now(UTC)), institution)
    except CollectGuardError as exc:
        _fail(str(exc), 1)
    finally:
        store.dispose()
    _print(out)


@policy_app.command("set")
def policy_set(
    institution: InstitutionOption,
    file: Annotated[Path | None, typer.Option("--file", help="YAML/JSON policy: replaces the whole policy")] = None,
    assign: Annotated[list[str] | None, typer.Option(
        "--set", help="KEY=VALUE, repeatable (quiet_hours.from=21:00; KEY= removes KEY); applied to --file, "
                      "or to the current policy without --file")] = None,
    db: DbOption = None,
) -> None:
    """设置政策 Replace the institution's policy (stricter than the guideline only); recorded in the ledger,
    applied by the gate from its next decision."""
    from collectguard.config import Settings
    from collectguard.db.store import Store
    from collectguard.errors import CollectGuardError
    from collectguard.registry import models as m
    from collectguard.registry import policies
    from collectguard.registry.service import Registry

    if file is None and not assign:
        raise typer.BadParameter("给出 --file 或 --set / give --file or --set", param_hint="--file")
    base = read_policy_file(file) if file is not None else None
    store = Store(_db(db))
    try:
        with store.transaction() as session:
            registry = Registry(session, at=datetime.now(UTC), algorithm=Settings.from_env().ledger_hash)
            row = registry.get(m.Institution, institution, kind="institution", field="institution")
            data = _assignments(assign or [], base if base is not None else dict(row.policy or {}))
            out = policies.replace(registry, institution, _policy(data, str(file) if file else "--set"))
    except CollectGuardError as exc:
        _fail(f"{exc.field}: {exc.message_zh} / {exc.message_en}" if exc.field else str(exc),
              1 if exc.status == 404 else 2)
    finally:
        store.dispose()
    _print(out)


def init(
    institution: InstitutionOption,
    name: Annotated[str, typer.Option("--name", help="机构名称 the institution's name")],
    policy: Annotated[Path | None, typer.Option("--policy", help="YAML/JSON policy file (default: the guideline)")]
    = None,
    db: DbOption = None,
) -> None:
    """初始化 A fresh database's first institution: migrate, create the institution (and its policy), and
    issue its first institution_admin key, printed once. Refuses if the institution exists."""
    from pydantic import ValidationError
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import IntegrityError

    from collectguard.auth.roles import Role
    from collectguard.auth.service import issue
    from collectguard.config import Settings
    from collectguard.db.migrate import upgrade
    from collectguard.db.store import Store
    from collectguard.errors import CollectGuardError
    from collectguard.registry import models as m
    from collectguard.registry import policies
    from collectguard.registry.schemas import InstitutionIn
    from collectguard.registry.service import Registry
    from collectguard.rulebook.profile import DEFAULT_PROFILE

    try:
        data = InstitutionIn(id=institution, name=name)
    except ValidationError as exc:
        _invalid(exc, "--institution/--name")
    rules = _policy(read_policy_file(policy), str(policy)) if policy is not None else None
    url = _db(db)
    upgrade(url)
    store = Store(url)
    exists = (f"机构 {institution} 已存在，未做任何更改；再签发密钥请用 `collectguard keys create` / institution "
              f"{institution} already exists in this database; nothing changed (more keys: `collectguard keys create`)")
    try:
        with store.transaction() as session:
            if session.get(m.Institution, institution) is not None:
                _fail(exists, 1)
            registry = Registry(session, at=datetime.now(UTC), algorithm=Settings.from_env().ledger_hash)
            if rules is not None:
                policies.check(rules, DEFAULT_PROFILE)
            registry.add_institution(data, rules)
            token = issue(registry, role=Role.INSTITUTION_ADMIN, institution_id=institution, label="init").token
    except IntegrityError:  # created meanwhile by another `init`
        _fail(exists, 1)
    except CollectGuardError as exc:
        _fail(f"{exc.field}: {exc.message_zh} / {exc.message_en}" if exc.field else str(exc),
              1 if exc.code == "duplicate-id" else 2)
    finally:
        store.dispose()
    typer.echo(f"已创建机构 created institution {institution} ({name})")
    typer.echo("机构管理员密钥（只显示一次，请妥善保存）institution_admin key (shown once, keep it safe):")
    typer.echo(token)
    shown = make_url(url).render_as_string(hide_password=True)
    typer.echo(f"下一步 next: collectguard serve --db {shown}   then call the API with "
               "'Authorization: Bearer <key>'; more keys: collectguard keys create --role … "
               f"--institution {institution}")
