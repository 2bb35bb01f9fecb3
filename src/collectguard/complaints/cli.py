"""`collectguard complaints …`: a complaint from registration to its answer, on the command line (art. 22).

    collectguard complaints register --institution bank --channel phone --debtor d1 --agency agA --collector c1 \\
        --name 张三 --phone 13800138000 --text "晚上十点后来电"
    collectguard complaints list --institution bank --overdue
    collectguard complaints show cmp_… --institution bank
    collectguard complaints verify cmp_… --institution bank --proxy-authorised
    collectguard complaints assign cmp_… --institution bank --investigator s-zhou
    collectguard complaints extend cmp_… --institution bank --to 2026-06-20 --reason "需调取录音"
    collectguard complaints resolve cmp_… --institution bank --root-cause art9-quiet-hours --result "已致歉并整改"

Every command takes `--db`, `--at` (an ISO instant with offset; default now) and `--json`. Personal data is shown
masked. A refusal exits 1 naming the rule (e.g. art22-recusal), a bad input 2.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any

import typer

from collectguard.registry.cli import DbOption, InstitutionOption, _db, _fail

app = typer.Typer(help="投诉 Complaints: intake, investigation, answers, signals, agency reports.", no_args_is_help=True)

AtOption = Annotated[str | None, typer.Option("--at", help="时点 the moment (ISO 8601 with offset; default now)")]
JsonOption = Annotated[bool, typer.Option("--json", help="输出 JSON print one JSON document")]
IdArgument = Annotated[str, typer.Argument(help="投诉编号 complaint id")]
STATUS_ZH = {"registered": "已登记", "verified": "已核实", "investigating": "调查中", "resolved": "已办结"}
CHANNEL_ZH = {"phone": "电话", "email": "邮件", "letter": "信函", "web": "网页", "regulator": "监管转办"}


def _when(at: str | None) -> datetime:
    from collectguard.oversight.cli import _when as when

    return when(at)


def _write(db: str | None, at: str | None, act: Callable[[Any], Any]) -> Any:
    """Run `act(unit)` in one transaction; a refusal or bad input exits with its code and both languages."""
    from collectguard.db.store import Store
    from collectguard.errors import CollectGuardError, Refused
    from collectguard.oversight.cli import _algorithm
    from collectguard.registry.unit import Units

    store = Store(_db(db))
    try:
        with Units(store, _algorithm()).write(_when(at)) as unit:
            return act(unit)
    except CollectGuardError as exc:
        lines = [f"[{exc.code}] {exc.message_zh} / {exc.message_en}"]
        for d in exc.details or []:
            if "rule" in d:
                lines.append(f"  - {d['rule']} (第{d['article']}条 art. {d['article']}): {d['message_en']}")
        _fail("\n".join(lines), code=1 if isinstance(exc, Refused) or exc.status == 409 else 2)
    finally:
        store.dispose()


def _event(out: Any, as_json: bool) -> None:
    if as_json:
        typer.echo(out.model_dump_json(indent=2))
        return
    detail = dict(out.detail)
    typer.echo(f"{out.kind}\t{out.subject}\t账本 ledger #{out.ledger_seq}")
    if detail.get("due_date"):
        typer.echo(f"  答复期限 answer by: {detail['due_date']}")
    if detail.get("proxy_warning"):
        typer.echo(f"  ⚠ {detail.get('warning_zh', '')}\n    {detail.get('warning_en', '')}")
    for s in detail.get("signals") or []:
        typer.echo(f"  ⚑ 疑似反催收信号 signal: {s.get('signal')} {s.get('value_hint') or ''} "
                   f"shared with {', '.join(s.get('shared_with') or []) or '—'}")
    if detail.get("late"):
        typer.echo("  逾期办结 resolved after the deadline (the obligation is met, late)")
    if detail.get("root_cause_rules"):
        typer.echo(f"  根本原因规则 root-cause rules: {', '.join(detail['root_cause_rules'])}")


@app.command("register")
def register(
    institution: InstitutionOption,
    channel: Annotated[str, typer.Option("--channel", help="phone | email | letter | web | regulator")],
    debtor: Annotated[str | None, typer.Option("--debtor", help="债务人编号 the debtor")] = None,
    agency: Annotated[str | None, typer.Option("--agency", help="被投诉的合作机构 the agency complained about")] = None,
    collector: Annotated[str | None, typer.Option("--collector", help="被投诉的催收员 the collector")] = None,
    proxy: Annotated[str | None, typer.Option("--proxy", help="代理人姓名 a proxy's name")] = None,
    authorised: Annotated[bool, typer.Option("--authorised/--not-authorised",
                                             help="代理人是否有有效授权 whether the proxy showed a valid "
                                                  "authorisation")] = False,
    name: Annotated[str | None, typer.Option("--name", help="投诉人姓名 the complainant's name")] = None,
    phone: Annotated[str | None, typer.Option("--phone", help="联系电话 the complainant's phone")] = None,
    email: Annotated[str | None, typer.Option("--email")] = None,
    account: Annotated[str | None, typer.Option("--account", help="投诉中出现的收款账户 a payment account named")] = None,
    text: Annotated[str | None, typer.Option("--text", help="投诉内容 what the complainant says")] = None,
    ident: Annotated[str | None, typer.Option("--id", help="编号（默认自动生成）the id (default: made here)")] = None,
    at: AtOption = None, as_json: JsonOption = False, db: DbOption = None,
) -> None:
    """登记投诉 Register a complaint; prints its id and the last day of the answer."""
    import secrets

    from pydantic import ValidationError

    from collectguard.complaints import service
    from collectguard.complaints.schemas import ComplaintIn
    from collectguard.registry.cli import _invalid

    try:
        data = ComplaintIn.model_validate({
            "id": ident or f"cmp_{secrets.token_hex(10)}", "institution": institution, "channel": channel,
            "debtor": debtor, "agency": agency, "collector": collector,
            "proxy": {"name": proxy, "authorisation": authorised} if proxy else None,
            "complainant_name": name, "complainant_phone": phone, "complainant_email": email,
            "payment_account": account, "text": text})
    except ValidationError as exc:
        _invalid(exc, "投诉 the complaint")
    _event(_write(db, at, lambda unit: service.register(unit, data)), as_json)


@app.command("verify")
def verify(complaint: IdArgument, institution: InstitutionOption,
           proxy_authorised: Annotated[bool | None, typer.Option(
               "--proxy-authorised/--proxy-not-authorised", help="代理人出示有效授权 the proxy showed a valid "
                                                                "authorisation (clears the warning)")] = None,
           note: Annotated[str | None, typer.Option("--note")] = None,
           at: AtOption = None, as_json: JsonOption = False, db: DbOption = None) -> None:
    """核实 Verify: identity and a proxy's authorisation checked."""
    from collectguard.complaints import service
    from collectguard.complaints.schemas import ComplaintVerifyIn

    data = ComplaintVerifyIn(complaint=complaint, proxy_authorised=proxy_authorised, note=note)
    _event(_write(db, at, lambda unit: service.verify(unit, data, institution=institution, actor="cli")), as_json)


