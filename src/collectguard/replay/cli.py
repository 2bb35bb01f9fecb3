"""`collectguard replay`: judge an existing call log through the rulebook (shared/replay/FORMAT.md).

The lead mounts `replay` as `collectguard replay`; `app` is for this package's own tests.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer

from collectguard.replay.logs import read_file
from collectguard.replay.mapping import MapError, Mapping, load_map
from collectguard.replay.model import Call, ReplayResult
from collectguard.replay.world import ReplayWorld, WorldError, load_world, load_world_db


def _run(world: ReplayWorld, calls: list[Call], errors: list[tuple[str, int, str]], *, workers: int,
         progress: bool | None) -> ReplayResult:
    try:
        from collectguard.replay import parallel
    except ImportError:  # the parallel driver is not there: judge in this process
        parallel = None  # type: ignore[assignment]
    if parallel is not None and hasattr(parallel, "run"):
        return parallel.run(world, calls, workers=workers, progress=progress, errors=errors)
    from collectguard.replay.judge import replay_in_process

    return replay_in_process(world, calls, errors)


def _read(logs: list[Path], mapping: Mapping, errors: list[tuple[str, int, str]]) -> list[Call]:
    """The calls of every log, `order` running on across files; P2's streaming, compacting reader when there."""
    try:
        from collectguard.replay.parallel import read_logs
    except ImportError:
        calls: list[Call] = []
        for path in logs:
            calls += read_file(path, mapping, order_start=calls[-1].order if calls else 0, errors=errors)
        return calls
    return read_logs(logs, mapping, errors)


def _text_summary(summary: dict, errors: list[tuple[str, int, str]]) -> str:  # type: ignore[type-arg]
    lines = [
        f"通话 calls: {summary['calls']}  已判定 judged: {summary['judged']}  未匹配 unmatched: "
        f"{summary['unmatched']}  违规 denied: {summary['denied']}  格式错误 malformed: {len(errors)}",
    ]
    if summary["by_rule"]:
        lines.append("按规则 by rule:")
        lines += [f"  {rule}: {n}" for rule, n in sorted(summary["by_rule"].items(), key=lambda kv: (-kv[1], kv[0]))]
    if summary["by_agency"]:
        lines.append("按机构 by agency:")
        lines += [f"  {k}: {v['denied']}/{v['judged']}" for k, v in summary["by_agency"].items()]
    if summary["unmatched_reasons"]:
        lines.append("未匹配原因 unmatched:")
        lines += [f"  {k}: {n}" for k, n in summary["unmatched_reasons"].items()]
    return "\n".join(lines)


def replay(
    logs: Annotated[list[Path], typer.Argument(help="通话日志 / call log files (Master.csv, CSV, vicidial_log)")],
    map_file: Annotated[Path, typer.Option("--map", help="映射 YAML / the map (FORMAT.md)")],
    world_file: Annotated[Path | None, typer.Option("--world", help="世界 YAML（场景的 setup）/ world file")] = None,
    db: Annotated[str | None, typer.Option("--db", help="已有数据库 / the world of an existing database")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="输出一个 JSON 对象 / print one JSON object")] = False,
    report: Annotated[Path | None, typer.Option("--report", help="HTML 报告 / write an HTML report")] = None,
    workers: Annotated[int, typer.Option("--workers", min=0, help="进程数，0 为自动 / worker processes (0: "
                                                             "automatic, up to 4 for logs over 5,000 calls)")] = 0,
    progress: Annotated[bool | None, typer.Option("--progress/--no-progress",
                                                  help="进度条（终端上默认开）/ progress bar")] = None,
) -> None:
    """回放通话日志并按规则判定 / Replay call logs through the rulebook and report the violations."""
    if (world_file is None) == (db is None):
        typer.echo("错误 error: 须给出 --world 或 --db 之一 / give exactly one of --world and --db", err=True)
        raise typer.Exit(2)
    try:
        mapping = load_map(map_file)
        world = load_world(world_file) if world_file is not None else load_world_db(db)  # type: ignore[arg-type]
        errors: list[tuple[str, int, str]] = []
        calls = _read(logs, mapping, errors)
        from collectguard.replay.world import normalise_number

        for number, tool_id in mapping.tool_numbers.items():
            world.tools_by_number[normalise_number(number) or number] = tool_id
        world.add_numbers({c.party_number for c in calls})
    except (MapError, WorldError) as exc:
        typer.echo(f"错误 error: {exc}", err=True)
        raise typer.Exit(2) from None
    if workers == 0:
        workers = min(4, os.cpu_count() or 1) if len(calls) > 5_000 else 1
    result = _run(world, calls, errors, workers=workers, progress=progress)
    for file, line, message in result.errors:
        typer.echo(f"格式错误 malformed: {file}:{line}: {message}", err=True)
    if report is not None:
        try:
            from collectguard.replay.report import render_html
        except ImportError:
            typer.echo("错误 error: HTML 报告模块尚不可用 / the HTML report (replay.report) is not available", err=True)
            raise typer.Exit(2) from None
        title = f"通话回放 Call replay — {', '.join(p.name for p in logs)}"
        report.write_text(render_html(result, title=title), encoding="utf-8")
    summary = result.summary()
    if as_json:
        typer.echo(json.dumps(summary, ensure_ascii=False))
    else:
        typer.echo(_text_summary(summary, result.errors))


app = typer.Typer()
app.command()(replay)
