"""Read transcripts: JSON Lines, one call per line, validated with Pydantic (FORMAT.md, "Input").

A line that is not valid input becomes an `InvalidLine` (file, line number, reason) instead of
stopping the run; blank lines are skipped.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from collectguard.qa.models import Call


@dataclass(frozen=True, slots=True)
class InvalidLine:
    """A line that is not a valid call: where and why."""

    file: str
    line: int
    reason: str

    def message(self) -> str:
        return f"{self.file}:{self.line}: 无效输入 invalid input: {self.reason}"


@dataclass(frozen=True, slots=True)
class CallLine:
    file: str
    line: int
    call: Call


def _reason(exc: ValidationError) -> str:
    parts: list[str] = []
    for err in exc.errors(include_url=False):
        loc = ".".join(str(p) for p in err["loc"])
        if err["type"] == "json_invalid":
            parts.append(f"不是合法 JSON / not valid JSON: {err['msg']}")
        elif err["type"] == "missing":
            parts.append(f"缺少字段 missing key `{loc}`")
        else:
            parts.append(f"`{loc}`: {err['msg']}" if loc else err["msg"])
    return "; ".join(parts)


def parse_line(text: str | bytes, file: str = "<input>", line: int = 1) -> CallLine | InvalidLine:
    """Validate one JSON line as a `Call`."""
    try:
        return CallLine(file, line, Call.model_validate_json(text))
    except ValidationError as exc:
        return InvalidLine(file, line, _reason(exc))


def read_lines(lines: Iterable[str | bytes], file: str) -> Iterator[CallLine | InvalidLine]:
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        yield parse_line(raw, file, number)


def read_calls(paths: Iterable[Path]) -> Iterator[CallLine | InvalidLine]:
    """Every line of every file, in order, as a validated call or an invalid line."""
    for path in paths:
        try:
            handle = path.open("rb")
        except OSError as exc:
            yield InvalidLine(str(path), 0, f"无法读取文件 cannot read file: {exc.strerror or exc}")
            continue
        with handle:
            yield from read_lines(handle, str(path))
