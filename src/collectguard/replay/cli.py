"""`collectguard replay`: judge an existing call log through the rulebook (shared/replay/FORMAT.md).

The lead mounts `replay` as `collectguard replay`; `app` is for this package's own tests.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from collectguard.replay.mapping import MapError, load_map
from collectguard.replay.parallel import replay_logs
from collectguard.replay.world import WorldError, load_world_apart, load_world_db, normalise_number

AUTO_PARALLEL_BYTES = 500_000  # about 5,000 calls: below that, forking costs more than it saves


def _auto_workers(logs: list[Path]) -> int:
    size = 0
    for path in logs:
        try:
            size += os.path.getsize(path)
        except OSError:
            pass
    return min(4, os.cpu_count() or 1) if size > AUTO_PARALLEL_BYTES else 1


@contextmanager
def _loading_status(progress: bool | None) -> Iterator[None]:
    """A spinner on a terminal (stderr) while the world loads — tens of seconds for tens of thousands of
    debtors, before the replay's own bar; nothing when stderr is not one, or with --no-progress."""
    shown = sys.stderr.isatty() if progress is None else progress
    if not shown:
        yield
        return
    from rich.console import Console

    with Console(stderr=True).status("加载世界 / loading the world …"):
        yield


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
                                                             "automatic: up to 4 for logs over 500 KB, about 5,000 calls)")] = 0,
    progress: Annotated[bool | None, typer.Option("--progress/--no-progress",
                                                  help="进度条（终端上默认开）/ progress bar")] = None,
) -> None:
    """回放通话日志并按规则判定 / Replay call logs through the rulebook and report the violations."""
    if (world_file is None) == (db is None):
        typer.echo("错误 error: 须给出 --world 或 --db 之一 / give exactly one of --world and --db", err=True)
        raise typer.Exit(2)
    try:
        mapping = load_map(map_file)
        with _loading_status(progress):
            world = load_world_apart(world_file) if world_file is not None else load_world_db(db)  # type: ignore[arg-type]
        for number, tool_id in mapping.tool_numbers.items():
            world.tools_by_number[normalise_number(number) or number] = tool_id
        result = replay_logs(world, logs, mapping, workers=workers or _auto_workers(logs), progress=progress)
    except (MapError, WorldError) as exc:
        typer.echo(f"错误 error: {exc}", err=True)
        raise typer.Exit(2) from None
    for file, line, message in result.errors:
        typer.echo(f"格式错误 malformed: {file}:{line}: {message}", err=True)
    if report is not None:
        from collectguard.replay.report import render_html

        title = f"通话回放 Call replay — {', '.join(p.name for p in logs)}"
        report.write_text(render_html(result, title=title), encoding="utf-8")
    summary = result.summary()
    if as_json:
        typer.echo(json.dumps(summary, ensure_ascii=False))
    else:
        typer.echo(_text_summary(summary, result.errors))


app = typer.Typer()
app.command()(replay)