@app.command("assign")
def assign(complaint: IdArgument, institution: InstitutionOption,
           investigator: Annotated[str, typer.Option("--investigator", help="工作人员或催收员编号 a staff or "
                                                                           "collector id")],
           at: AtOption = None, as_json: JsonOption = False, db: DbOption = None) -> None:
    """指定调查人 Name the investigator; refused (exit 1) for the person complained about or the agency's own."""
    from collectguard.complaints import service
    from collectguard.complaints.schemas import ComplaintAssignIn

    data = ComplaintAssignIn(complaint=complaint, investigator=investigator)
    _event(_write(db, at, lambda unit: service.assign(unit, data, institution=institution, actor="cli")), as_json)


@app.command("extend")
def extend(complaint: IdArgument, institution: InstitutionOption,
           to: Annotated[str, typer.Option("--to", help="新的答复期限 the new last day (YYYY-MM-DD)")],
           reason: Annotated[str, typer.Option("--reason", help="延期理由 why (required)")],
           at: AtOption = None, as_json: JsonOption = False, db: DbOption = None) -> None:
    """延长答复期限 Extend the answer's deadline, with a reason (later only; at most 30 days from registration)."""
    from collectguard.complaints import service
    from collectguard.complaints.schemas import ComplaintExtendIn

    try:
        due = date.fromisoformat(to)
    except ValueError:
        _fail(f"--to 不是日期 is not a date: {to!r}")
    if not reason.strip():
        _fail("--reason 不能为空 an extension needs a reason")
    data = ComplaintExtendIn(complaint=complaint, due_date=due, reason=reason)
    _event(_write(db, at, lambda unit: service.extend(unit, data, institution=institution, actor="cli")), as_json)


@app.command("resolve")
def resolve(complaint: IdArgument, institution: InstitutionOption,
            root_cause: Annotated[str | None, typer.Option("--root-cause", help="规则编号或文字 a rule id or "
                                                                                "free text")] = None,
            result: Annotated[str | None, typer.Option("--result", help="告知投诉人的结果 the result told")] = None,
            at: AtOption = None, as_json: JsonOption = False, db: DbOption = None) -> None:
    """办结 Resolve: the result told to the complainant and the root cause (after an investigator is named)."""
    from collectguard.complaints import service
    from collectguard.complaints.schemas import ComplaintResolvedIn

    data = ComplaintResolvedIn(complaint=complaint, root_cause=root_cause, result=result)
    _event(_write(db, at, lambda unit: service.resolve(unit, data, institution=institution, actor="cli")), as_json)


def _read(db: str | None, at: str | None, act: Callable[[Any, Any], Any]) -> Any:
    from collectguard.db.store import Store
    from collectguard.oversight.repository import local_day

    store = Store(_db(db))
    try:
        with store.read() as session:
            return act(session, lambda inst: local_day(session, inst, _when(at)))
    finally:
        store.dispose()


