"""The `collectguard` command line."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from collectguard.complaints.cli import app as complaints_app
from collectguard.config import Settings
from collectguard.gate.cli import app as leases_app
from collectguard.incidents.cli import app as incidents_app
from collectguard.ledger.cli import app as ledger_app
from collectguard.monitoring.cli import app as monitor_app
from collectguard.oversight.cli import app as oversight_app
from collectguard.oversight.cli import obligations as obligations_command
from collectguard.plan.cli import plan as plan_command
from collectguard.qa.cli import app as qa_app
from collectguard.registry.cli import DbOption, _db, policy_app
from collectguard.registry.cli import init as init_command
from collectguard.replay.cli import replay as replay_command
from collectguard.retention.cli import app as retention_app
from collectguard.users.cli import app as users_app

app = typer.Typer(
    help="催收合规网关 CollectGuard — compliance gate for consumer-credit collection (NIFA 2024).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
scenario_app = typer.Typer(help="场景 Scenario files: the rulebook's executable specification.", no_args_is_help=True)
db_app = typer.Typer(help="数据库 Database migrations.", no_args_is_help=True)
keys_app = typer.Typer(help="密钥 API keys (shown once, stored hashed).", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
notices_app = typer.Typer(help="停催通知 Stop notices to agencies: signed webhooks from the outbox.", no_args_is_help=True)
app.add_typer(notices_app, name="notices")
app.add_typer(scenario_app, name="scenario")
app.add_typer(ledger_app, name="ledger")
app.add_typer(db_app, name="db")
app.add_typer(qa_app, name="qa")
app.add_typer(leases_app, name="leases")
app.add_typer(policy_app, name="policy")
app.add_typer(monitor_app, name="monitor")
app.add_typer(oversight_app, name="oversight")
app.add_typer(users_app, name="users")
app.add_typer(complaints_app, name="complaints")
app.add_typer(incidents_app, name="incidents")
app.add_typer(retention_app, name="retention")
app.command("obligations")(obligations_command)
app.command("plan")(plan_command)
app.command("replay")(replay_command)
app.command("init")(init_command)

@scenario_app.command("run")
def scenario_run(
    paths: Annotated[list[str], typer.Argument(help="Scenario files or folders (searched for *.yaml).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
    db: Annotated[
        str | None,
        typer.Option("--db", help="Run on this database (PostgreSQL URL) instead of a fresh SQLite file per scenario."),
    ] = None,
) -> None:
    """运行场景文件 Run scenario files; each against a fresh, empty store."""
    from collectguard.scenario.loader import LoadError
    from collectguard.scenario.runner import FileResult, FreshStores, collect, run_file

    out = Console(soft_wrap=True, highlight=False)
    err = Console(stderr=True, soft_wrap=True, highlight=False)
    algorithm = Settings.from_env().ledger_hash
    stores = FreshStores(db)
    results: list[FileResult] = []
    try:
        for item in collect(paths):
            if isinstance(item, LoadError):
                results.append(FileResult(item.path, error=str(item)))
                continue
            results.append(run_file(item, stores, algorithm=algorithm))
    finally:
        stores.close()
    passed = sum(1 for r in results for s in r.steps if s.ok)
    failed = sum(1 for r in results for s in r.steps if not s.ok)
    broken = [r for r in results if r.error]
    if as_json:
        doc = {"files": [r.as_dict() for r in results], "passed": passed, "failed": failed}
        sys.stdout.write(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")
    else:
        for r in results:
            if r.error:
                err.print(f"[red]错误 error[/red] {r.error}", markup=True)
            for s in r.steps:
                if not s.ok:
                    out.print(
                        f"{r.path}: step {s.index} ({s.action}): expected {json.dumps(s.expected, ensure_ascii=False)}, "
                        f"got {json.dumps(s.got, ensure_ascii=False)}",
                        markup=False,
                    )
        out.print(f"{passed} passed, {failed} failed", markup=False)
    if failed or broken:
        raise typer.Exit(1)


@db_app.command("upgrade")
def db_upgrade(db: DbOption = None) -> None:
    """升级数据库结构 Apply the migrations (SQLite or PostgreSQL)."""
    from collectguard.db.migrate import current, upgrade

    url = _db(db)
    upgrade(url)
    typer.echo(f"数据库已是最新 database at revision {current(url)}")


@app.command("serve")
def serve(
    db: DbOption = None,
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port")] = 8000,
    workers: Annotated[int, typer.Option(
        "--workers", min=0,
        help="uvicorn worker processes; 0 (default) = automatic: 1 on SQLite (one writer at a time), else one "
             "per CPU, at most 4")] = 0,
    access_log: Annotated[bool, typer.Option("--access-log/--no-access-log",
                                             help="one redacted line per request")] = True,
) -> None:
    """启动 HTTP 网关 Serve the HTTP API (migrations run on start)."""
    from collectguard.db.migrate import upgrade

    url = _db(db)
    upgrade(url)
    _serve(url, host, port, workers, access_log=access_log)


def _auto_workers(url: str) -> int:
    """SQLite takes one writer at a time and the gate commits in batches per process, so several processes
    would only queue on its lock; a server database scales with processes (the GIL bounds each to a core)."""
    import os

    if url.startswith("sqlite"):
        return 1
    return max(1, min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1))


def _serve(url: str, host: str, port: int, workers: int = 0, *, access_log: bool = True) -> None:
    import importlib.util
    import os

    import uvicorn

    from collectguard.api.logconfig import log_config

    workers = workers or _auto_workers(url)
    # uvloop and httptools (pinned dependencies) when importable; asyncio and h11 otherwise
    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    http = "httptools" if importlib.util.find_spec("httptools") else "h11"
    typer.echo(f"CollectGuard 正在监听 listening on http://{host}:{port}  (docs: /docs, OpenAPI: /openapi.json; "
               f"{workers} worker{'s' if workers > 1 else ''}, {loop}, {http})")
    os.environ["COLLECTGUARD_DB"] = url
    uvicorn.run("collectguard.api.server:app", host=host, port=port, workers=workers, loop=loop, http=http,
                access_log=access_log, log_config=log_config())


@app.command("demo")
def demo(
    db: Annotated[str, typer.Option("--db", help="where the demo world lives")] = "sqlite:///collectguard-demo.db",
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port")] = 8000,
    debtors: Annotated[int, typer.Option("--debtors", min=10)] = 10_000,
    seed: Annotated[int, typer.Option("--seed")] = 2026,
    serve_it: Annotated[bool, typer.Option("--serve/--no-serve", help="serve the API after building")] = True,
    day: Annotated[str | None, typer.Option("--day", help="the day the world is dated around, YYYY-MM-DD "
                                                        "(default: today in Beijing)")] = None,
    history_days: Annotated[int, typer.Option("--history-days", min=0, help="days before it whose weekdays get "
                                              "a history of attempts decided by the gate (0: none)")] = 30,
) -> None:
    """演示 Build a realistic synthetic world (one lender, three agencies, 50 collectors, 10,000 debtors —
    synthetic names and numbers, never real ones), print a key per role, and serve it."""
    from datetime import UTC, datetime

    from sqlalchemy import select

    from collectguard.auth.roles import AGENCY_ROLES, Role
    from collectguard.auth.service import issue
    from collectguard.db.migrate import upgrade
    from collectguard.db.store import Store
    from collectguard.demo.organisations import HENGYUAN, QINGHE
    from collectguard.demo.organisations import LENDER as LENDER_ID
    from collectguard.demo.users import demo_users
    from collectguard.demo.world import load_demo
    from collectguard.registry import models as m
    from collectguard.registry.service import Registry

    upgrade(db)
    store = Store(db)
    with store.transaction() as session:
        built = session.get(m.Institution, LENDER_ID) is not None
    example_file = Path("collectguard-demo.example.json")
    if built:
        typer.echo(f"演示数据已存在 demo world already in {db}; reusing it")
        example = json.loads(example_file.read_text("utf-8")) if example_file.exists() else None
    else:
        summary = load_demo(db, seed=seed, debtors=debtors, start=_day(day), history_days=history_days)
        counts = ", ".join(f"{k} {v}" for k, v in summary.counts.items())
        typer.echo(f"演示数据已生成 demo world built in {summary.load_seconds:.1f}s, dated around {summary.start} "
                   f"(placements and agreements in force from then to at least 30 days later): {counts}")
        if summary.history is not None:
            typer.echo(f"历史尝试 history decided by the gate over the {history_days} days before: "
                       f"{summary.history.line()}")
        example = summary.example_attempt
        example_file.write_text(json.dumps(example, ensure_ascii=False), "utf-8")
    with store.transaction() as session:
        registry = Registry(session, at=datetime.now(UTC))
        agency = session.execute(
            select(m.AgencyListing.agency_id).where(m.AgencyListing.institution_id == LENDER_ID)
            .order_by(m.AgencyListing.agency_id)
        ).scalars().first()
        tokens = {
            role.value: issue(registry, role=role, institution_id=None if role is Role.AGENCY_ADMIN else LENDER_ID,
                              label="demo", agency_id=agency if role in AGENCY_ROLES else None).token
            for role in Role
        }
        people = demo_users(registry, LENDER_ID, QINGHE, HENGYUAN)  # fresh passwords on every run
    store.dispose()
    base = f"http://{host}:{port}"
    typer.echo("\n演示密钥 Demo keys (shown once):")
    for role, token in tokens.items():
        typer.echo(f"  {role:<20} {token}")
    typer.echo(f"\n合规控制台 Console: {base}/console/  —  演示用户 demo users (passwords shown once):")
    for person in people:
        scope = person.agency if person.role in AGENCY_ROLES else person.institution
        typer.echo(f"  {person.username:<18} {person.password:<24} {person.role.value} ({scope})")
        if person.totp_uri:
            secret = person.totp_uri.split("secret=")[1].split("&")[0]
            typer.echo(f"  {'':<18} 动态口令 TOTP: add {person.totp_uri} to an authenticator app, or\n"
                       f"  {'':<18} python -c \"import pyotp; print(pyotp.TOTP('{secret}').now())\"")
    typer.echo(f"\n在线文档 Docs: {base}/docs")
    if example:
        attempt = json.dumps({**example, "id": "demo-call-1"}, ensure_ascii=False)
        typer.echo(
            "\n外呼系统这样询问闸门 A dialer asks the gate, then reports the outcome:\n"
            f"  curl -s -X POST {base}/v1/attempts -H 'Authorization: Bearer {tokens['integration']}' "
            f"-H 'Content-Type: application/json' -H 'Idempotency-Key: demo-call-1' -d '{attempt}'\n"
            f"  curl -s -X POST {base}/v1/attempts/demo-call-1/outcome -H 'Authorization: Bearer {tokens['integration']}' "
            "-H 'Content-Type: application/json' -d '{\"connected\": true, \"duration_s\": 42}'"
        )
    typer.echo(f"\n校验账本 Verify the ledger:\n  curl -s {base}/v1/ledger/verify -H 'Authorization: Bearer {tokens['auditor']}'")
    typer.echo(f"\n义务日历 The obligations calendar (a year of oversight history, some of it overdue):\n"
               f"  collectguard obligations --institution {LENDER_ID} --db {db} --due-within 30\n"
               f"  curl -s '{base}/v1/obligations?institution={LENDER_ID}&pressing=true' "
               f"-H 'Authorization: Bearer {tokens['compliance_officer']}'\n"
               f"  公示 Public disclosure: {base}/public/{LENDER_ID}/")
    if serve_it:
        _serve(db, host, port)


def _day(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"须为 YYYY-MM-DD / expected YYYY-MM-DD, got {text!r}", param_hint="--day") from None


@keys_app.command("create")
def keys_create(
    role: Annotated[str, typer.Option("--role", help="institution_admin, compliance_officer, auditor, agency_operator, "
                                                     "integration, agency_admin (an agency's own key: --agency only)")],
    institution: Annotated[str | None, typer.Option("--institution", help="not for agency_admin")] = None,
    agency: Annotated[str | None, typer.Option("--agency")] = None,
    label: Annotated[str | None, typer.Option("--label")] = None,
    db: DbOption = None,
) -> None:
    """签发密钥 Issue an API key; the token is printed once."""
    from datetime import UTC, datetime

    from collectguard.auth.roles import Role
    from collectguard.auth.service import issue
    from collectguard.db.store import Store
    from collectguard.errors import CollectGuardError
    from collectguard.registry.service import Registry

    try:
        role_value = Role(role)
    except ValueError:
        raise typer.BadParameter(f"unknown role {role!r}; one of {', '.join(r.value for r in Role)}") from None
    store = Store(_db(db))
    try:
        with store.transaction() as session:
            issued = issue(Registry(session, at=datetime.now(UTC)), role=role_value, institution_id=institution,
                           agency_id=agency, label=label)
    except CollectGuardError as exc:
        typer.echo(f"错误 error: {exc}", err=True)
        raise typer.Exit(1) from None
    finally:
        store.dispose()
    typer.echo(issued.token)


@keys_app.command("init")
def keys_init(
    key_file: Annotated[str, typer.Option("--key-file", help="where to write the new key file (mode 0600)")],
    alg: Annotated[str, typer.Option("--alg", help="sm4-gcm (default) or aes-256-gcm")] = "sm4-gcm",
) -> None:
    """生成数据密钥文件 Create a key file for personal data at rest (point COLLECTGUARD_KEY_FILE at it)."""
    from pathlib import Path

    from collectguard.privacy.keys import Keyring

    path = Path(key_file)
    if path.exists():
        typer.echo(f"错误 error: {path} 已存在 already exists; use `keys rotate`", err=True)
        raise typer.Exit(1)
    Keyring.generate(alg).save(path)
    typer.echo(f"已生成 created {path} ({alg}); export COLLECTGUARD_KEY_FILE={path}")


@keys_app.command("rotate")
def keys_rotate(
    db: DbOption = None,
    alg: Annotated[str | None, typer.Option("--alg", help="algorithm of the new key (default: the current one's)")] = None,
    key_file: Annotated[
        str | None, typer.Option("--key-file", help="key file (default: $COLLECTGUARD_KEY_FILE or <sqlite db>.keys.json)")
    ] = None,
    batch: Annotated[int, typer.Option("--batch", min=1)] = 500,
) -> None:
    """轮换数据密钥 Add a new current data key and re-encrypt personal data under it, batch by batch.

    Old keys stay in the key file, so running servers keep decrypting while this runs (no downtime);
    restart them to write under the new key, then run this again to catch up."""
    import os
    from pathlib import Path

    from sqlalchemy.engine import make_url

    from collectguard.db.store import Store
    from collectguard.privacy.keys import ENV_KEY_FILE, Keyring
    from collectguard.registry import models as m
    from collectguard.registry.personal import rotate_rows

    url = _db(db)
    path = key_file or os.environ.get(ENV_KEY_FILE)
    if path is None:
        parsed = make_url(url)
        if not parsed.drivername.startswith("sqlite") or not parsed.database:
            typer.echo("错误 error: 请用 --key-file 或 COLLECTGUARD_KEY_FILE 指定密钥文件 / name the key file", err=True)
            raise typer.Exit(2)
        path = f"{parsed.database}.keys.json"
    keyring = Keyring.from_file(path).rotated(alg)
    keyring.save(Path(path))
    store = Store(url, keyring=keyring)
    total = 0
    try:
        for model in (m.Debtor, m.Contact):
            after = ""
            while True:
                with store.transaction() as session:
                    changed, last = rotate_rows(session, model, batch=batch, after=after)
                total += changed
                if last is None:
                    break
                after = last
    finally:
        store.dispose()
    typer.echo(f"新密钥 new current key {keyring.current.key_id}; 重新加密 re-encrypted {total} rows")


@notices_app.command("send")
def notices_send(
    db: DbOption = None,
    forever: Annotated[bool, typer.Option("--forever", help="Keep sending until SIGINT/SIGTERM.")] = False,
    interval: Annotated[float, typer.Option("--interval", help="Seconds to wait when nothing is due (--forever).")] = 5.0,
    limit: Annotated[int, typer.Option("--limit", help="Notices claimed per round.")] = 100,
    timeout: Annotated[float, typer.Option("--timeout", help="HTTP timeout per delivery, seconds.")] = 10.0,
    max_attempts: Annotated[int, typer.Option("--max-attempts", help="Give up (status failed) after this many.")] = 10,
) -> None:
    """发送停催通知 Deliver due stop notices to the agencies' webhooks (art. 11(五)), at least once."""
    import logging.config
    import signal
    import threading

    from collectguard.api.logconfig import log_config
    from collectguard.notices.sender import Policy, send_pending

    logging.config.dictConfig(log_config())  # its warnings pass the redacting filter, as the server's do
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    counts = send_pending(_db(db), limit=limit, policy=Policy(timeout_s=timeout, max_attempts=max_attempts),
                          forever=forever, interval=interval, stop=stop)
    typer.echo("停催通知 stop notices: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    if counts["failed"]:
        raise typer.Exit(1)


def main() -> None:
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
