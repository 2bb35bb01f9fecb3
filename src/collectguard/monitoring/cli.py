"""`collectguard monitor …`: run a day's monitoring (a nightly cron job beside the server).

`monitor run --day D` compares every collector's figures for the natural day D with its institution's thresholds and
raises a flag for each exceeded, exactly as POST /v1/monitoring/run: idempotent (a flag is raised once per collector,
day and metric), each institution in its own transaction, every flag in the ledger."""

from __future__ import annotations

import json
import sys
from datetime import UTC, date, datetime
from typing import Annotated, Any

import typer

from collectguard.registry.cli import DbOption

app = typer.Typer(help="监测 Monitoring: flags for collectors above their institution's thresholds.",
                  no_args_is_help=True)

def _day(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"不是 YYYY-MM-DD 日期 / not a YYYY-MM-DD date: {value!r}", param_hint="--day") from None


@app.command("run")
def run(
    day: Annotated[str | None, typer.Option("--day", help="自然日 YYYY-MM-DD (default: today in each institution's "
                                                          "zone)")] = None,
    institution: Annotated[list[str] | None, typer.Option("--institution", help="only this institution (repeatable; "
                                                          "default: every one with thresholds)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
    db: DbOption = None,
) -> None:
    """运行监测 Raise the day's flags for every institution with thresholds (or those named)."""
    from sqlalchemy import select

    from collectguard.config import Settings
    from collectguard.db.store import Store
    from collectguard.errors import CollectGuardError
    from collectguard.monitoring import service
    from collectguard.monitoring.models import MonitoringThresholds
    from collectguard.registry import models as m
    from collectguard.registry.unit import Units

    settings = Settings.from_env()
    the_day = _day(day)
    now = datetime.now(UTC)
    store = Store(db or settings.db_url)
    units = Units(store, settings.ledger_hash)
    results: list[dict[str, Any]] = []
    try:
        with store.read() as session:
            names = list(institution or session.execute(
                select(MonitoringThresholds.institution_id).order_by(MonitoringThresholds.institution_id)).scalars())
            unknown = [n for n in names if session.get(m.Institution, n) is None]
        if unknown:
            raise typer.BadParameter(f"未找到机构 institution {unknown[0]} not found", param_hint="--institution")
        for name in names:
            with units.write(now) as unit:
                run_day = the_day or service.local_today(now, unit.session, name)
                raised, already, suspended = service.run_day(unit, name, run_day)
                results.append({"institution_id": name, "day": run_day.isoformat(),
                                "raised": [service.flag_payload(r) for r in raised], "already": already,
                                "suspended": suspended})
    except CollectGuardError as exc:
        typer.echo(f"错误 error: {exc}", err=True)
        raise typer.Exit(2) from None
    finally:
        store.dispose()
    if as_json:
        sys.stdout.write(json.dumps(results, ensure_ascii=False, indent=2, default=str) + "\n")
        return
    for r in results:
        typer.echo(f"{r['institution_id']} {r['day']}: {len(r['raised'])} 个新标记 new flag(s), "
                   f"{len(r['already'])} 个已有 already raised, 暂停 suspended: {', '.join(r['suspended']) or '-'}")
        for f in r["raised"]:
            typer.echo(f"  #{f['id']:<6} {f['collector']:<24} {f['metric']:<14} {f['value']} > {f['threshold']}")
