"""`collectguard complaints report`: an agency's periodic complaint report (art. 22), generated from the records.

    collectguard complaints report --institution lender --agency qinghe --from 2026-05-01 --to 2026-05-31
    collectguard complaints report --institution lender --agency qinghe --from 2026-05-01 --to 2026-05-31 --submit

`--json` prints the report as GET /v1/agencies/{agency}/complaint-report answers it; `--submit` records its figures
in the ledger as submitted to the institution (complaint:agency-report:made), as POST does. `--at` reads each
complaint as it stood then (default now). Exits 1 when the report shows an overdue complaint, 2 on a bad input."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated

import typer

from collectguard.registry.cli import DbOption, InstitutionOption, _db, _fail

AgencyOption = Annotated[str, typer.Option("--agency", help="合作机构编号 the agency")]
FromOption = Annotated[str, typer.Option("--from", help="首日 YYYY-MM-DD（机构时区）first local day")]
ToOption = Annotated[str, typer.Option("--to", help="末日（含）last local day, inclusive")]
AtOption = Annotated[str | None, typer.Option("--at", help="时点 the moment (ISO 8601 with offset; default now)")]
JsonOption = Annotated[bool, typer.Option("--json", help="输出 JSON print one JSON document")]
SubmitOption = Annotated[bool, typer.Option("--submit", help="提交给委托机构（记入账本）record it as submitted")]
NoteOption = Annotated[str | None, typer.Option("--note", help="说明 a note with the submission")]


def _day(text: str, name: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        _fail(f"{name} 须为 YYYY-MM-DD / {name} must be YYYY-MM-DD", code=2)


def report(institution: InstitutionOption, agency: AgencyOption, day_from: FromOption, day_to: ToOption,
           db: DbOption = None, at: AtOption = None, as_json: JsonOption = False, submit: SubmitOption = False,
           note: NoteOption = None) -> None:
    """合作机构投诉处理情况报告 An agency's complaint report for a period (art. 22), from the records."""
    from collectguard.complaints import report as reports
    from collectguard.db.store import Store
    from collectguard.errors import CollectGuardError, NotFound
    from collectguard.oversight.cli import _algorithm, _when
    from collectguard.registry import models as m
    from collectguard.registry.unit import Units

    first, last = _day(day_from, "--from"), _day(day_to, "--to")
    when = _when(at)
    store = Store(_db(db))
    try:
        with Units(store, _algorithm()).write(when) as unit:
            if unit.session.get(m.Institution, institution) is None:
                raise NotFound("institution", institution, field="institution")
            if unit.session.get(m.Agency, agency) is None:
                raise NotFound("agency", agency, field="agency")
            made = reports.agency_report(unit.session, institution, agency, first, last, at=when)
            seq = reports.submit(unit, made, by="cli", note=note) if submit else None
    except CollectGuardError as exc:
        _fail(f"[{exc.code}] {exc.message_zh} / {exc.message_en}", code=2)
    finally:
        store.dispose()
    if as_json:
        out = made.model_dump(mode="json", by_alias=True)
        if seq is not None:
            out["submitted_ledger_seq"] = seq
        typer.echo(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        _print(made, seq)
    if made.overdue:
        raise typer.Exit(1)


def _print(r: object, seq: int | None) -> None:
    from collectguard.complaints.report import AgencyComplaintReport

    assert isinstance(r, AgencyComplaintReport)
    typer.echo(f"合作机构投诉处理情况报告 complaint report · {r.agency_id} ({', '.join(r.agencies)}) · "
               f"{r.period_from} – {r.period_to} · {r.institution_id} ({r.zone})")
    per = r.complaints_per_1000_attempts if r.complaints_per_1000_attempts is not None else "—"
    typer.echo(f"  投诉 complaints {r.complaints} · 尝试 attempts {r.attempts} · 每千次 per 1,000 {per}")
    typer.echo("  渠道 by channel: " + ", ".join(f"{k} {v}" for k, v in r.by_channel.items()))
    typer.echo("  状态 by status: " + ", ".join(f"{k} {v}" for k, v in r.by_status.items()))
    median = r.median_days_to_answer if r.median_days_to_answer is not None else "—"
    typer.echo(f"  按期 on time {r.answered_on_time} · 逾期答复 late {r.answered_late} · 处理中 open {r.open} · "
               f"已逾期 overdue {r.overdue} · 延期 extended {r.extended} · 中位天数 median days {median}")
    for c in r.root_causes:
        typer.echo(f"  根因 root cause {c.rule} (第{c.article or '—'}条 art. {c.article or '—'}) × {c.complaints}")
    if r.root_causes_text_only:
        typer.echo(f"  仅文字根因 cause in words only × {r.root_causes_text_only}")
    typer.echo(f"  回避 recusals {r.recusals} · 代理未授权 proxy warnings {r.proxy_warnings} · 信号 signals "
               f"{r.signals} ({', '.join(f'{k} {v}' for k, v in r.signals_by_kind.items()) or '—'}) · "
               f"涉及投诉 flagged {r.flagged_complaints}")
    if seq is not None:
        typer.echo(f"  已提交 submitted: 账本 ledger #{seq}")
