"""`collectguard leases …`: expire leases whose outcome never came, and list the missing outcomes.

The server does the expiry itself every COLLECTGUARD_LEASE_SWEEP_S seconds; `leases expire` does one
sweep now (a cron job beside a server started with the sweep off, or after a long outage)."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import Annotated

import typer

app = typer.Typer(help="租约 Leases: expire those whose outcome never came; missing outcomes per collector.",
                  no_args_is_help=True)

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="数据库 URL (default: $COLLECTGUARD_DB or sqlite:///collectguard.db)"),
]


def _db(url: str | None) -> str:
    from collectguard.config import Settings

    return url or Settings.from_env().db_url


def _when(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"不是 ISO 8601 时间 / not an ISO 8601 time: {value!r}", param_hint=option) from None
    if parsed.tzinfo is None:
        raise typer.BadParameter(f"须带时区，如 +08:00 / needs a UTC offset such as +08:00: {value!r}",
                                 param_hint=option)
    return parsed


@app.command("expire")
def expire(
    db: DbOption = None,
    at: Annotated[str | None, typer.Option("--at", help="ISO 8601 time with offset (default: now)")] = None,
    batch: Annotated[int, typer.Option("--batch", min=1, help="leases per transaction")] = 500,
) -> None:
    """到期处理 Mark every lease past its expiry without an outcome as expired; each is recorded in the
    ledger as a missing outcome (gate:lease:expired, with its institution)."""
    from collectguard.config import Settings
    from collectguard.db.store import Store
    from collectguard.gate.service import Gate

    when = _when(at, "--at") or datetime.now(UTC)
    store = Store(_db(db))
    gate = Gate(store, algorithm=Settings.from_env().ledger_hash)
    total = 0
    try:
        while True:
            expired = gate.expire_leases(when, limit=batch)
            total += len(expired)
            if len(expired) < batch:
                break
    finally:
        gate.close()
        store.dispose()
    typer.echo(f"已到期 expired {total} lease{'s' if total != 1 else ''} without an outcome")


@app.command("missing")
def missing(
    institution: Annotated[str, typer.Option("--institution", help="whose attempts")],
    since: Annotated[str | None, typer.Option("--since", help="leases that expired at or after (default: a day "
                                                             "before --until)")] = None,
    until: Annotated[str | None, typer.Option("--until", help="… and before (default: now)")] = None,
    agency: Annotated[str | None, typer.Option("--agency", help="only this agency's and its subcontractors' "
                                                               "collectors")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
    db: DbOption = None,
) -> None:
    """缺失结果 Attempts whose lease expired without an outcome, per collector (most missing first)."""
    from sqlalchemy import select

    from collectguard.api.attempt_ids import external
    from collectguard.db.store import Store
    from collectguard.errors import CollectGuardError
    from collectguard.gate.leases import missing_outcomes, period
    from collectguard.registry import models as m

    now = datetime.now(UTC)
    store = Store(_db(db))
    try:
        start, end = period(_when(since, "--since"), _when(until, "--until"), now)
        with store.read() as session:
            if session.get(m.Institution, institution) is None:
                raise typer.BadParameter(f"未找到机构 institution {institution} not found", param_hint="--institution")
            orgs = None
            if agency:  # the agency and its subcontractors
                orgs = {agency, *session.execute(select(m.Agency.id).where(m.Agency.parent_id == agency)).scalars()}
            result = missing_outcomes(session, institution, start, end, now, orgs=orgs, shown=external)
    except CollectGuardError as exc:
        typer.echo(f"错误 error: {exc}", err=True)
        raise typer.Exit(2) from None
    finally:
        store.dispose()
    if as_json:
        sys.stdout.write(json.dumps(result.model_dump(mode="json"), ensure_ascii=False, indent=2) + "\n")
        return
    typer.echo(f"{institution}: {result.total} 个缺失结果 missing outcome{'s' if result.total != 1 else ''}, "
               f"leases expired {result.since.isoformat()} – {result.until.isoformat()}")
    for item in result.collectors:
        shown = ", ".join(item.attempts[:10]) + (f" … (+{item.count - 10})" if item.count > 10 else "")
        typer.echo(f"  {item.collector:<24} {item.count:>6}  {shown}")
