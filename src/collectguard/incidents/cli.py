"""`collectguard incidents …`: personal-information incidents (24 h) and major risks (48 h) from the command line —
each step through the same services as the HTTP API, in one transaction, in the ledger.

    collectguard incidents report --institution bank --kind major_risk --category anti_collection \\
        --discovered-at 2026-12-04T08:30:00+08:00 --summary "同一代理人批量投诉"
    collectguard incidents list --institution bank [--open] [--json]
    collectguard incidents show inc_… [--json]
    collectguard incidents notify inc_… --to sro --cause … --state … --impact … --measures …
    collectguard incidents notify inc_… --to sro --report report.yaml      # {cause, state, impact, measures}
    collectguard incidents report-file inc_… --format pdf --out report.pdf

`--at` (ISO 8601 with an offset) acts or reads as of another moment (default now). Exit status: 0 done; 1 refused
(e.g. a report to the SRO missing a part: `art24-major-risk-48h`), or `list` found something overdue; 2 bad input.
"""

from __future__ import annotations

import json
import secrets
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer

from collectguard.registry.cli import DbOption, InstitutionOption, _db, _fail, instant

app = typer.Typer(help="事件 Incidents: personal-information incidents (24 h) and major risks (48 h), their reports.",
                  no_args_is_help=True)

AtOption = Annotated[str | None, typer.Option("--at", help="时点 the moment (ISO 8601 with offset; default now)")]
JsonOption = Annotated[bool, typer.Option("--json", help="输出 JSON print one JSON document")]
STATUS = {"met": ("已履行", "green"), "due": ("待履行", "yellow"), "overdue": ("已逾期", "bold red")}
KIND = {"pi_breach": "个人信息事件 pi_breach", "major_risk": "重大风险 major_risk"}


def _instant(text: str | None, option: str) -> datetime:
    return instant(text, option)


def _algorithm() -> str:
    from collectguard.config import Settings

    return Settings.from_env().ledger_hash


def _refused(exc: Exception) -> None:
    from collectguard.errors import CollectGuardError, Refused

    if isinstance(exc, Refused):
        typer.secho(f"已拒绝 refused [{', '.join(exc.rules)}]", fg="red", bold=True, err=True)
        typer.echo(f"  {exc.message_zh}\n  {exc.message_en}", err=True)
        raise typer.Exit(1)
    if isinstance(exc, CollectGuardError):
        _fail(f"{exc.message_zh} / {exc.message_en}" + (f" [{exc.field}]" if exc.field else ""))
    raise exc


