from __future__ import annotations

import logging

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from collectguard.privacy import RedactingFilter, redact


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("债务人手机13800138000已接通", "债务人手机138****8000已接通"),
        ("call +86 138 0013 8000 now", "call 138****8000 now"),
        ("tel:+86-138-0013-8000.", "tel:138****8000."),
        ("(+86)13800138000", "138****8000"),
        ("008613800138000", "138****8000"),
        ("8613800138000", "138****8000"),
        ("身份证110101199003071234，", "身份证110***********1234，"),
        ("ID 11010119900307123x end", "ID 110***********123X end"),
        ("ID 110101 19900307 1234 end", "ID 110***********1234 end"),
        ("旧证号110101900307123", "旧证号110********7123"),
        ("mail zhangsan@example.com, thanks", "mail z*******@example.com, thanks"),
        (
            "张三 13800138000 110101199003071234 a.b@corp.example.cn",
            "张三 138****8000 110***********1234 a**@corp.example.cn",
        ),
        # Any 11-digit number starting with 1, allocated or not: the demo's own 10x numbers, 11x, 12x.
        ("demo 10012345678 done", "demo 100****5678 done"),
        ("11912345678", "119****5678"),
        ("12800138000", "128****8000"),
        ("138 - 0013 - 8000", "138****8000"),
        ("（+86）13800138000", "138****8000"),
        # Next to letters, +, = and inside URLs: + is a space there, %20 a space, %2D a dash, %2B a plus.
        ("tel13800138000x", "tel138****8000x"),
        ("call+10012345678", "call+100****5678"),
        ("q=%2B8610012345678&x", "q=100****5678&x"),
        ("q=a%2010012345678", "q=a%20100****5678"),
        ("q=100%2D1234%2D5678", "q=100****5678"),
        ("q=100+1234+5678", "q=100****5678"),
        ("q=%E5%8F%B710012345678", "q=%E5%8F%B7100****5678"),  # 号 URL-encoded right before it
        ("mail=user%40example.com", "mail=u***@example.com"),
        # ID forms whatever the area code or date: the demo's area 99, an impossible date, 15 characters.
        ("id=990101199001011234&", "id=990***********1234&"),
        ("x99010119900101123Xy", "x990***********123Xy"),
        ("441302198813800138", "441***********0138"),
        ("id+990101+19900101+1234", "id+990***********1234"),
        ("证号99010190010112x号", "证号990********112X号"),
    ],
)
def test_redact_free_text(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "订单号 20240101000012345678901 金额 100.00",  # too long to be a phone or ID
        "debt 12345, 5 contacts at 09:00",
        "19900307 is a date",
        "1380013800",  # 10 digits
        "138001380001",  # 12 digits: neither a mobile nor an ID
        "1234567890123456",  # 16
        "ts 2026-05-20T10:00:00+08:00 seq 12345678",
        "no personal data here",
    ],
)
def test_redact_leaves_other_text_alone(text: str) -> None:
    assert redact(text) == text


def test_id_digits_are_not_read_as_a_phone() -> None:
    # "19900307123" inside this ID is shaped like a 199 mobile number; the ID is masked as one unit.
    assert redact("x110101199003071234x") == "x110***********1234x"
    # A digit run longer than a phone is not cut into one.
    assert redact("1380013800012") == "1380013800012"


def test_filter_redacts_message_and_args(caplog: pytest.LogCaptureFixture) -> None:
    log = logging.getLogger("collectguard.test.privacy.args")
    log.addFilter(RedactingFilter())
    with caplog.at_level(logging.INFO, logger=log.name):
        log.info("dialing %s for debtor %s", "13800138000", "110101199003071234")
        log.info("email %(email)s", {"email": "zhangsan@example.com"})
        log.warning("inline 13800138000")
    text = caplog.text
    assert "13800138000" not in text and "110101199003071234" not in text and "zhangsan@" not in text
    assert [r.getMessage() for r in caplog.records] == [
        "dialing 138****8000 for debtor 110***********1234",
        "email z*******@example.com",
        "inline 138****8000",
    ]


