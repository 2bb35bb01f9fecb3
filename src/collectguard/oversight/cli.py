"""`collectguard obligations` (the calendar: what is met, due and overdue) and `collectguard oversight …`
(agencies' lifecycle, recording oversight events from a file, an inspection's sample).

    collectguard obligations --institution bank --due-within 30
    collectguard obligations --institution bank --json --send      # also queue the alerts (signed webhooks)
    collectguard oversight agencies --institution bank
    collectguard oversight record events.yaml                       # OVERSIGHT.md steps, in time order
    collectguard oversight sample insp_… --institution bank
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from collectguard.registry.cli import DbOption, InstitutionOption, _db, _fail, instant

app = typer.Typer(help="监督 Oversight: agencies' lifecycle, recording oversight events, inspection samples.",
                  no_args_is_help=True)

STATUS_ZH = {"met": "已履行", "due": "待履行", "overdue": "已逾期"}
STATUS_STYLE = {"met": "green", "due": "yellow", "overdue": "bold red"}
# The oversight steps a file may record (OVERSIGHT.md), each the `Events` method of the same name.
RECORDABLE = ("agency_evaluation", "agency_commitments", "agency_listing", "agency_status", "inspection",
              "rectification_order", "rectification_done", "training")


def _algorithm() -> str:
    """The ledger hash the deployment is configured with ($COLLECTGUARD_LEDGER_HASH)."""
    from collectguard.config import Settings

    return Settings.from_env().ledger_hash


def _when(at: str | None) -> datetime:
    return instant(at, "--at")


def obligations(
    institution: InstitutionOption,
    due_within: Annotated[int | None, typer.Option("--due-within", min=0, max=366,
                                                   help="只列逾期及 N 天内到期的 only overdue items and items due "
                                                        "within N days")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON print one JSON document")] = False,
    at: Annotated[str | None, typer.Option("--at", help="时点 the moment (ISO 8601 with offset; default now)")] = None,
    send: Annotated[bool, typer.Option("--send", help="同时排队发送提醒 also queue the alerts for overdue and due "
                                                      "items (signed webhooks, once per item and day)")] = False,
    db: DbOption = None,
) -> None:
    """义务日历 The obligations calendar: every obligation of RULES.md that applies, computed from the ledger.
    Exit status 1 when something is overdue (for cron and CI), 0 otherwise."""
    from collectguard.db.store import Store
    from collectguard.errors import CollectGuardError
    from collectguard.oversight.calendar import calendar

    when = _when(at)
    store = Store(_db(db))
    try:
        with store.read() as session:
            try:
                found = calendar(session, institution, when, due_within_days=due_within if due_within is not None
                                 else 30, pressing=due_within is not None)
            except CollectGuardError as exc:
                _fail(f"{exc.message_zh} / {exc.message_en}")
        if send:
            from collectguard.oversight.alerts import send_alerts
            from collectguard.registry.unit import Units

            queued = send_alerts(Units(store, _algorithm()), when, due_within if due_within is not None else 30,
                                 only=[institution])
            if not as_json:
                typer.echo(f"已排队提醒 alerts queued: {queued}")
    finally:
        store.dispose()
    if as_json:
        typer.echo(found.model_dump_json(indent=2))
    else:
        _print(found)
    raise typer.Exit(1 if found.counts.get("overdue") else 0)


def _print(found: Any) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"义务日历 Obligations — {found.institution} · {found.day} ({found.timezone})")
    for column in ("状态 status", "义务 obligation", "对象 subject", "截止 due", "依据 evidence"):
        table.add_column(column, overflow="fold")
    for i in found.items:
        due = i.due_date.isoformat() if i.due_date else i.due_at.isoformat() if i.due_at else "—"
        evidence = ", ".join(f"{e.kind} {e.id}" + (f" #{e.ledger_seq}" if e.ledger_seq else "") for e in i.evidence)
        table.add_row(f"[{STATUS_STYLE[i.status]}]{STATUS_ZH[i.status]} {i.status}[/]",
                      f"{i.obligation}\n{i.title_zh}", f"{i.subject_kind} {i.subject}", due, evidence or "—")
    console = Console()
    console.print(table)
    console.print("  ".join(f"{STATUS_ZH[k]} {k}: {v}" for k, v in found.counts.items()))


@app.command("agencies")
def agencies(institution: InstitutionOption, db: DbOption = None,
             as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """合作机构所处阶段 Each agency the institution has an agreement with: applied → … → terminated."""
    from sqlalchemy import select

    from collectguard.db.store import Store
    from collectguard.oversight import service
    from collectguard.registry import models as m

    store = Store(_db(db))
    try:
        with store.read() as session:
            ids = sorted(set(session.execute(select(m.Agreement.agency_id).where(
                m.Agreement.institution_id == institution)).scalars()))
            rows = []
            for agency in ids:
                found = service.stage(session, institution, agency)
                admission = found["admission"]
                rows.append({"agency": agency, "stage": found["stage"], "listing_status": found["listing_status"],
                             "admission": admission.id if admission else None,
                             "missing_commitments": [c.value for c in found["missing"]]})
    finally:
        store.dispose()
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for r in rows:
        missing = ", ".join(r["missing_commitments"]) or "—"
        typer.echo(f"{r['agency']}\t{r['stage']}\t名单 listing: {r['listing_status'] or '—'}\t"
                   f"准入 admission: {r['admission'] or '—'}\t缺少承诺 missing: {missing}")


@app.command("record")
def record(path: Annotated[Path, typer.Argument(help="YAML：步骤列表，格式同场景文件 a list of steps in the "
                                                   "scenario format (OVERSIGHT.md), each with `at`")],
           db: DbOption = None) -> None:
    """按文件登记监督事件 Record oversight events from a file, in order, each in its own transaction; stops at the
    first refusal, naming the step (earlier steps stay recorded)."""
    import yaml
    from pydantic import ValidationError

    from collectguard.db.store import Store
    from collectguard.errors import CollectGuardError
    from collectguard.registry.events import Events
    from collectguard.scenario.schema import Step

    try:
        raw = yaml.safe_load(path.read_text("utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        _fail(f"无法读取 cannot read {path}: {exc}")
    if not isinstance(raw, list):
        _fail(f"{path}: 须为步骤列表 must be a list of steps")
    store = Store(_db(db))
    events = Events(store, algorithm=_algorithm())
    try:
        for n, item in enumerate(raw):
            try:
                step = Step.model_validate(item)
            except ValidationError as exc:
                first = exc.errors()[0]
                _fail(f"{path} 第 {n + 1} 步 step {n + 1}: {'.'.join(map(str, first['loc']))}: {first['msg']}")
            if step.action not in RECORDABLE:
                _fail(f"{path} 第 {n + 1} 步 step {n + 1}: 不能登记 {step.action} / cannot record {step.action} "
                      f"(recordable: {', '.join(RECORDABLE)})")
            try:
                out = getattr(events, step.action)(step.payload, step.at)
            except CollectGuardError as exc:
                _fail(f"{path} 第 {n + 1} 步 step {n + 1} ({step.action}) 被拒绝 refused [{exc.code}]: "
                      f"{exc.message_zh} / {exc.message_en}", code=1)
            typer.echo(f"{n + 1}\t{step.action}\t{out.subject}\tledger #{out.ledger_seq}")
    finally:
        store.dispose()


@app.command("sample")
def sample(inspection: Annotated[str, typer.Argument(help="检查编号 inspection id")], institution: InstitutionOption,
           db: DbOption = None, recordings: Annotated[bool, typer.Option("--recordings")] = False) -> None:
    """检查样本 An inspection's sample, drawn again from the seed recorded with it (JSON)."""
    from collectguard.db.store import Store
    from collectguard.oversight.models import Inspection
    from collectguard.oversight.sampling import draw

    store = Store(_db(db))
    try:
        with store.read() as session:
            row = session.get(Inspection, inspection)
            if row is None or row.institution_id != institution:
                _fail(f"未找到检查 inspection {inspection} not found")
            if row.seed is None or row.period_from is None or row.period_to is None or row.sample_size is None:
                _fail(f"检查 {inspection} 没有抽样 has no sample (no period, size or seed)")
            out = draw(session, institution_id=institution, org_id=row.org_id, period_from=row.period_from,
                       period_to=row.period_to, size=row.sample_size, seed=row.seed, recordings=recordings)
    finally:
        store.dispose()
    typer.echo(out.model_dump_json(indent=2))
