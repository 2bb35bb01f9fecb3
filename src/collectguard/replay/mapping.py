"""日志映射 / The map (FORMAT.md): which column means what, validated with Pydantic."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

ASTERISK_COLUMNS = (
    "accountcode", "src", "dst", "dcontext", "clid", "channel", "dstchannel", "lastapp", "lastdata", "start",
    "answer", "end", "duration", "billsec", "disposition", "amaflags", "uniqueid", "userfield",
)

# VICIdial's vicidial_log export. Connected: any status but the dialer's own no-contact ones
# (NA no answer, B/AB busy, DC/ADC disconnected number, DROP/XDROP/PDROP dropped, AFAX fax, A/AA/AM/AL answering
# machine, N/NP no answer, ERI error, QUEUE/NEW/INCALL not final, DNC/DNCL do-not-call, TIMEOT, LRERR, MAXCAL,
# QVMAIL, WAITTO, IVRXFR); every other status (SALE, PTP, DISPO, CALLBK, custom dispositions) was a human answer.
VICIDIAL_NOT_CONNECTED = frozenset({
    "NA", "B", "AB", "DC", "ADC", "DROP", "XDROP", "PDROP", "AFAX", "A", "AA", "AM", "AL", "N", "NP", "ERI", "QUEUE",
    "NEW", "INCALL", "DNC", "DNCL", "TIMEOT", "LRERR", "LSMERG", "MAXCAL", "QVMAIL", "WAITTO", "IVRXFR",
})


class Connected(BaseModel):
    model_config = ConfigDict(extra="forbid")
    column: str
    equals: str | list[str] | None = None
    not_in: list[str] | None = None


class Mapping(BaseModel):
    model_config = ConfigDict(extra="forbid")
    format: Literal["asterisk-cdr", "csv", "vicidial"] = "asterisk-cdr"
    timezone: str = "Asia/Shanghai"
    collector: str = "accountcode"
    tool: str | None = "src"
    party: str = "dst"
    start: str = "start"
    connected: Connected = Connected(column="disposition", equals="ANSWERED")
    duration_s: str = "billsec"
    extra: str | None = None
    uniqueid: str | None = "uniqueid"
    tool_default: str | None = None  # a tool number used when the log has no tool column
    tool_numbers: dict[str, str] = {}  # number → tool id, beside (or instead of) the world's tools[].number
    defaults: dict[str, Any] = {}

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"未知时区 / unknown time zone {v!r}") from exc
        return v

    @field_validator("defaults")
    @classmethod
    def _defaults(cls, v: dict[str, Any]) -> dict[str, Any]:
        unknown = set(v) - {"channel", "mode", "template", "purpose", "recording", "debt", "delivery", "envelope",
                            "team", "ids_shown"}
        if unknown:
            raise ValueError(f"defaults 中有未知键 / unknown keys in defaults: {sorted(unknown)}")
        return v

    def columns(self) -> list[str]:
        cols = [self.collector, self.party, self.start, self.connected.column, self.duration_s]
        cols += [c for c in (self.tool, self.extra) if c]
        return cols


VICIDIAL_MAP: dict[str, Any] = {
    "format": "vicidial", "collector": "user", "tool": None, "party": "phone_number", "start": "call_date",
    "connected": {"column": "status", "not_in": sorted(VICIDIAL_NOT_CONNECTED)}, "duration_s": "length_in_sec",
    "extra": "comments", "uniqueid": "uniqueid",
}


class MapError(Exception):
    """映射文件无效 / the map is invalid."""


def parse_map(raw: Any, source: str = "map") -> Mapping:
    if not isinstance(raw, dict):
        raise MapError(f"{source}: 映射须为 YAML 映射 / a map is a YAML mapping")
    if raw.get("format") == "vicidial":
        raw = {**VICIDIAL_MAP, **raw}
    try:
        mp = Mapping.model_validate(raw)
    except ValidationError as exc:
        lines = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        raise MapError(f"{source}: 映射无效 / invalid map: " + "; ".join(lines)) from exc
    if mp.format == "asterisk-cdr":
        missing = [c for c in mp.columns() if c not in ASTERISK_COLUMNS]
        if missing:
            raise MapError(f"{source}: Asterisk CDR 没有这些列 / Asterisk CDR has no columns {missing}")
    return mp


def load_map(path: str | Path) -> Mapping:
    p = Path(path)
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise MapError(f"{p}: 无法读取映射 / cannot read the map: {exc}") from exc
    return parse_map(raw, str(p))