def test_filter_redacts_exception_text(caplog: pytest.LogCaptureFixture) -> None:
    log = logging.getLogger("collectguard.test.privacy.exc")
    log.addFilter(RedactingFilter())
    with caplog.at_level(logging.ERROR, logger=log.name):
        try:
            raise ValueError("bad phone 13800138000")
        except ValueError:
            log.exception("failed")
    assert "13800138000" not in caplog.text
    assert "138****8000" in caplog.text


def test_filter_on_a_handler_covers_child_loggers() -> None:
    records: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(self.format(record))

    handler = Collect()
    handler.addFilter(RedactingFilter())
    parent = logging.getLogger("collectguard.test.privacy.parent")
    parent.addHandler(handler)
    parent.setLevel(logging.INFO)
    try:
        logging.getLogger("collectguard.test.privacy.parent.child").info("to %s", "+86 138 0013 8000")
    finally:
        parent.removeHandler(handler)
    assert records == ["to 138****8000"]


def test_filter_survives_a_broken_format_string() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "phone %d", ("13800138000",), None)
    assert RedactingFilter().filter(record) is True
    assert "13800138000" not in record.getMessage()
    assert "138****8000" in record.getMessage()


# No % either: before a prefix such as 0086 it would read as a percent-escape (%00) — the number is still
# masked, but the exact text differs; the property below covers %-escapes.
_NO_DIGITS = st.text(
    alphabet=st.characters(blacklist_categories=("Nd",), blacklist_characters="+-@%"), max_size=20
)


@settings(max_examples=200, deadline=None)
@given(
    before=_NO_DIGITS,
    after=_NO_DIGITS,
    prefix=st.sampled_from(["", "+86 ", "+86", "0086"]),
    second=st.sampled_from("3456789"),
    rest=st.text(alphabet="0123456789", min_size=9, max_size=9),
    sep=st.sampled_from(["", " ", "-"]),
)
def test_property_mobile_never_survives_redaction(
    before: str, after: str, prefix: str, second: str, rest: str, sep: str
) -> None:
    number = "1" + second + rest
    shown = f"{number[:3]}{sep}{number[3:7]}{sep}{number[7:]}"
    assert redact(f"{before}{prefix}{shown}{after}") == f"{before}{number[:3]}****{number[7:]}{after}"


# Characters a number may stand next to in a log line or URL: letters, Chinese, =, &, ?, /, +, %-escapes.
_NEIGHBOURS = st.sampled_from(["", "a", "x", "号", "=", "&q=", "?", "/", "+", "%2B", "%20", "%E5%8F%B7", " ", ":"])


@settings(max_examples=300, deadline=None)
@given(
    before=_NEIGHBOURS,
    after=st.sampled_from(["", "a", "号", "&", "+", "%20", " ", "/"]),
    prefix=st.sampled_from(["", "+86", "+86 ", "86", "0086", "%2B86", "(+86)"]),
    rest=st.text(alphabet="0123456789", min_size=10, max_size=10),
    sep=st.sampled_from(["", " ", "-", "+", "%20", "%2D", " - "]),
)
def test_property_any_11_digit_mobile_form_is_masked(before: str, after: str, prefix: str, rest: str,
                                                     sep: str) -> None:
    number = "1" + rest
    shown = f"{number[:3]}{sep}{number[3:7]}{sep}{number[7:]}"
    out = redact(f"{before}{prefix}{shown}{after}")
    assert number not in out and shown not in out
    assert f"{number[:3]}****{number[7:]}" in out


@settings(max_examples=300, deadline=None)
@given(
    before=_NEIGHBOURS,
    after=st.sampled_from(["", "a", "号", "&", "+", "%20", " "]),
    body=st.text(alphabet="0123456789", min_size=17, max_size=17),
    last=st.sampled_from("0123456789Xx"),
    short=st.booleans(),
)
def test_property_15_and_18_character_ids_are_masked(before: str, after: str, body: str, last: str,
                                                     short: bool) -> None:
    id_number = (body[:14] if short else body) + last
    out = redact(f"{before}{id_number}{after}")
    assert id_number not in out
    assert id_number[:3] + "*" in out and id_number[-4:].upper() in out
