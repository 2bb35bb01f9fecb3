"""`collectguard retention …`: the retention policy, the purge of personal data past retention, the deletion log,
and agencies' destruction requests at the end of an agreement (arts. 12, 20(四), 21(三)).

    collectguard retention policy --institution bank --years 5 --set-by "合规部 王"
    collectguard retention run --institution bank --approved-by "合规部 王" --dry-run
    collectguard retention run --institution bank --approved-by "合规部 王" [--at 2031-01-01T00:00:00+08:00]
    collectguard retention log --institution bank
    collectguard retention destruction request --institution bank --agency agA
    collectguard retention destruction approve dst_… --institution bank --decided-by "合规部 王"
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from collectguard.registry.cli import DbOption, InstitutionOption, _db, _fail, instant

if TYPE_CHECKING:
    from collectguard.registry.unit import Units

app = typer.Typer(help="保存与删除 Retention: the purge of personal data past retention, the deletion log.",
                  no_args_is_help=True)
destruction = typer.Typer(help="销毁 An agency's copies at the end of an agreement (art. 20(四)).", no_args_is_help=True)
app.add_typer(destruction, name="destruction")

AtOption = Annotated[str | None, typer.Option("--at", help="时点 the moment (ISO 8601 with offset; default now)")]
JsonOption = Annotated[bool, typer.Option("--json", help="输出 JSON print one JSON document")]
T = TypeVar("T")


def _when(at: str | None) -> datetime:
    return instant(at, "--at")


@contextmanager
def _units(db: str | None) -> Iterator[Units]:
    from collectguard.config import Settings
    from collectguard.db.store import Store
    from collectguard.registry.unit import Units

    store = Store(_db(db))
    try:
        yield Units(store, Settings.from_env().ledger_hash)
    finally:
        store.dispose()


def _guarded(action: Callable[[], T]) -> T:
    from pydantic import ValidationError

    from collectguard.errors import CollectGuardError

    try:
        return action()
    except CollectGuardError as exc:
        _fail(f"{exc.message_zh} / {exc.message_en}")
    except ValidationError as exc:
        _fail("; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()))


def _print(data: Any, as_json: bool, lines: list[str]) -> None:
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False, default=str, indent=2))
    else:
        for line in lines:
            typer.echo(line)


@app.command("policy")
def policy(
    institution: InstitutionOption,
    years: Annotated[int | None, typer.Option("--years", help="保存年限（≥2） years kept (≥ 2); omit to show")] = None,
    set_by: Annotated[str | None, typer.Option("--set-by", help="设置人 who sets it")] = None,
    at: AtOption = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """保存期限 Show or set the institution's retention period (at least 2 years, art. 12)."""
    from collectguard.retention import service
    from collectguard.retention.schemas import RetentionPolicyIn

    with _units(db) as units:
        if years is None:
            with units.read() as session:
                out = _guarded(lambda: service.get_policy(session, institution))
        else:
            with units.write(_when(at)) as unit:
                out = _guarded(lambda: service.set_policy(unit, institution, RetentionPolicyIn(years=years,
                                                                                               set_by=set_by)))
    _print(out.model_dump(mode="json"), as_json,
           [f"{institution}: 保存 {out.years} 年 kept {out.years} years" + (" (默认 default)" if out.default else "")])


@app.command("run")
def run(
    institution: InstitutionOption,
    approved_by: Annotated[str, typer.Option("--approved-by", help="批准人 who approved the purge")],
    at: AtOption = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="只列出到期的债务人 only list who is past retention")] = False,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="最多清除 at most N debtors")] = None,
    batch: Annotated[int, typer.Option("--batch", min=1, max=5000, help="每批债务人数 debtors per transaction")] = 200,
    vacuum: Annotated[str, typer.Option("--vacuum", help="auto/full (SQLite VACUUM; PostgreSQL VACUUM FULL), plain "
                                                         "(PostgreSQL VACUUM: no exclusive lock) or none")] = "auto",
    vacuum_wait: Annotated[float | None, typer.Option(
        "--vacuum-wait", min=0, max=600, help="PostgreSQL: 最多等待多少秒，待仍可见旧数据的事务结束 seconds to wait for "
                                              "transactions that can still see the old rows to end (default 10)")] = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """清除到期个人信息 Purge the personal data of the institution's debtors past retention: a deletion-log entry
    and a ledger record each; the ledger still verifies (it never held personal data)."""
    from collectguard.retention import service

    when = _when(at)
    with _units(db) as units:
        out = _guarded(lambda: service.run(units, institution, approved_by=approved_by, at=when,
                                           now=datetime.now(UTC) if at else None, dry_run=dry_run, limit=limit,
                                           batch=batch, vacuum=vacuum, vacuum_wait_s=vacuum_wait))
    head = (f"到期债务人 past retention: {out.count}（保存 {out.years} 年 kept {out.years} years, 截至 at {out.at})"
            if out.dry_run else
            f"已清除 purged {out.count} 位债务人 debtors, {out.entries} 条删除记录 deletion-log entries, "
            f"run {out.run_id}, {out.seconds} s; {out.vacuum}")
    shown = out.debtors[:50]
    more = [f"  … +{out.count - len(shown)}"] if out.count > len(shown) else []
    _print(out.model_dump(mode="json"), as_json, [head, *(f"  {d}" for d in shown), *more])


