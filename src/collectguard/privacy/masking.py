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
_ADDRESS_MARKERS = "区县市"
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


def mask_address(address: str | None) -> str | None:
    """Keep the prefix up to the first 区/县/市 at index 2 or later, then `****`.

    广东省深圳市南山区科技园1号 → 广东省深圳市****; 北京市朝阳区建国路88号 → 北京市****;
    上海浦东新区世纪大道 → 上海浦东新区****. Why "index 2 or later": no real province/city name is
    shorter than two characters, and it keeps street names such as 市场路 from matching at the start.
    Without such a marker nothing is kept. An address that is only the prefix is returned as is.
    """
    if address is None:
        return None
    text = _WS.sub("", unicodedata.normalize("NFKC", address))
    if not text:
        return ""
    cut = next((i for i, ch in enumerate(text) if i >= 2 and ch in _ADDRESS_MARKERS), None)
    if cut is None:
        return ADDRESS_MASK
    prefix, rest = text[: cut + 1], text[cut + 1 :]
    return prefix + ADDRESS_MASK if rest else prefix


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
