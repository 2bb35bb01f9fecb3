"""`collectguard qa …`: scan transcripts, evaluate against labels, transcribe audio (art. 12(三))."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from collectguard.errors import CollectGuardError
from collectguard.qa.asr import AsrUnavailable, load_transcriber, read_wav, transcribe_audio
from collectguard.qa.evaluate import Counts, Evaluation
from collectguard.qa.inspector import Inspector
from collectguard.qa.models import CATEGORY_ZH, SEVERITY_ZH, Finding
from collectguard.qa.record import ScannedCall, record_calls, violation_stats
from collectguard.qa.rules import RuleFileError
from collectguard.qa.transcripts import CallLine, InvalidLine, read_calls

app = typer.Typer(help="质检 Transcript quality inspection (art. 12(三)).", no_args_is_help=True)

FilesArg = Annotated[list[Path], typer.Argument(help="JSON Lines 转写文件 / transcript files", show_default=False)]
RulesOpt = Annotated[
    Path | None,
    typer.Option("--rules", help="规则目录（默认内置规则）/ rule directory (default: packaged rules)", file_okay=False),
]
DbOpt = Annotated[
    str | None,
    typer.Option("--db", help="数据库 URL（默认 $COLLECTGUARD_DB）/ database URL (default: $COLLECTGUARD_DB or sqlite:///collectguard.db)"),
]


def _db_url(url: str | None) -> str:
    from collectguard.config import Settings

    return url or Settings.from_env().db_url


def _console() -> Console:
    """A console wide enough for the bilingual tables, also when output is piped."""
    return Console(width=None if sys.stdout.isatty() else 140)


def _inspector(rules: Path | None) -> Inspector:
    try:
        return Inspector.from_directory(rules) if rules else Inspector.default()
    except RuleFileError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc


def _report_invalid(item: InvalidLine) -> None:
    typer.echo(item.message(), err=True)


def _fmt_time(start: float | None, end: float | None) -> str:
    if start is None:
        return ""
    return f"{start:.1f}–{end:.1f}s" if end is not None else f"{start:.1f}s"


@app.command()
def scan(
    files: FilesArg,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON Lines / print JSON Lines")] = False,
    rules: RulesOpt = None,
    record: Annotated[
        bool,
        typer.Option("--record", help="把结果登记到各通话的 attempt_id（台账）/ attach findings to each call's attempt in the ledger"),
    ] = False,
    db: DbOpt = None,
) -> None:
    """扫描转写文件并列出违规 / Scan transcripts and list findings per call."""
    inspector = _inspector(rules)
    scanned: list[ScannedCall] = []
    invalid = 0
    console = _console()
    table = Table(title="质检结果 Inspection findings", show_lines=False)
    for col in ("通话 Call", "轮次 Turn", "时间 Time", "类别 Category", "规则 Rule", "严重度 Severity", "证据 Evidence"):
        table.add_column(col, overflow="fold")
    calls = flagged = total = 0
    out = sys.stdout
    for item in read_calls(files):
        if isinstance(item, InvalidLine):
            invalid += 1
            _report_invalid(item)
            continue
        findings = inspector.inspect(item.call)
        if record:
            scanned.append(ScannedCall(item.file, item.line, item.call.id, item.call.attempt_id, findings,
                                       item.call.audience, [t.model_dump() for t in item.call.turns]))
        calls += 1
        total += len(findings)
        flagged += bool(findings)
        if as_json:
            out.write(json.dumps({"id": item.call.id, "findings": [f.to_output() for f in findings]},
                                 ensure_ascii=False) + "\n")
        else:
            _add_rows(table, item, findings)
    if not as_json:
        console.print(table)
        console.print(
            f"通话 {calls} 通，{flagged} 通有违规，共 {total} 条发现 / "
            f"{calls} calls, {flagged} flagged, {total} findings"
        )
    failed = 0
    if record:
        try:
            report = record_calls(_db_url(db), scanned)
        except CollectGuardError as exc:  # the database itself is unusable
            typer.echo(f"未登记 not recorded: {exc.message_zh} / {exc.message_en}", err=True)
            raise typer.Exit(1) from exc
        for message in report.messages():
            typer.echo(message, err=True)
        failed = len(report.failed)
        typer.echo(
            f"已登记 {len(report.recorded)} 通，无 attempt_id {len(report.unattached)} 通，失败 {failed} 通 / "
            f"recorded {len(report.recorded)}, without attempt_id {len(report.unattached)}, failed {failed}",
            err=True,
        )
    if invalid:
        typer.echo(f"{invalid} 行无效输入已跳过 / {invalid} invalid line(s) skipped", err=True)
    if invalid or failed:
        raise typer.Exit(1)


def _add_rows(table: Table, item: CallLine, findings: list[Finding]) -> None:
    if not findings:
        table.add_row(item.call.id, "", "", "[green]无违规 compliant[/green]", "", "", "")
        return
    for f in findings:
        table.add_row(
            item.call.id,
            "" if f.turn is None else str(f.turn),
            _fmt_time(f.start, f.end),
            f"{CATEGORY_ZH[f.category]} {f.category}",
            f.rule,
            f"{SEVERITY_ZH[f.severity]} {f.severity}",
            f.evidence,
        )


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def _counts_row(name: str, c: Counts) -> list[str]:
    return [name, str(c.tp), str(c.fp), str(c.fn), _pct(c.precision), _pct(c.recall), _pct(c.fpr)]


def render_evaluation(result: Evaluation, console: Console, show_misses: bool = False) -> None:
    table = Table(title=f"质检评估 Evaluation ({result.calls} calls)")
    for col in ("类别 Category", "TP", "FP", "FN", "精确率 Precision", "召回率 Recall", "误报率 FPR"):
        table.add_column(col, justify="left" if col.startswith("类别") else "right")
    for category, counts in result.per_category.items():
        table.add_row(*_counts_row(f"{CATEGORY_ZH[category]} {category}", counts))
    micro = result.micro
    table.add_section()
    table.add_row(*_counts_row("合计（类别×通话）micro", micro))
    console.print(table)
    o = result.overall
    console.print(
        f"整体（通话级）Overall, call level: 精确率 precision {_pct(o.precision)}，召回率 recall {_pct(o.recall)}，"
        f"误报率 false-positive rate {_pct(o.fpr)}  (TP {o.tp}, FP {o.fp}, FN {o.fn}, TN {o.tn})"
    )
    if result.unlabelled:
        console.print(f"{result.unlabelled} 通无 labels 未计入 / calls without labels not counted")
    if show_misses and result.misses:
        console.print("不一致的通话 Mismatched calls:")
        for miss in result.misses:
            console.print(f"  {miss.id}: 漏报 missed {miss.missed or '-'}; 误报 extra {miss.extra or '-'}")


@app.command("eval")
def eval_(
    files: FilesArg,
    rules: RulesOpt = None,
    misses: Annotated[bool, typer.Option("--misses", help="列出不一致的通话 / list mismatched calls")] = False,
) -> None:
    """按类别计算精确率、召回率、误报率 / Precision, recall and FPR per category against `labels`."""
    inspector = _inspector(rules)
    result = Evaluation()
    invalid = 0
    for item in read_calls(files):
        if isinstance(item, InvalidLine):
            invalid += 1
            _report_invalid(item)
            continue
        result.add(item.call, {f.category for f in inspector.inspect(item.call)})
    render_evaluation(result, _console(), show_misses=misses)
    if invalid:
        typer.echo(f"{invalid} 行无效输入已跳过 / {invalid} invalid line(s) skipped", err=True)
        raise typer.Exit(1)


class StatsBy(StrEnum):
    collector = "collector"
    agency = "agency"


@app.command()
def stats(
    by: Annotated[StatsBy, typer.Option("--by", help="按催收员或机构统计 / per collector or per agency")],
    db: DbOpt = None,
    institution: Annotated[
        str | None, typer.Option("--institution", help="只看该金融机构 / only this institution")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON / print JSON")] = False,
) -> None:
    """每日违规统计（按催收员或机构）/ Violations and calls inspected per collector or agency per day."""
    try:
        rows = violation_stats(_db_url(db), by.value, institution)
    except CollectGuardError as exc:
        typer.echo(f"{exc.message_zh} / {exc.message_en}", err=True)
        raise typer.Exit(1) from exc
    if as_json:
        sys.stdout.write(json.dumps(rows, ensure_ascii=False) + "\n")
        return
    who = "催收员 Collector" if by is StatsBy.collector else "机构 Agency"
    table = Table(title=f"质检违规统计 Violations per {by.value} per day")
    table.add_column(who)
    table.add_column("日期 Day")
    table.add_column("质检通话 Calls inspected", justify="right")
    table.add_column("违规 Violations", justify="right")
    for row in rows:
        table.add_row(str(row[by.value]), row["day"], str(row["calls"]), str(row["violations"]))
    console = _console()
    console.print(table)
    if not rows:
        console.print("没有质检记录 / no inspected calls recorded")


@app.command()
def transcribe(
    audio: Annotated[list[Path], typer.Argument(help="WAV 录音文件 / WAV recordings", show_default=False)],
    out: Annotated[Path | None, typer.Option("--out", help="输出 JSON Lines 文件（默认标准输出）/ output file")] = None,
    model_dir: Annotated[
        Path | None,
        typer.Option("--model-dir", help="sherpa-onnx 模型目录（或环境变量 COLLECTGUARD_ASR_MODEL_DIR）/ model directory"),
    ] = None,
    audience: Annotated[str, typer.Option(help="debtor 或 contact / debtor or contact")] = "debtor",
    agent_channel: Annotated[int, typer.Option(help="立体声中坐席声道 / agent channel in stereo files")] = 0,
) -> None:
    """把录音转写为质检输入格式 / Transcribe recordings into the inspection input format."""
    if audience not in ("debtor", "contact"):
        typer.echo("audience 只能是 debtor 或 contact / audience must be debtor or contact", err=True)
        raise typer.Exit(2)
    try:
        transcriber = load_transcriber(model_dir)
    except AsrUnavailable as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    lines: list[str] = []
    failed = 0
    for path in audio:
        try:
            decoded = read_wav(path)
        except (OSError, ValueError) as exc:
            typer.echo(f"{path}: {exc}", err=True)
            failed += 1
            continue
        call = transcribe_audio(decoded, transcriber, path.stem, audience=audience, agent_channel=agent_channel)
        lines.append(call.model_dump_json(exclude_none=True, exclude={"meta", "labels"}))
    text = "".join(line + "\n" for line in lines)
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text, encoding="utf-8")
    if failed:
        raise typer.Exit(1)