def _span(seconds: int) -> str:
    s = abs(seconds)
    days, rest = divmod(s, 86_400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    zh = (f"{days}天" if days else "") + f"{hours}小时{minutes}分"
    en = (f"{days} d " if days else "") + f"{hours} h {minutes:02d} min"
    return f"{zh} {en}"


def local(at: datetime, zone: ZoneInfo) -> str:
    """An instant in the institution's zone, with its offset: 2026-12-03 08:30:00+08:00."""
    return at.astimezone(zone).isoformat(sep=" ", timespec="seconds")


def countdown(deadline: Any, zone: ZoneInfo) -> str:
    """One line: the obligation, its deadline and the time left (or how late)."""
    if deadline is None:
        return "无时限 no deadline (the institution's own pi_breach: no one to tell)"
    zh, style = STATUS[deadline.status]
    due = local(deadline.due_at, zone)
    if deadline.status == "met":
        when = f"，迟报 late by {_span(deadline.late_seconds)}" if deadline.late else "，按时 on time"
        left = f"于 {local(deadline.met_at, zone)} 履行 met{when}"
    elif deadline.status == "overdue":
        left = f"已超时 overdue by {_span(-deadline.remaining_seconds)}"
    else:
        left = f"剩余 {_span(deadline.remaining_seconds)} left"
    return f"[{style}]{zh} {deadline.status}[/] {deadline.obligation} ({deadline.hours} h, 第{deadline.article}条) " \
           f"截止 due {due} — {left}"


def _print_one(out: Any, zone: ZoneInfo) -> None:
    from rich.console import Console
    from rich.panel import Panel

    lines = [f"类型 kind: {KIND.get(out.kind, out.kind)}" + (f" · 类别 category: {out.category}" if out.category else ""),
             f"机构 institution: {out.institution} · 合作机构 agency: {out.agency or '—'} · 状态 status: {out.status}",
             f"发现 discovered: {local(out.discovered_at, zone)} · 登记 recorded: {local(out.reported_at, zone)} "
             f"(#{out.ledger_seq})",
             countdown(out.deadline, zone)]
    if out.summary:
        lines.insert(1, f"摘要 summary: {out.summary}")
    for n in out.notifications:
        late = f" [bold red]迟 late +{n.late_seconds / 3600:.1f} h[/]" if n.late else ""
        parts = [k for k in ("cause", "state", "impact", "measures") if getattr(n, k)]
        lines.append(f"  通知 #{n.n} → {n.to} at {local(n.at, zone)}{late}"
                     + (f" · parts: {', '.join(parts)}" if parts else "") + f" (#{n.ledger_seq})")
    Console().print(Panel("\n".join(lines), title=f"事件 incident {out.id}", expand=False))


def _view(store: Any, ident: str, when: datetime) -> tuple[Any, ZoneInfo]:
    from collectguard.errors import NotFound
    from collectguard.incidents import service
    from collectguard.incidents.models import Incident
    from collectguard.registry.repository import institution_zone

    with store.read() as session:
        row = session.get(Incident, ident)
        if row is None:
            raise NotFound("incident", ident, field="id")
        return service.views(session, [row], when)[0], institution_zone(session, row.institution_id)


@app.command("report")
def report(
    institution: InstitutionOption,
    kind: Annotated[str, typer.Option("--kind", help="pi_breach 或 or major_risk")],
    discovered_at: Annotated[str, typer.Option("--discovered-at", help="发现时间 ISO 8601 with offset")],
    agency: Annotated[str | None, typer.Option("--agency", help="合作机构 the agency (pi_breach: its 24 h)")] = None,
    category: Annotated[str | None, typer.Option("--category", help="重大风险类别 investigation, violent_collection, "
                                                                    "pi_leak, anti_collection, other")] = None,
    summary: Annotated[str | None, typer.Option("--summary", help="摘要 a short summary")] = None,
    ident: Annotated[str | None, typer.Option("--id", help="编号 the incident's id (default: made here)")] = None,
    at: AtOption = None, as_json: JsonOption = False, db: DbOption = None,
) -> None:
    """报告事件 Record an incident: its countdown starts at --discovered-at."""
    from pydantic import ValidationError

    from collectguard.db.store import Store
    from collectguard.incidents.schemas import IncidentIn
    from collectguard.registry.cli import _invalid
    from collectguard.registry.events import Events

    try:
        data = IncidentIn.model_validate({"id": ident or f"inc_{secrets.token_hex(10)}", "institution": institution,
                                          "agency": agency, "kind": kind, "category": category,
                                          "discovered_at": _instant(discovered_at, "--discovered-at"),
                                          "summary": summary})
    except ValidationError as exc:
        _invalid(exc, "事件 the incident")
    when = _instant(at, "--at")
    store = Store(_db(db))
    try:
        try:
            Events(store, algorithm=_algorithm()).incident(data, when)
        except Exception as exc:  # noqa: BLE001 — domain errors answered, others raised
            _refused(exc)
        out, zone = _view(store, data.id, when)
    finally:
        store.dispose()
    if as_json:
        typer.echo(out.model_dump_json(indent=2))
    else:
        typer.secho(f"已登记 recorded {out.id}", fg="green")
        _print_one(out, zone)


def _parts(report_file: Path | None, given: dict[str, str | None]) -> dict[str, str] | None:
    parts: dict[str, Any] = {}
    if report_file is not None:
        import yaml

        try:
            loaded = yaml.safe_load(report_file.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            _fail(f"--report 读不了 cannot be read: {exc}")
        if not isinstance(loaded, dict):
            _fail("--report 须为 {cause, state, impact, measures} 的 YAML/JSON 映射 must be a mapping")
        parts.update(loaded)
    parts.update({k: v for k, v in given.items() if v is not None})
    return parts or None


@app.command("notify")
def notify(
    incident: Annotated[str, typer.Argument(help="事件编号 the incident's id")],
    to: Annotated[str, typer.Option("--to", help="institution（告知机构, 24 h）或 or sro（书面报告自律组织, 48 h）")],
    cause: Annotated[str | None, typer.Option("--cause", help="一、事件原因 cause")] = None,
    state: Annotated[str | None, typer.Option("--state", help="二、目前状况 current state")] = None,
    impact: Annotated[str | None, typer.Option("--impact", help="三、可能影响 possible impact")] = None,
    measures: Annotated[str | None, typer.Option("--measures", help="四、应对措施 measures")] = None,
    report_file: Annotated[Path | None, typer.Option("--report", help="YAML/JSON with cause, state, impact, "
                                                                       "measures (options given override it)")] = None,
    at: AtOption = None, as_json: JsonOption = False, db: DbOption = None,
) -> None:
    """通知 Tell the institution, or report in writing to the SRO (all four parts, else refused, exit 1)."""
    from pydantic import ValidationError

    from collectguard.db.store import Store
    from collectguard.incidents.schemas import IncidentNotifiedIn
    from collectguard.registry.cli import _invalid
    from collectguard.registry.events import Events

    try:
        data = IncidentNotifiedIn.model_validate({"incident": incident, "to": to, "report": _parts(report_file, {
            "cause": cause, "state": state, "impact": impact, "measures": measures})})
    except ValidationError as exc:
        _invalid(exc, "通知 the notice")
    when = _instant(at, "--at")
    store = Store(_db(db))
    try:
        try:
            event = Events(store, algorithm=_algorithm()).incident_notified(data, when)
        except Exception as exc:  # noqa: BLE001
            _refused(exc)
        out, zone = _view(store, incident, when)
    finally:
        store.dispose()
    if as_json:
        typer.echo(out.model_dump_json(indent=2))
        return
    late = event.detail.get("late")
    typer.secho(f"已{'报告自律组织 reported to the SRO' if to == 'sro' else '告知机构 told the institution'} "
                f"(#{event.ledger_seq})" + (f" — 迟报 LATE by {event.detail['late_hours']} h" if late else ""),
                fg="yellow" if late else "green")
    _print_one(out, zone)


@app.command("list")
def list_(institution: InstitutionOption,
          open_only: Annotated[bool, typer.Option("--open", help="只看尚未通知/报告的 only those still owed")] = False,
          at: AtOption = None, as_json: JsonOption = False, db: DbOption = None) -> None:
    """事件列表 The institution's incidents with their countdowns; exit 1 when one is overdue."""
    from rich.console import Console
    from rich.table import Table

    from collectguard.db.store import Store
    from collectguard.errors import NotFound
    from collectguard.incidents import repository as repo
    from collectguard.incidents import service
    from collectguard.registry import models as m
    from collectguard.registry.repository import institution_zone

    when = _instant(at, "--at")
    store = Store(_db(db))
    try:
        with store.read() as session:
            if session.get(m.Institution, institution) is None:
                _refused(NotFound("institution", institution, field="institution"))
            zone = institution_zone(session, institution)
            rows = repo.incidents(session, institution, open_only=open_only, reported_by=when)[0]
            found = service.views(session, rows, when)
    finally:
        store.dispose()
    overdue = any(o.deadline is not None and o.deadline.status == "overdue" for o in found)
    if as_json:
        typer.echo(json.dumps([o.model_dump(mode="json") for o in found], ensure_ascii=False, indent=2))
    else:
        table = Table(title=f"事件 Incidents — {institution} · {local(when, zone)}")
        for column in ("编号 id", "类型 kind", "合作机构 agency", "发现 discovered", "时限 deadline"):
            table.add_column(column, overflow="fold")
        for o in found:
            table.add_row(o.id, KIND.get(o.kind, o.kind) + (f"\n{o.category}" if o.category else ""), o.agency or "—",
                          local(o.discovered_at, zone), countdown(o.deadline, zone))
        Console().print(table)
    raise typer.Exit(1 if overdue else 0)


@app.command("show")
def show(incident: Annotated[str, typer.Argument(help="事件编号 the incident's id")], at: AtOption = None,
         as_json: JsonOption = False, db: DbOption = None) -> None:
    """查看事件 One incident: its countdown and every notice."""
    from collectguard.db.store import Store

    store = Store(_db(db))
    try:
        try:
            out, zone = _view(store, incident, _instant(at, "--at"))
        except Exception as exc:  # noqa: BLE001
            _refused(exc)
    finally:
        store.dispose()
    if as_json:
        typer.echo(out.model_dump_json(indent=2))
    else:
        _print_one(out, zone)


@app.command("report-file")
def report_file(incident: Annotated[str, typer.Argument(help="事件编号 the incident's id")],
                fmt: Annotated[str, typer.Option("--format", help="docx 或 or pdf")] = "pdf",
                out: Annotated[Path | None, typer.Option("--out", help="文件 the file to write (default "
                                                                     "incident-report-<id>.<format>)")] = None,
                at: AtOption = None, db: DbOption = None) -> None:
    """书面报告 The written report (art. 24) as DOCX or PDF, ready to send (a draft until reported to the SRO)."""
    import hashlib

    from collectguard.db.store import Store
    from collectguard.errors import NotFound
    from collectguard.incidents import report_files
    from collectguard.incidents.models import Incident

    if fmt not in report_files.MEDIA:
        _fail(f"--format 须为 docx 或 pdf must be docx or pdf, not {fmt!r}")
    store = Store(_db(db))
    try:
        with store.read() as session:
            row = session.get(Incident, incident)
            if row is None:
                _refused(NotFound("incident", incident, field="id"))
            assert row is not None
            content = report_files.render(session, row, _instant(at, "--at"), fmt)
            target = out or Path(report_files.filename(row, fmt))
    finally:
        store.dispose()
    target.write_bytes(content)
    typer.echo(f"已写入 written {target} ({len(content):,} bytes, sha256:{hashlib.sha256(content).hexdigest()[:16]}…)")
