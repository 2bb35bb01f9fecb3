"""Field types every input schema shares: bounded text, strict dates and flags, money, call durations and
aware times that survive conversion to UTC. One place, so that a limit is stated once and the OpenAPI
document says exactly what the validators accept (what the schema allows is accepted, nothing else).

- Text: every string has a maximum length; no NUL (PostgreSQL refuses it) and no lone surrogate such as
  "\\ud800" (not encodable as UTF-8: the database and the ledger's hash would fail on it) — see `storable`.
- Dates are `YYYY-MM-DD` strings (or `date` objects from YAML/Python); a number is never a date (pydantic
  alone reads 0 as 1970-01-01). Flags are `true`/`false` only (pydantic alone reads 0, 1, "yes" as flags).
- Money: Decimal yuan, 0 ≤ amount ≤ 999,999,999,999.99, at most two decimals, as a JSON number or a
  plain decimal string; a running total (repaid so far) is bounded by MAX_TOTAL (gate.service), which
  both backends keep exactly.
- Durations: seconds of one contact, 0–86,400 with at most three decimals — what Numeric(10, 3) stores,
  so a retried outcome compares equal to the stored one.
- Instants: aware datetimes whose UTC form exists (0001-01-01T00:00:00+08:00 does not: it is in year 0).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    Field,
    StrictBool,
    WithJsonSchema,
)

__all__ = [
    "MAX_AMOUNT", "MAX_DURATION_S", "MAX_TOTAL", "NO_NUL", "Address", "Amount", "Cap", "DurationS", "Flag", "IdNumber",
    "Instant", "Label", "LongText", "Name", "Note", "Phone", "Reason", "ShortText", "StrictDate", "WHOLE", "storable", "unique",
]

# -- text --------------------------------------------------------------------------------------------
_SURROGATE = re.compile("[\ud800-\udfff]")
NO_NUL = r"^[^\x00]*$"  # stated in the document too, so that text generated from it is text accepted here


def unique(values: list[Any]) -> list[Any]:
    """A list without repeats (ids listed twice are a mistake, and a duplicate row in the database)."""
    if len(set(values)) != len(values):
        raise ValueError("列表中有重复项 / the list repeats an item")
    return values


def storable(value: Any) -> Any:
    """`value` unchanged if every string in it (lists and tuples included) can be stored and hashed:
    no NUL character and no lone surrogate. Raises ValueError naming the problem otherwise."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("不能包含 NUL 字符 / must not contain NUL characters")
        if _SURROGATE.search(value):
            raise ValueError("不能包含孤立的代理字符（如 \\ud800）/ must not contain lone surrogates such as \\ud800")
    elif isinstance(value, (list, tuple)):
        for item in value:
            storable(item)
    return value


def _text(max_length: int, *, min_length: int | None = None) -> Any:
    return Annotated[str, Field(min_length=min_length, max_length=max_length, json_schema_extra={"pattern": NO_NUL}),
                     AfterValidator(storable)]


# A phone number as written in China: digits with single spaces or dashes, optionally +86 first; never
# starting 00 (an international prefix). What the blind index then parses (privacy.lookup).
PHONE_PATTERN = r"^(\+86[ \-]?)?0?[1-9]([ \-]?[0-9]){2,15}$"
_PHONE = re.compile(PHONE_PATTERN)


def _phone(value: str) -> str:
    if not _PHONE.match(value):
        raise ValueError("电话号码须为数字（可含空格、短横线，可加 +86）/ a phone number is digits, with single spaces "
                         "or dashes, optionally +86 first")
    return value


ShortText = _text(64)  # relations, short codes
Name = _text(200)  # names of people and organisations
Label = _text(200)  # labels of keys
Phone = Annotated[str, Field(max_length=64, json_schema_extra={"pattern": PHONE_PATTERN}), AfterValidator(_phone)]
IdNumber = _text(64, min_length=1)
Address = _text(500)
Reason = _text(500)  # why a status changed
Note = _text(2000)  # free notes on holds, acknowledgements
LongText = _text(20_000, min_length=1)  # template texts

