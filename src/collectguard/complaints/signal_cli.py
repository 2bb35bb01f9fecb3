"""`collectguard complaints signals …`: the anti-collection flags on the command line (art. 27), for a person to review.

    collectguard complaints signals list --institution lender [--status open] [--signal shared_phone]
    collectguard complaints signals clusters --institution lender [--status confirmed]
    collectguard complaints signals show demo-cmp-m03 --institution lender
    collectguard complaints signals review 12 --institution lender --decision confirmed --reason "同一代理批量代投诉" \\
        --by lender-compliance-01
    collectguard complaints signals review-cluster demo-cmp-m01 --institution lender --decision dismissed --reason …

Every command takes `--db` and `--json`; `review` takes `--at`. Shared values are shown masked (138****8000).
Mounted by complaints/cli.py as `signals`; also `python -m collectguard.complaints.signal_cli …`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

import typer

from collectguard.registry.cli import DbOption, InstitutionOption, _db, _fail

app = typer.Typer(help="反催收信号 Anti-collection signals: flags, clusters, review.", no_args_is_help=True)
JsonOption = Annotated[bool, typer.Option("--json", help="输出 JSON print one JSON document")]
AtOption = Annotated[str | None, typer.Option("--at", help="时点 the moment (ISO 8601 with offset; default now)")]
StatusOption = Annotated[str | None, typer.Option("--status", help="open | confirmed | dismissed")]
STATUS_ZH = {"open": "待复核", "confirmed": "已确认", "dismissed": "已排除"}


def _read(db: str | None, act: Callable[[Any], Any]) -> Any:
    from collectguard.db.store import Store

    store = Store(_db(db))
    try:
        with store.read() as session:
            return act(session)
    finally:
        store.dispose()


def _write(db: str | None, at: str | None, act: Callable[[Any], Any]) -> Any:
    from collectguard.db.store import Store
    from collectguard.errors import CollectGuardError
    from collectguard.oversight.cli import _algorithm
    from collectguard.oversight.cli import _when as when
    from collectguard.registry.unit import Units

    store = Store(_db(db))
    try:
        with Units(store, _algorithm()).write(when(at)) as unit:
            return act(unit)
    except CollectGuardError as exc:
        _fail(f"[{exc.code}] {exc.message_zh} / {exc.message_en}", code=1 if exc.status == 409 else 2)
    finally:
        store.dispose()


def _flags_out(session: Any, rows: list[Any]) -> list[dict[str, Any]]:
    from collectguard.complaints import signal_store
    from collectguard.complaints.models import Complaint
    from collectguard.registry.personal import keyring_of

    keyring = keyring_of(session)
    return [signal_store.flag_out(keyring, r, session.get(Complaint, r.complaint_id)) for r in rows]


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _print_flags(flags: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps([{k: _iso(v) for k, v in f.items()} for f in flags], ensure_ascii=False, indent=2))
        return
    for f in flags:
        others = ", ".join(f["shared_with"]) or "—"
        typer.echo(f"#{f['id']}\t{f['complaint']}\t{f['label_zh']} {f['label_en']}\t{f['value_hint'] or ''}\t"
                   f"{f['debtors']} 名债务人 debtors\t{STATUS_ZH[f['status']]} {f['status']}\t与 with: {others}")
        if f["review_reason"]:
            typer.echo(f"    复核 review: {f['reviewed_by']} {_iso(f['reviewed_at'])} — {f['review_reason']}")


@app.command("list")
def list_flags(institution: InstitutionOption, status: StatusOption = None,
               signal: Annotated[str | None, typer.Option("--signal", help="shared_proxy, shared_phone, …")] = None,
               limit: Annotated[int, typer.Option("--limit")] = 100, db: DbOption = None,
               as_json: JsonOption = False) -> None:
    """机构的反催收信号（最新在前）The institution's flags, newest first."""
    from collectguard.complaints import signal_store

    def act(session: Any) -> tuple[list[dict[str, Any]], int]:
        rows, total = signal_store.flags(session, institution, status=status, signal=signal, limit=limit)
        return _flags_out(session, rows), total

    flags, total = _read(db, act)
    if not as_json:
        typer.echo(f"信号 flags: {total}（显示 shown {len(flags)}）")
    _print_flags(flags, as_json)


