from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from collectguard.errors import InvalidInput
from collectguard.privacy import mask, mask_address, mask_email, mask_id_number, mask_name, mask_phone
from collectguard.privacy.masking import ADDRESS_MASK


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
        ("北京市朝阳区建国路88号", "北京市朝阳区****"),
        ("河北省三河市燕郊镇某小区", "河北省三河市****"),
        ("云南省大理白族自治州宾川县金牛镇", "云南省大理白族自治州****"),
        ("新疆维吾尔自治区乌鲁木齐市天山区", "新疆维吾尔自治区乌鲁木齐市****"),
        ("广西壮族自治区南宁市西乡塘区", "广西壮族自治区南宁市****"),
        ("东澜省望海市高新区人民路88号3栋502室", "东澜省望海市****"),  # the demo's shape
        ("江苏省苏州市工业园区", "江苏省苏州市****"),
        # No first-level unit: whatever stands before a 区/县 is not kept.
        ("上海浦东新区世纪大道100号", "****"),
        ("浦东新区世纪大道某市", "****"),
        ("市场路5号", "****"),
        ("某某镇某某村", "****"),
        # The second unit must be a unit, not a street or a compound.
        ("北京市建国路某小区", "北京市****"),
        ("广东省市场路5号", "广东省****"),
        ("北京市", "北京市"),
        ("北京市朝阳区", "北京市朝阳区"),
        ("  ", ""),
    ],
)
def test_mask_address(address: str, masked: str) -> None:
    assert mask_address(address) == masked


@pytest.mark.parametrize(
    ("address", "masked"),
    [
        # The old rule kept everything before the first 区/县/市 — the numbers below among it.
        ("13800138000北京市朝阳区建国路88号", "****"),
        ("张三13800138000收朝阳区建国路", "****"),
        ("110101199003071234号楼西城区", "****"),
        ("北京市13800138000朝阳区建国路", "北京市****"),
        ("广东省深圳市110101199003071234区", "广东省深圳市****"),
        ("广东省 138 0013 8000 深圳市南山区", "广东省****"),
        ("北京市1380013800O朝阳区", "北京市****"),
        ("Room 5, 1380013800 Rd 北京市朝阳区", "****"),
        ("北京市一三八〇〇一三八〇〇〇区", "北京市****"),  # a number spelt in characters
        ("１３８００１３８０００北京市", "****"),  # full-width digits
    ],
)
def test_mask_address_never_keeps_a_number(address: str, masked: str) -> None:
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
        ("address", "北京市朝阳区建国路88号", "北京市朝阳区****"),
        ("email", "zhangsan@example.com", "z*******@example.com"),
        ("phone", None, None),
    ],
)
def test_dispatcher(kind: str, value: str | None, masked: str | None) -> None:
    assert mask(kind, value) == masked


def test_dispatcher_unknown_kind() -> None:
    with pytest.raises(InvalidInput, match="未知的个人信息类别"):
        mask("shoe_size", "42")


_ADDRESS_TEXT = st.text(alphabet=st.sampled_from(list("北京市朝阳区省县州自治路号栋室0123456789X-+ 某甲乙")), max_size=40)


@settings(max_examples=500, deadline=None)
@given(before=_ADDRESS_TEXT, after=_ADDRESS_TEXT, number=st.text(alphabet="0123456789", min_size=11, max_size=18))
def test_property_a_masked_address_holds_no_digit(before: str, after: str, number: str) -> None:
    masked = mask_address(before + number + after)
    assert masked is not None and not any(ch.isdigit() for ch in masked)
    assert masked == "" or masked.endswith(ADDRESS_MASK) or all("\u4e00" <= ch <= "\u9fff" for ch in masked)