# -- dates and flags ---------------------------------------------------------------------------------
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _date_only(value: Any) -> Any:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _DATE.fullmatch(value):
        return value  # pydantic checks the calendar
    raise ValueError("日期须写作 YYYY-MM-DD / a date is written YYYY-MM-DD (a string)")


StrictDate = Annotated[date, BeforeValidator(_date_only)]
Flag = StrictBool  # true or false; never 0, 1, "yes"


def _number_only(value: Any) -> Any:
    if isinstance(value, (bool, str)):
        raise ValueError("须为整数 / must be a whole number (not a string or a flag)")
    return value


# A whole number: 3 or 3.0, never true, "3" or 3.5. Bounded inside the type, before this validator:
# Annotated[int, Field(ge=…, le=…), WHOLE] (bounds set after it, or by Field on an optional field, are
# checked but come out of the document as unknown keywords).
WHOLE = BeforeValidator(_number_only)
Cap = Annotated[int, Field(ge=0, le=1000), WHOLE]  # a daily cap

# -- money and durations -----------------------------------------------------------------------------
MAX_AMOUNT = Decimal("999999999999.99")
# The bound of a running total (repaid so far): inside Numeric(18, 2) on PostgreSQL, and exact to the cent
# on SQLite too, which keeps a NUMERIC column as a float (exact cents only below about 9 × 10**13).
MAX_TOTAL = Decimal("9999999999999.99")
MAX_DURATION_S = Decimal(86_400)
_AMOUNT_TEXT = r"^(0|[1-9][0-9]{0,11})(\.[0-9]{1,2})?$"
_DURATION_TEXT = r"^(0|[1-9][0-9]{0,4})(\.[0-9]{1,3})?$"


_PLAIN_DECIMAL = re.compile(r"[0-9]+(\.[0-9]+)?")


def _decimal_text(zh: str, en: str) -> Any:
    """A number, or a string of digits with an optional fraction ("12.50"); never true, "1e3", " 12", "NaN".
    The bounds and the number of decimals are checked after (Field), with their own messages."""

    def check(value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError(f"{zh}须为数字 / {en} must be a number")
        if isinstance(value, str) and not _PLAIN_DECIMAL.fullmatch(value):
            raise ValueError(f"{zh}须为十进制数，如 \"12.50\" / {en} must be a plain decimal such as \"12.50\"")
        return value

    return BeforeValidator(check)


def _decimal_schema(maximum: Decimal, places: int, pattern: str, description: str) -> WithJsonSchema:
    step = float(Decimal(1).scaleb(-places))
    return WithJsonSchema({
        "anyOf": [{"type": "number", "minimum": 0, "maximum": float(maximum), "multipleOf": step},
                  {"type": "string", "pattern": pattern, "maxLength": len(str(int(maximum))) + 1 + places}],
        "description": description,
    })


Amount = Annotated[
    Decimal,
    Field(ge=0, le=MAX_AMOUNT, decimal_places=2),
    _decimal_text("金额", "an amount"),
    _decimal_schema(MAX_AMOUNT, 2, _AMOUNT_TEXT, "元, 0 – 999,999,999,999.99, at most 2 decimals"),
]
DurationS = Annotated[
    Decimal,
    Field(ge=0, le=MAX_DURATION_S, decimal_places=3),
    _decimal_text("时长", "a duration"),
    _decimal_schema(MAX_DURATION_S, 3, _DURATION_TEXT, "seconds, 0 – 86,400, at most 3 decimals"),
]

# -- instants ----------------------------------------------------------------------------------------


_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")


def _datetime_only(value: Any) -> Any:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and _DATETIME.match(value):
        return value  # pydantic checks the rest (seconds, fraction, offset)
    raise ValueError("时间须写作 RFC 3339，如 2026-05-20T09:00:00+08:00 / a time is written in RFC 3339, "
                     "e.g. 2026-05-20T09:00:00+08:00 (never a number)")


def _utc_exists(value: datetime) -> datetime:
    try:
        value.astimezone(UTC)
    except OverflowError:
        raise ValueError("时间换算为 UTC 后超出范围（0001–9999 年）/ the time is out of range once converted "
                         "to UTC (years 0001–9999)") from None
    return value


Instant = Annotated[AwareDatetime, BeforeValidator(_datetime_only), AfterValidator(_utc_exists)]
