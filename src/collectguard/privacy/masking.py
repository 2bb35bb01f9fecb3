"""Masked display of personal information (脱敏展示, art19-masked-display).

Why these shapes: they are the ones Chinese lenders' screens and regulators already expect
(姓名 `张*`, 手机 `138****8000`, 身份证 `110***********1234`), enough for an agent to confirm
they have the right person with the debtor, not enough to identify or contact anyone. Masking is the
default; revealing the clear value is a separate, role-checked and recorded act.

Every function returns None for None, so optional columns can be masked without a guard.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from collectguard.errors import InvalidInput
from collectguard.privacy.kinds import PiiKind

STAR = "*"
ADDRESS_MASK = "****"
# Address units (行政区划): the first level ends at 省/市/自治区, the next at 市/州/区/县. The longest real
# names: 新疆维吾尔自治区 (8), 克孜勒苏柯尔克孜自治州 (11).
_FIRST_LEVEL = re.compile("省|市|自治区")
_SECOND_LEVEL = re.compile("[市州区县]")
_MIN_NAME = 2
_LONGEST_FIRST = 10
_LONGEST_SECOND = 12
# What no unit's name holds: five numerals in a row (a number spelt in characters, 一三八〇〇…) or a word
# of a street address (a unit "建国路某小区" is a street and a compound, not a district).
_NOT_A_UNIT = re.compile("[〇零一二三四五六七八九十壹贰叁肆伍陆柒捌玖拾幺两]{5}|路|街|巷|弄|号|村|栋|室|小区|大道|大厦|花园|公寓")
_WS = re.compile(r"\s+")


def _stars(n: int) -> str:
    return STAR * max(n, 0)


def mask_name(name: str | None) -> str | None:
    """Keep the first character, one `*` per remaining character: 张三→张*, 欧阳娜娜→欧***, 李→*, Alice→A****.

    Why only the first character even for compound surnames (欧阳): telling 欧 from 欧阳 would need a
    surname dictionary, and revealing less is the safe side.
    """
    if name is None:
        return None
    text = _WS.sub(" ", unicodedata.normalize("NFKC", name).strip())
    if len(text) <= 1:
        return _stars(len(text))
    return text[0] + _stars(len(text) - 1)


def _phone_digits(phone: str) -> str:
    text = unicodedata.normalize("NFKC", phone).strip()
    digits = re.sub(r"\D", "", text)
    if text.startswith("+86"):
        return digits[2:]
    if digits.startswith("0086"):
        return digits[4:]
    if len(digits) == 13 and re.fullmatch(r"861[3-9]\d{9}", digits):
        return digits[2:]
    return digits


def mask_phone(phone: str | None) -> str | None:
    """Keep the first 3 and last 4 digits: 13800138000 / +86 138 0013 8000 → 138****8000.

    The +86 country code and separators are dropped. Landlines follow the same rule
    (010-12345678 → 010****5678). Numbers of 7 digits or fewer (service numbers) keep only the last 2,
    since 3 + 4 would reveal them whole; 2 or fewer digits are masked entirely.
    """
    if phone is None:
        return None
    digits = _phone_digits(phone)
    if not digits:
        return _stars(len(phone.strip()))
    if len(digits) >= 8:
        return digits[:3] + _stars(len(digits) - 7) + digits[-4:]
    if len(digits) <= 2:
        return _stars(len(digits))
    return _stars(len(digits) - 2) + digits[-2:]


def mask_id_number(id_number: str | None) -> str | None:
    """Resident ID (18 or 15 characters): keep the first 3 and last 4 → 110***********1234.

    Other documents (passport, permits) of 5+ characters keep the first and the last 2 only;
    shorter ones are masked entirely. Spaces are removed and a trailing x is upper-cased first.
    """
    if id_number is None:
        return None
    text = _WS.sub("", unicodedata.normalize("NFKC", id_number)).upper()
    if len(text) in (15, 18):
        return text[:3] + _stars(len(text) - 7) + text[-4:]
    if len(text) >= 5:
        return text[0] + _stars(len(text) - 3) + text[-2:]
    return _stars(len(text))


def _unit_end(text: str, start: int, pattern: re.Pattern[str], longest: int, lower: str = "") -> int | None:
    """Where the administrative unit beginning at `start` ends (one past its marker), if it is one.

    The marker must stand at least `_MIN_NAME` characters in (no unit name is shorter: 市场路 is a
    street); the unit must not be longer than `longest`, must be Chinese characters only — so no digit,
    letter or punctuation, and therefore no phone or ID number, is ever kept — must hold no street word,
    and its name no marker of a `lower` level (a first level "浦东新区…市" is a district and more).
    """
    m = pattern.search(text, start + _MIN_NAME)
    if m is None or m.end() - start > longest:
        return None
    unit, name = text[start : m.end()], text[start : m.start()]
    if not all(_is_cjk(ch) for ch in unit) or _NOT_A_UNIT.search(unit) or any(ch in lower for ch in name):
        return None
    return m.end()


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


def mask_address(address: str | None) -> str | None:
    """Keep only the administrative prefix, then `****`.

    The prefix is the first-level unit, up to and including the first 省/市/自治区 (广东省, 北京市,
    新疆维吾尔自治区), and after it the next unit up to its 市/州/区/县 (深圳市, 朝阳区, 大理白族自治州).
    A unit is kept only if it is Chinese characters alone and of a real unit's length, and the second
    only after the first: 广东省深圳市南山区科技园1号 → 广东省深圳市****; 北京市朝阳区建国路88号 →
    北京市朝阳区****; 北京市13800138000朝阳区 → 北京市****. Without a first-level unit nothing is kept
    (上海浦东新区世纪大道 → ****): the part before a 区/县 may be anything — a street, a name, a number.
    An address that is only the prefix is returned as is.
    """
    if address is None:
        return None
    text = _WS.sub("", unicodedata.normalize("NFKC", address))
    if not text:
        return ""
    first = _unit_end(text, 0, _FIRST_LEVEL, _LONGEST_FIRST, lower="区县")
    if first is None:
        return ADDRESS_MASK
    second = _unit_end(text, first, _SECOND_LEVEL, _LONGEST_SECOND)
    cut = second if second is not None else first
    return text[:cut] + ADDRESS_MASK if cut < len(text) else text


def mask_email(email: str | None) -> str | None:
    """Keep the first character of the local part and the domain: zhangsan@example.com → z*******@example.com.

    Why keep the domain: it tells the agent which mailbox provider without identifying the person.
    A value without @ is masked whole.
    """
    if email is None:
        return None
    text = unicodedata.normalize("NFKC", email).strip()
    local, at, domain = text.rpartition("@")
    if not at or not local:
        return _stars(len(text))
    masked_local = _stars(1) if len(local) == 1 else local[0] + _stars(len(local) - 1)
    return f"{masked_local}@{domain}"


_MASKERS: dict[PiiKind, Callable[[str | None], str | None]] = {
    PiiKind.NAME: mask_name,
    PiiKind.PHONE: mask_phone,
    PiiKind.ID_NUMBER: mask_id_number,
    PiiKind.ADDRESS: mask_address,
    PiiKind.EMAIL: mask_email,
}


def mask(kind: PiiKind | str, value: str | None) -> str | None:
    """Mask `value` by its kind ("name", "phone", "id_number", "address", "email")."""
    try:
        masker = _MASKERS[PiiKind(kind)]
    except ValueError:
        allowed = ", ".join(k.value for k in PiiKind)
        raise InvalidInput(
            f"未知的个人信息类别 {kind!r}（可选：{allowed}）",
            f"unknown kind {kind!r} (choose from: {allowed})",
            field="kind",
        ) from None
    return masker(value)