@app.command("show")
def show(complaint: Annotated[str, typer.Argument(help="投诉编号 complaint id")], institution: InstitutionOption,
         db: DbOption = None, as_json: JsonOption = False) -> None:
    """一件投诉的信号（对其提出的，或将其列为共享者的）A complaint's flags: raised on it, or naming it."""
    from collectguard.complaints import signal_store
    from collectguard.complaints.models import Complaint

    def act(session: Any) -> list[dict[str, Any]] | None:
        row = session.get(Complaint, complaint)
        if row is None or row.institution_id != institution:
            return None
        return _flags_out(session, signal_store.flags_of(session, complaint))

    flags = _read(db, act)
    if flags is None:
        _fail(f"未找到投诉 {complaint} / complaint {complaint} not found", code=2)
    _print_flags(flags, as_json)


@app.command("clusters")
def clusters(institution: InstitutionOption, status: StatusOption = None, db: DbOption = None,
             as_json: JsonOption = False) -> None:
    """由共享信号连接的投诉集群（最大在前）Clusters of complaints connected by shared signals, largest first."""
    from collectguard.complaints import signal_store

    found = _read(db, lambda session: signal_store.clusters(session, institution, status=status))
    if as_json:
        typer.echo(json.dumps([{**c.__dict__, "id": c.id, "first_at": _iso(c.first_at), "last_at": _iso(c.last_at)}
                               for c in found], ensure_ascii=False, indent=2))
        return
    typer.echo(f"集群 clusters: {len(found)}")
    for c in found:
        typer.echo(f"{c.id}\t{len(c.complaints)} 件投诉 complaints\t{c.debtors} 名债务人 debtors\t"
                   f"{STATUS_ZH[c.status]} {c.status}\t{_iso(c.first_at)[:10]} … {_iso(c.last_at)[:10]}")
        typer.echo(f"    信号 signals: {', '.join(f'{k}×{v}' for k, v in c.signals.items())}")
        typer.echo(f"    投诉 complaints: {', '.join(c.complaints)}")
        if c.agencies:
            typer.echo(f"    涉及机构 agencies: {', '.join(c.agencies)}")


DecisionOption = Annotated[str, typer.Option("--decision", help="confirmed 确认 | dismissed 排除")]
ReasonOption = Annotated[str, typer.Option("--reason", help="理由 why (required)")]
ByOption = Annotated[str, typer.Option("--by", help="复核人 who decides (a staff or user id)")]


@app.command("review")
def review(flag: Annotated[int, typer.Argument(help="信号编号 flag id")], institution: InstitutionOption,
           decision: DecisionOption, reason: ReasonOption, by: ByOption, at: AtOption = None, db: DbOption = None,
           as_json: JsonOption = False) -> None:
    """确认或排除一个信号 Confirm or dismiss one flag, with why (in the ledger)."""
    from collectguard.complaints import signal_store

    def act(unit: Any) -> list[dict[str, Any]]:
        row = signal_store.review(unit, flag, decision, reason, by=by, institution=institution)
        return _flags_out(unit.session, [row])

    _print_flags(_write(db, at, act), as_json)


@app.command("review-cluster")
def review_cluster(complaint: Annotated[str, typer.Argument(help="集群中任一投诉 any complaint of the cluster")],
                   institution: InstitutionOption, decision: DecisionOption, reason: ReasonOption, by: ByOption,
                   at: AtOption = None, db: DbOption = None, as_json: JsonOption = False) -> None:
    """对集群中所有待复核信号作同一决定 The same decision on every open flag of a cluster."""
    from collectguard.complaints import signal_store

    def act(unit: Any) -> list[dict[str, Any]]:
        rows = signal_store.review_cluster(unit, institution, complaint, decision, reason, by=by)
        return _flags_out(unit.session, rows)

    _print_flags(_write(db, at, act), as_json)


if __name__ == "__main__":
    app()
