"""Text helpers: length-preserving normalisation, clause boundaries and amounts (金额).

Normalisation keeps every character at its offset, so a span found in the normalised text is the
same span of the original text (evidence is always the original words).
"""

from __future__ import annotations

import re

# full-width letters and digits → half-width; ASCII clause punctuation → full-width (so patterns
# and lexicons only need the Chinese forms); ideographic space → space; upper → lower case.
_TABLE: dict[int, int] = {}
for _c in range(0xFF01, 0xFF5F):
    if chr(_c - 0xFEE0).isalnum():
        _TABLE[_c] = _c - 0xFEE0
for _half, _full in zip(",!?;:", "，！？；：", strict=True):
    _TABLE[ord(_half)] = ord(_full)
_TABLE[0x3000] = 0x20
for _c in range(ord("A"), ord("Z") + 1):
    _TABLE[_c] = _c + 32
for _c in range(0xFF21, 0xFF3B):  # full-width A-Z → a-z
    _TABLE[_c] = _c - 0xFEE0 + 32
_TABLE[ord("您")] = ord("你")  # the polite "you" matches the same rules as the plain one

#: characters that end a clause (分句): negation does not reach across them
CLAUSE_BREAKS = frozenset("，,。.！!？?；;：:\n")
#: characters that end a sentence: debunking does not reach across them
SENTENCE_BREAKS = frozenset("。！!？?；;\n")


_MAPPED = {chr(k): chr(v) for k, v in _TABLE.items()}
_TO_MAP = re.compile("[" + "".join(re.escape(ch) for ch in _MAPPED) + "]")


def _mapped(m: re.Match[str]) -> str:
    return _MAPPED[m[0]]


def normalize(text: str) -> str:
    """Full-width letters/digits → half-width, ASCII ,!?;: → full-width, lower case, 您 → 你; same length.

    (A regex substitution of the few mapped characters: faster than `str.translate` with a dict
    table on mostly-CJK text, same result.)
    """
    return _TO_MAP.sub(_mapped, text)


def normalize_pattern(pattern: str) -> str:
    """A regular expression as it must read to match normalised text (only 您 → 你; escapes stay)."""
    return pattern.replace("您", "你")


def has_break(text: str, start: int, end: int, breaks: frozenset[str] = CLAUSE_BREAKS) -> bool:
    """Whether text[start:end] contains one of `breaks`."""
    if end <= start:
        return False
    return any(ch in breaks for ch in text[start:end])


def spoken_length(text: str) -> int:
    """Characters that are spoken (no spaces or punctuation), for speech rate."""
    return sum(1 for ch in text if ch.isalnum())


_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "俩": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_BIG = {"万": 10_000, "亿": 100_000_000}

_NUM = r"(?:\d[\d,，]*(?:\.\d+)?|[零〇一二两三四五六七八九十][零〇一二两三四五六七八九十百千万亿拾佰仟点]*)"
#: an amount of money: a number with a currency unit (元/块/万/千…)
AMOUNT_RE = re.compile(
    rf"(?P<num>{_NUM})\s*(?P<unit>万元|万块|万|千元|千块|千|百元|百块|元|块钱|块|rmb|人民币)(?P<tail>[零一二两三四五六七八九]?)"
)


def chinese_number(text: str) -> float | None:
    """Parse a Chinese numeral such as 三千二, 一万五千, 八千, 两百五十, 3.5, 1,200 (None if not a number)."""
    text = text.replace(",", "").replace("，", "")
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        pass
    if "点" in text:
        whole, _, frac = text.partition("点")
        w = chinese_number(whole) if whole else 0.0
        if w is None or not frac or any(ch not in _DIGITS for ch in frac):
            return None
        return w + float("0." + "".join(str(_DIGITS[ch]) for ch in frac))
    total = 0.0
    section = 0.0
    digit: float | None = None
    last_unit = 0
    for ch in text:
        if ch in _DIGITS:
            digit = _DIGITS[ch]
        elif ch in _UNITS:
            unit = _UNITS[ch]
            section += (digit if digit is not None else 1) * unit
            digit = None
            last_unit = unit
        elif ch in _BIG:
            section += digit or 0
            total += (section or 1) * _BIG[ch]
            section = 0
            digit = None
            last_unit = _BIG[ch]
        else:
            return None
    if digit is not None:
        # 三千二 = 3200: a trailing digit after a unit counts one unit lower
        section += digit * (last_unit // 10 if last_unit >= 10 else 1)
    return total + section


def amounts(text: str) -> list[tuple[int, int, float]]:
    """Money amounts stated in `text`: (start, end, yuan)."""
    out: list[tuple[int, int, float]] = []
    for m in AMOUNT_RE.finditer(text):
        num = m.group("num")
        unit = m.group("unit")
        tail = m.group("tail")
        if num in ("点",) or set(num) <= {"点"}:
            continue
        if num.isascii():
            value = chinese_number(num)
            if value is None:
                continue
            if unit.startswith("万"):
                value *= 10_000
            elif unit.startswith("千"):
                value *= 1_000
            elif unit.startswith("百"):
                value *= 100
        else:
            words = num + (unit[0] if unit[0] in "万千百" else "")
            value = chinese_number(words)
            if value is None:
                continue
            if tail:  # 一万五 = 15000, 三千二 = 3200
                scale = {"万": 1_000, "千": 100, "百": 10}.get(unit[0], 0)
                value += _DIGITS[tail] * scale
        out.append((m.start(), m.end(), value))
    return out