@app.command("list")
def list_(institution: InstitutionOption,
          status: Annotated[str | None, typer.Option("--status", help="registered | verified | investigating | "
                                                                      "resolved")] = None,
          agency: Annotated[str | None, typer.Option("--agency")] = None,
          channel: Annotated[str | None, typer.Option("--channel")] = None,
          overdue: Annotated[bool, typer.Option("--overdue", help="只列已过期限未办结的 only overdue ones")] = False,
          limit: Annotated[int, typer.Option("--limit", min=1, max=10_000)] = 100,
          at: AtOption = None, as_json: JsonOption = False, db: DbOption = None) -> None:
    """投诉列表 The institution's complaints, newest first (exit 1 when one is overdue, for cron)."""
    from collectguard.complaints import repository as repo
    from collectguard.complaints import service

    def act(session: Any, day_of: Any) -> tuple[list[Any], int]:
        today = day_of(institution)
        rows, total = repo.complaints(session, institution, status=status, agency_id=agency, channel=channel,
                                      overdue_on=today if overdue else None, limit=limit)
        return [service.complaint_out(session, r, today=today) for r in rows], total

    items, total = _read(db, at, act)
    if as_json:
        typer.echo(json.dumps({"items": [i.model_dump(mode="json") for i in items], "total": total},
                              ensure_ascii=False, indent=2))
    else:
        _table(items, total)
    raise typer.Exit(1 if any(i.overdue for i in items) else 0)


def _table(items: list[Any], total: int) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"投诉 Complaints ({len(items)} / {total})")
    for column in ("编号 id", "渠道 channel", "对象 about", "状态 status", "登记 day", "期限 answer by", "调查人",
                   "根因 root cause"):
        table.add_column(column, overflow="fold")
    for i in items:
        about = " / ".join(x for x in (i.agency, i.collector, i.debtor) if x) or "—"
        status = STATUS_ZH[i.status] + f" {i.status}"
        if i.overdue:
            status = f"[bold red]已逾期 overdue · {status}[/]"
        elif i.late:
            status = f"[yellow]{status} (late)[/]"
        flags = " ⚠代理" if i.proxy_warning else ""
        table.add_row(i.id + flags, f"{CHANNEL_ZH[i.channel]} {i.channel}", about, status, str(i.day),
                      str(i.answer_by), i.investigator or "—", ", ".join(i.root_cause_rules) or (i.root_cause or "—"))
    Console().print(table)


@app.command("show")
def show(complaint: IdArgument, institution: InstitutionOption, at: AtOption = None, as_json: JsonOption = False,
         db: DbOption = None) -> None:
    """查看投诉 One complaint (masked) and its timeline."""
    from collectguard.complaints import service
    from collectguard.complaints.models import Complaint
    from collectguard.registry.repository import institution_zone

    def act(session: Any, day_of: Any) -> Any:
        row = session.get(Complaint, complaint)
        if row is None or row.institution_id != institution:
            _fail(f"未找到投诉 complaint {complaint} not found", code=1)
        return (service.complaint_out(session, row, today=day_of(institution), with_steps=True),
                institution_zone(session, institution))

    found, zone = _read(db, at, act)
    if as_json:
        typer.echo(found.model_dump_json(indent=2))
        return
    typer.echo(f"{found.id}  {STATUS_ZH[found.status]} {found.status}  {CHANNEL_ZH[found.channel]} {found.channel}")
    typer.echo(f"  登记 registered {found.day} · 答复期限 answer by {found.answer_by}"
               + (f" (延期 extended: {found.extension_reason})" if found.extended_due_date else "")
               + ("  [已逾期 OVERDUE]" if found.overdue else "") + ("  [逾期办结 late]" if found.late else ""))
    typer.echo(f"  对象 about: agency {found.agency or '—'} · collector {found.collector or '—'} · debtor "
               f"{found.debtor or '—'}" + ("  (机构自行处理 handled by the institution)"
                                           if found.handled_by_institution else ""))
    typer.echo(f"  投诉人 complainant: {found.complainant_name or '—'} {found.complainant_phone or ''}"
               + (f" · 代理 proxy {found.proxy_name} ({'已授权 authorised' if found.proxy_authorised else '未授权'})"
                  if found.proxy_name else "") + ("  ⚠ 已提示 warned" if found.proxy_warning else ""))
    if found.text:
        typer.echo(f"  内容 text: {found.text}")
    typer.echo(f"  调查人 investigator: {found.investigator or '—'}"
               + (f" · 根因 root cause: {found.root_cause}" if found.root_cause else "")
               + (f" · 结果 result: {found.result}" if found.result else ""))
    for s in found.steps:
        typer.echo(f"  {s.n}. {s.at.astimezone(zone):%Y-%m-%d %H:%M %z}  {s.step}  #{s.ledger_seq}")


# The agency's periodic complaint report (art. 22): complaints/report_cli.py.
from collectguard.complaints.report_cli import report as _report  # noqa: E402

app.command("report")(_report)

# The anti-collection signals (art. 27): complaints/signal_cli.py.
from collectguard.complaints.signal_cli import app as _signals  # noqa: E402

app.add_typer(_signals, name="signals")
