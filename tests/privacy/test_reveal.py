from __future__ import annotations

import pytest

from collectguard.privacy.reveal import RevealReason, clean_note


def test_every_reason_has_a_chinese_and_an_english_label() -> None:
    assert [r.value for r in RevealReason] == ["complaint", "repayment_verification", "legal_request",
                                               "debtor_request", "compliance_inspection", "other"]
    assert RevealReason.COMPLAINT.label == "投诉处理 complaint handling"
    assert RevealReason.LEGAL_REQUEST.label.startswith("司法协查 ")
    for reason in RevealReason:
        zh, _, en = reason.label.partition(" ")
        assert zh and not zh.isascii() and en.isascii() and en, reason
    assert RevealReason("debtor_request") is RevealReason.DEBTOR_REQUEST


@pytest.mark.parametrize(
    ("note", "stored"),
    [
        ("工单 C-2026-0042", "工单 C-2026-0042"),  # a case number stays readable
        ("来电13800138000", "来电138****8000"),
        ("债务人 100 1234 5678 来电", "债务人 100****5678 来电"),  # the demo's own numbers too
        ("证件110101199003071234", "证件110***********1234"),
        ("邮件 zhangsan@example.com", "邮件 z*******@example.com"),
        ("座机 0755-1234567", "座机 0755-***4567"),
        ("卡号 6222 0212 3456 7890", "卡号 ************7890"),
        ("全角１３８００１３８０００", "全角138****8000"),
        ("  多余   空白\n和\t换行  ", "多余 空白 和 换行"),
        ("控制\x00字符", "控制 字符"),
        ("   ", None),
        (None, None),
    ],
)
def test_a_note_is_stored_masked(note: str | None, stored: str | None) -> None:
    assert clean_note(note) == stored