@app.command("log")
def log(
    institution: InstitutionOption,
    subject: Annotated[str | None, typer.Option("--subject", help="主体 id a subject's pseudonymous id")] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="retention_expired | agreement_ended")] = None,
    run_id: Annotated[str | None, typer.Option("--run", help="某次清除 one run's entries")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=10000)] = 50,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """删除记录 The deletion log: what kinds of data, whose pseudonymous id, when, why, approved by whom."""
    from collectguard.retention import repository as repo
    from collectguard.retention.schemas import DeletionLogOut

    with _units(db) as units, units.read() as session:
        rows, total = repo.deletion_log(session, institution, subject_id=subject, reason=reason, run_id=run_id,
                                        limit=limit)
        items = [DeletionLogOut.model_validate(r).model_dump(mode="json") for r in rows]
    _print({"total": total, "items": items}, as_json,
           [f"{total} 条 entries"] + [f"  {i['at']}  {i['subject_kind']:<11} {i['subject_id']:<24} {i['reason']:<17} "
                                     f"{','.join(i['kinds'])}  ({i['approved_by']})" for i in items])


@destruction.command("request")
def destruction_request(
    institution: InstitutionOption,
    agency: Annotated[str, typer.Option("--agency", help="催收机构 the agency")],
    requested_by: Annotated[str | None, typer.Option("--requested-by", help="申请人 who asks")] = None,
    note: Annotated[str | None, typer.Option("--note")] = None,
    at: AtOption = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """申请销毁 The agency asks to destroy its copies (once its agreements with the institution ended)."""
    from collectguard.retention import service
    from collectguard.retention.schemas import DestructionRequestIn

    with _units(db) as units, units.write(_when(at)) as unit:
        row = _guarded(lambda: service.request_destruction(unit, institution, agency, DestructionRequestIn(
            requested_by=requested_by, note=note)))
        out = _request_out(row)
    _print(out, as_json, [f"{out['id']}: {out['agency']} → {out['institution']} 待审批 requested"])


def _decide(request_id: str, institution: str, decided_by: str, reason: str | None, at: str | None, db: str | None,
            approve: bool) -> dict[str, Any]:
    from collectguard.retention import service
    from collectguard.retention.schemas import DestructionDecisionIn

    with _units(db) as units, units.write(_when(at)) as unit:
        data = _guarded(lambda: DestructionDecisionIn(decided_by=decided_by, reason=reason))
        act = service.approve if approve else service.refuse
        return _request_out(_guarded(lambda: act(unit, institution, request_id, data)))


@destruction.command("approve")
def destruction_approve(
    request_id: Annotated[str, typer.Argument(help="申请 id the request")],
    institution: InstitutionOption,
    decided_by: Annotated[str, typer.Option("--decided-by", help="审批人 who approves")],
    reason: Annotated[str | None, typer.Option("--reason")] = None,
    at: AtOption = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """同意销毁 Approve: a deletion-log entry; the agency's keys, users and placements for the institution end."""
    out = _decide(request_id, institution, decided_by, reason, at, db, True)
    o = out["outcome"] or {}
    _print(out, as_json, [f"{out['id']}: 已同意 approved; 吊销密钥 keys revoked {len(o.get('keys_revoked', []))}, "
                          f"停用用户 users deactivated {len(o.get('users_deactivated', []))}, 结束委案 placements "
                          f"ended {o.get('placements_ended', 0)}"])


@destruction.command("refuse")
def destruction_refuse(
    request_id: Annotated[str, typer.Argument(help="申请 id the request")],
    institution: InstitutionOption,
    decided_by: Annotated[str, typer.Option("--decided-by", help="审批人 who refuses")],
    reason: Annotated[str, typer.Option("--reason", help="理由 why")],
    at: AtOption = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """拒绝销毁 Refuse, with a reason."""
    out = _decide(request_id, institution, decided_by, reason, at, db, False)
    _print(out, as_json, [f"{out['id']}: 已拒绝 refused ({reason})"])


@destruction.command("list")
def destruction_list(
    institution: InstitutionOption,
    status: Annotated[str | None, typer.Option("--status", help="requested | approved | refused")] = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """销毁申请 The destruction requests of the institution."""
    from collectguard.retention import repository as repo

    with _units(db) as units, units.read() as session:
        rows, total = repo.requests(session, institution, status=status, limit=None)
        items = [_request_out(r) for r in rows]
    _print({"total": total, "items": items}, as_json,
           [f"{total} 条 requests"] + [f"  {i['id']}  {i['agency']:<16} {i['status']:<9} {i['requested_at']}"
                                      for i in items])


def _request_out(row: Any) -> dict[str, Any]:
    from collectguard.retention.schemas import DestructionOut

    return DestructionOut.model_validate(row).model_dump(mode="json")
