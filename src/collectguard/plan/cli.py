"""`collectguard plan --date D WORKLIST.csv`: the day's contact schedule the gate will allow, as a dialer's CSV.

The lead mounts `plan` on the main CLI; `app` here serves this package's own tests.
"""

from __future__ import annotations

import json
from datetime import date, time
from pathlib import Path
from typing import Annotated

import typer


def _hhmm(value: str, option: str) -> time:
    try:
        return time.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"不是 HH:MM 时间 / not an HH:MM time: {value!r}", param_hint=option) from None


def plan(
    worklist: Annotated[Path, typer.Argument(help="工作清单 CSV: debt, priority, channel (voice/sms/letter…)",
                                             exists=True, dir_okay=False)],
    day: Annotated[str, typer.Option("--date", help="计划日期 the day to plan, YYYY-MM-DD")],
    db: Annotated[str | None, typer.Option("--db", help="数据库 URL (default: $COLLECTGUARD_DB)")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="拨号器导入 CSV the dialer's list import")] = None,
    shift_from: Annotated[str, typer.Option("--shift-from", help="班次开始 (institution's zone)")] = "09:00",
    shift_to: Annotated[str, typer.Option("--shift-to", help="班次结束 (institution's zone)")] = "18:00",
    calls_per_hour: Annotated[int, typer.Option("--calls-per-hour", min=1, max=60,
                                                help="每名催收员每小时通话数 calls per collector per hour")] = 12,
    shifts: Annotated[Path | None, typer.Option(
        "--shifts", exists=True, dir_okay=False,
        help="各催收员班次 CSV: collector, from, to[, calls_per_hour]; others work --shift-from…--shift-to")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the summary as JSON")] = False,
) -> None:
    """排班 Plan the day's contacts (greedy by priority with slot search); every row is one the gate allows."""
    from collectguard.config import Settings
    from collectguard.db.store import Store
    from collectguard.errors import CollectGuardError
    from collectguard.plan.model import read_shifts, read_worklist
    from collectguard.plan.planner import Shift, plan_day

    try:
        when = date.fromisoformat(day)
    except ValueError:
        raise typer.BadParameter(f"不是日期 / not a date: {day!r}", param_hint="--date") from None
    store = Store(db or Settings.from_env().db_url)
    try:
        own = read_shifts(shifts.read_text(encoding="utf-8-sig")) if shifts is not None else {}
        shift = Shift(_hhmm(shift_from, "--shift-from"), _hhmm(shift_to, "--shift-to"), calls_per_hour, own)
        result = plan_day(store, read_worklist(worklist.read_text(encoding="utf-8-sig")), when, shift=shift)
    except CollectGuardError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    finally:
        store.dispose()
    if out is not None:
        out.write_text(result.to_csv(), encoding="utf-8")
    summary = result.summary()
    if as_json:
        typer.echo(json.dumps(summary, ensure_ascii=False, indent=2))
        return
    typer.echo(f"已排 planned: {summary['planned']}  无法安排 not plannable: {summary['not_plannable']}  "
               f"优先级达成 priority reached: {summary['priority_reached']:g} / {summary['priority_wanted']:g} "
               f"({summary['priority_share']:.1%})")
    for r in summary["reasons"]:
        typer.echo(f"  第 {r['line']} 行 line {r['line']} {r['debt']}: {r['zh']} / {r['en']}")
    if out is not None:
        typer.echo(f"→ {out}")


app = typer.Typer()
app.command()(plan)
