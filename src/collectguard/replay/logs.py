"""日志解析 / Parsing call logs into `Call`s: Asterisk Master.csv, any CSV with a header, VICIdial's vicidial_log.

Pure on text: `parse_rows(rows, mapping, file)` takes the rows already split by `csv`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
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


def flag(value: object) -> bool:
    """A yes/no cell or extra value: 1, true, yes, y or on (any case) is yes."""
    return str(value).strip().lower() in ("1", "true", "yes", "y", "on")


FILE_ORDER_STEP = 1 << 40  # more lines than any log has


def file_order(index: int) -> int:
    """The `order_start` of a replay's `index`-th log file (0-based, command-line order): every call of a file
    orders before every call of the next."""
    return index * FILE_ORDER_STEP


def _cells(row: list[str], n: int) -> Callable[[int], str]:
    def col(i: int) -> str:
        return row[i].strip() if 0 <= i < n else ""

    return col


def parse_rows(rows: Iterable[list[str]], mapping: Mapping, file: str, *, order_start: int = 0,
               errors: list[tuple[str, int, str]],
               keep: Callable[[str | None], bool] | None = None) -> Iterator[Call]:
    """The calls of the rows, in file order; a malformed row goes to `errors` as (file, line, message).

    A call's `order` is `order_start` + its line (`file_order(i)` for the i-th file of a replay): the same
    whichever rows are read. `keep`: told each row's normalised party number (None for a row of the wrong
    width), it selects the rows to parse at all — a worker of a parallel replay takes only its own debtors'
    rows and reports only their errors. Calls whose extra text is the same share one `extra` dict: read-only.
    """
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

    def at(name: str | None) -> int:
        i = index.get(name) if name else None
        return -1 if i is None else i

    i_coll, i_party, i_start, i_conn = (at(mapping.collector), at(mapping.party), at(mapping.start),
                                         at(mapping.connected.column))
    i_dur, i_extra, i_uid, i_tool = at(mapping.duration_s), at(mapping.extra), at(mapping.uniqueid), at(mapping.tool)
    i_code, i_campaign = at("phone_code"), at("campaign_id")
    vicidial = mapping.format == "vicidial"
    defaults = {k: str(v) for k, v in mapping.defaults.items()}
    conn = mapping.connected
    equals = {conn.equals} if isinstance(conn.equals, str) else set(conn.equals or ())
    not_in = set(conn.not_in or ())
    numbers: dict[str, str] = {}  # raw party number → normalised (numbers repeat)
    tools: dict[str, str] = {}  # raw tool number → normalised
    extras: dict[str, tuple[dict[str, str], str, str, str | None, str | None, bool]] = {}  # extra text → its fields
    for line, row in it:
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        n = len(row)
        if not (min_cols <= n <= max_cols):
            if keep is not None and not keep(None):
                continue
            errors.append((file, line, f"列数 {n} 不对 / wrong column count {n} (expected {min_cols}–{max_cols})"))
            continue
        col = _cells(row, n)
        party = col(i_party)
        if vicidial and i_code >= 0:
            code = col(i_code)
            if code and code != "86" and not party.startswith(code):
                party = code + party
        party_n = numbers.get(party)
        if party_n is None:
            party_n = numbers[party] = normalise_number(party)
        if keep is not None and not keep(party_n):
            continue
        try:
            start = parse_time(row[i_start], zone)
            dur_text = col(i_dur)
            duration = int(float(dur_text)) if dur_text else 0
        except ValueError as exc:
            errors.append((file, line, str(exc)))
            continue
        status = col(i_conn)
        connected = (status in equals) if equals else (bool(status) and status not in not_in)
        extra_text = col(i_extra)
        kinds = extras.get(extra_text)
        if kinds is None:  # the same text: the same (shared, read-only) extras
            extra = {**defaults, **parse_extra(extra_text)} if extra_text else dict(defaults)
            kinds = extras[extra_text] = (
                extra, extra.get("channel", "voice"), extra.get("mode", "notification"), extra.get("template") or None,
                extra.get("purpose") or None, flag(extra.get("recording", "true")))
        extra, channel, mode, template, purpose, recording = kinds
        tool = col(i_tool) if i_tool >= 0 else (mapping.tool_default or "")
        if not tool and vicidial:
            tool = mapping.tool_default or col(i_campaign)
        tool_n = tools.get(tool)
        if tool_n is None:
            tool_n = tools[tool] = normalise_number(tool) or tool
        yield Call(
            line=line, file=file, uniqueid=col(i_uid) or f"{file}:{line}", collector=col(i_coll),
            tool_number=tool_n, party_number=party_n, start=start, connected=connected, duration_s=duration,
            extra=extra, channel=channel, mode=mode, template=template, purpose=purpose, recording=recording,
            order=order_start + line if order_start else line)  # one int object, not two, in the first file
