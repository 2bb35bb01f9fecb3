"""Redaction of personal data in free text and logs (日志脱敏).

Why: the rule is that personal information never reaches logs, and log lines are built from
exceptions, payloads, URLs and f-strings that no reviewer sees in full. A filter on every handler masks
what can be recognised by shape: mobile numbers, resident ID numbers and e-mail addresses.
Names and addresses cannot be recognised reliably in free text; code must not log them at all.

The shapes are deliberately wider than what is valid: any 11-digit number starting with 1 (the demo's
own synthetic numbers use the unallocated 10x prefixes, and a number from a prefix allocated next year is
as personal as any other), and any 15- or 18-character run of digits (the last may be X) whether or not
its area code and birth date exist. A number is found wherever it stands — next to letters, after `+`,
`=`, or inside a URL where a space is `+` or `%20`, a dash `%2D`, a plus `%2B` and `@` is `%40`. Only a
digit run that is longer (an order number) is left alone. Over-masking a log line costs nothing;
under-masking it is a leak.

Attach `RedactingFilter` to *handlers* (``handler.addFilter(RedactingFilter())``): a filter on a
logger does not see records propagated from its child loggers.
"""

from __future__ import annotations

import logging
import re

from collectguard.privacy.masking import mask_email

_ESCAPE = r"%[0-9A-Fa-f]{2}"
# One separator between digits: a space (also ideographic), a dash, a query string's `+` for a space, or
# the percent-escapes of space, dash and plus.
_SEP = r"(?:[ \t\-\u2010-\u2015\u3000\uff0d+]|%20|%2[Dd]|%2[Bb])"
# A number starts where no digit stands before it — or where the digit before it ends a percent-escape
# (`%20`, or the last byte of a URL-encoded character such as `号` = `%E5%8F%B7`) — and not inside an
# escape (the 7 of `%B7` is no digit of the number after it). A second, lenient pass then takes the
# numbers that only make sense with the escape read as text (`%13800138000`: a % and a phone number).
_STRICT = rf"(?:(?<!%)(?<!%[0-9A-Fa-f])|(?![0-9A-Fa-f]))(?:(?<!\d)|(?<={_ESCAPE}))"
_LENIENT = rf"(?:(?<!\d)|(?<={_ESCAPE}))"
_END = r"(?!\d)"
# 18-character ID: 6 + 8 + 4 characters, the last may be X, a separator allowed between the groups as
# printed on forms; the 15-character legacy form has no separators. No date or area check: any such run.
_ID18 = rf"\d{{6}}{_SEP}?\d{{8}}{_SEP}?\d{{3}}[0-9Xx]{_END}"
_ID15 = rf"\d{{14}}[0-9Xx]{_END}"
# Mobile: an optional country code (+86, (+86), %2B86, 0086, 86), then 1 and 10 more digits, up to three
# separators before each digit (138 0013 8000, 138-0013-8000, 138 - 0013 - 8000, 138+0013+8000).
_PREFIX = r"(?:\(\+86\)|（\+86）|\+86|%2[Bb]86|0086|86)"
_MOBILE = rf"(?:{_PREFIX}{_SEP}{{0,3}})?(?P<number>[1１](?:{_SEP}{{0,3}}\d){{10}}){_END}"
_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+?(?:@|%40)[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
)
_NOT_DIGIT = re.compile(r"\D")
_NOT_ID_CHAR = re.compile(r"[^0-9Xx]")
_ESCAPES = re.compile(_ESCAPE)


def _clean(text: str, drop: re.Pattern[str]) -> str:
    """The digits (and X) of a match: percent-escapes go first, since `%20` holds two digits itself."""
    return drop.sub("", _ESCAPES.sub("", text))


def _sub_id(m: re.Match[str]) -> str:
    text = _clean(m.group(0), _NOT_ID_CHAR).upper()
    return text[:3] + "*" * (len(text) - 7) + text[-4:]


def _sub_mobile(m: re.Match[str]) -> str:
    digits = _clean(m.group("number"), _NOT_DIGIT)
    return digits[:3] + "****" + digits[-4:]


def _sub_email(m: re.Match[str]) -> str:
    return mask_email(m.group(0).replace("%40", "@")) or ""


# 18-character IDs go first: they hold 11-digit runs that must not be read as phone numbers. Mobiles go
# before 15-character IDs, so that 0086 and 11 digits (15 in all) reads as the phone it is.
_PASSES = tuple(
    (re.compile(start + pattern), sub)
    for start in (_STRICT, _LENIENT)
    for pattern, sub in ((_ID18, _sub_id), (_MOBILE, _sub_mobile), (_ID15, _sub_id))
)


def redact(text: str) -> str:
    """Mask every mobile number, ID number and e-mail address found in `text`."""
    for pattern, sub in _PASSES:
        text = pattern.sub(sub, text)
    return _EMAIL.sub(_sub_email, text)


class RedactingFilter(logging.Filter):
    """A logging filter that redacts the message, its args, the exception text and stack info.

    It formats `msg % args` itself and stores the redacted result with `args = None`, because a value
    passed as an argument (``log.info("call %s", phone)``) is only joined to the message later, in
    the formatter, after filters have run. It never drops a record.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not let the raw args through
            message = " ".join([str(record.msg), *(str(a) for a in _args_tuple(record.args))])
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def _args_tuple(args: object) -> tuple[object, ...]:
    if args is None:
        return ()
    if isinstance(args, tuple):
        return args
    if isinstance(args, dict):
        return tuple(args.values())
    return (args,)
