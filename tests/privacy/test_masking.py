from __future__ import annotations

import pytest

from collectguard.errors import InvalidInput
from collectguard.privacy import mask, mask_address, mask_email, mask_id_number, mask_name, mask_phone


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张三", "张*"),
        ("欧阳娜娜", "欧***"),
        ("李", "*"),
        ("王小明", "王**"),
        (" 张三 ", "张*"),
        ("Alice", "A****"),
        ("J", "*"),
        ("", ""),
        ("阿卜杜拉·买买提", "阿*******"),
    ],
)
def test_mask_name(name: str, masked: str) -> None:
    assert mask_name(name) == masked


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13800138000", "138****8000"),
        ("+86 138 0013 8000", "138****8000"),
        ("+8613800138000", "138****8000"),
        ("0086 13800138000", "138****8000"),
        ("8613800138000", "138****8000"),
        ("138-0013-8000", "138****8000"),
        ("010-12345678", "010****5678"),
        ("0755-1234567", "075****4567"),
        ("12345678", "123*5678"),
        ("95588", "***88"),
        ("1234567", "*****67"),
        ("110", "*10"),
        ("12", "**"),
        ("ext", "***"),
    ],
)
def test_mask_phone(phone: str, masked: str) -> None:
    assert mask_phone(phone) == masked


@pytest.mark.parametrize(
    ("id_number", "masked"),
    [
        ("110101199003071234", "110***********1234"),
        ("11010119900307123x", "110***********123X"),
        ("110101 19900307 1234", "110***********1234"),
        ("110101900307123", "110********7123"),
        ("E12345678", "E******78"),
        ("1234", "****"),
    ],
)
def test_mask_id_number(id_number: str, masked: str) -> None:
    assert mask_id_number(id_number) == masked


def test_id_mask_keeps_length_and_ends() -> None:
    masked = mask_id_number("110101199003071234")
    assert masked is not None and len(masked) == 18 and masked.count("*") == 11


@pytest.mark.parametrize(
    ("address", "masked"),
    [
        ("广东省深圳市南山区科技园1号", "广东省深圳市****"),
        ("北京市朝阳区建国路88号", "北京市****"),
        ("上海浦东新区世纪大道100号", "上海浦东新区****"),
        ("河北省三河市燕郊镇某小区", "河北省三河市****"),
        ("云南省大理白族自治州宾川县金牛镇", "云南省大理白族自治州宾川县****"),
        ("市场路5号", "****"),
        ("某某镇某某村", "****"),
        ("北京市", "北京市"),
        ("  ", ""),
    ],
)
def test_mask_address(address: str, masked: str) -> None:
    assert mask_address(address) == masked


@pytest.mark.parametrize(
    ("email", "masked"),
    [
        ("zhangsan@example.com", "z*******@example.com"),
        ("a@example.com", "*@example.com"),
        ("not-an-email", "************"),
        ("@example.com", "************"),
    ],
)
def test_mask_email(email: str, masked: str) -> None:
    assert mask_email(email) == masked


@pytest.mark.parametrize("fn", [mask_name, mask_phone, mask_id_number, mask_address, mask_email])
def test_none_stays_none(fn) -> None:  # type: ignore[no-untyped-def]
    assert fn(None) is None


@pytest.mark.parametrize(
    ("kind", "value", "masked"),
    [
        ("name", "张三", "张*"),
        ("phone", "13800138000", "138****8000"),
        ("id_number", "110101199003071234", "110***********1234"),
        ("address", "北京市朝阳区建国路88号", "北京市****"),
        ("email", "zhangsan@example.com", "z*******@example.com"),
        ("phone", None, None),
    ],
)
def test_dispatcher(kind: str, value: str | None, masked: str | None) -> None:
    assert mask(kind, value) == masked


def test_dispatcher_unknown_kind() -> None:
    with pytest.raises(InvalidInput, match="未知的个人信息类别"):
        mask("shoe_size", "42")
