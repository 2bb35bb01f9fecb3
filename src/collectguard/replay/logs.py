"""日志解析 / Parsing call logs into `Call`s: Asterisk Master.csv, any CSV with a header, VICIdial's vicidial_log.

Pure on text: `parse_rows(rows, mapping, file)` takes the rows already split by `csv`.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from collectguard.replay.mapping import ASTERISK_COLUMNS, MapError, Mapping
from collectguard.replay.model import Call
from collectguard.replay.world import normalise_number

TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y/%m/%d %H:%M:%S", "%Y-%m-%d %H:%M")


def parse_time(text: str, zone: ZoneInfo) -> datetime:
    text = text.strip()
    if text.isdigit():  # an epoch (VICIdial start_epoch)
        return datetime.fromtimestamp(int(text), UTC)
    got: datetime | None
    try:
        got = datetime.fromisoformat(text)
    except ValueError:
        got = None
        for fmt in TIME_FORMATS:
            try:
                got = datetime.strptime(text, fmt).replace(tzinfo=zone)
                break
            except ValueError:
                continue
        if got is None:
            raise ValueError(f"无法解析时间 / bad time {text!r}") from None
    return got if got.tzinfo is not None else got.replace(tzinfo=zone)


def parse_extra(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in (text or "").split(";"):
        if "=" in part:
            k, v = part.split("=", 1)
            out[k.strip()] = v.strip()
    return out


def _flag(value: object) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes", "y", "on")


def read_file(path: str | Path, mapping: Mapping, *, order_start: int = 0,
              errors: list[tuple[str, int, str]]) -> list[Call]:
    """Read one log file into calls (malformed rows go to `errors`, (file, line, message))."""
    name = str(path)
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.reader(fh))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        errors.append((name, 0, f"无法读取日志 / cannot read the log: {exc}"))
        return []
    return list(parse_rows(rows, mapping, name, order_start=order_start, errors=errors))


def parse_rows(rows: Iterable[list[str]], mapping: Mapping, file: str, *, order_start: int = 0,
               errors: list[tuple[str, int, str]]) -> Iterator[Call]:
    zone = ZoneInfo(mapping.timezone)
    it = iter(enumerate(rows, start=1))
    if mapping.format == "asterisk-cdr":
        header: tuple[str, ...] | list[str] = ASTERISK_COLUMNS
        min_cols, max_cols = 16, 18
    else:
        try:
            _, header = next(it)
        except StopIteration:
            return
        header = [h.strip() for h in header]
        missing = [c for c in mapping.columns() if c not in header]
        if missing:
            raise MapError(f"{file}: 日志缺少映射所需的列 / the log lacks the map's columns {missing}")
        min_cols = max_cols = len(header)
    index = {name: i for i, name in enumerate(header)}
    defaults = mapping.defaults
    conn = mapping.connected
    equals = {conn.equals} if isinstance(conn.equals, str) else set(conn.equals or ())
    not_in = set(conn.not_in or ())
    order = order_start
    for line, row in it:
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        order += 1
        if not (min_cols <= len(row) <= max_cols):
            errors.append((file, line, f"列数 {len(row)} 不对 / wrong column count {len(row)} "
                                       f"(expected {min_cols}–{max_cols})"))
            continue

        def col(name: str | None, row: list[str] = row) -> str:
            i = index.get(name) if name else None
            return row[i].strip() if i is not None and i < len(row) else ""

        try:
            start = parse_time(col(mapping.start), zone)
            dur_text = col(mapping.duration_s)
            duration = int(float(dur_text)) if dur_text else 0
        except ValueError as exc:
            errors.append((file, line, str(exc)))
            continue
        status = col(conn.column)
        connected = (status in equals) if equals else (bool(status) and status not in not_in)
        extra = {**{k: str(v) for k, v in defaults.items()}, **parse_extra(col(mapping.extra))}
        party = col(mapping.party)
        if mapping.format == "vicidial" and "phone_code" in index:
            code = col("phone_code")
            if code and code != "86" and not party.startswith(code):
                party = code + party
        tool = col(mapping.tool) if mapping.tool else (mapping.tool_default or "")
        if not tool and mapping.format == "vicidial":
            tool = mapping.tool_default or col("campaign_id")
        yield Call(
            line=line, file=file, uniqueid=col(mapping.uniqueid) or f"{file}:{line}",
            collector=col(mapping.collector), tool_number=normalise_number(tool) or tool,
            party_number=normalise_number(party), start=start, connected=connected, duration_s=duration,
            extra=extra, channel=extra.get("channel", "voice"), mode=extra.get("mode", "notification"),
            template=extra.get("template") or None, purpose=extra.get("purpose") or None,
            recording=_flag(extra.get("recording", "true")), order=order)
