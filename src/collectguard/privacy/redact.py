"""Redaction of personal data in free text and logs (日志脱敏).

Why: the rule is that personal information never reaches logs, and log lines are built from
exceptions, payloads and f-strings that no reviewer sees in full. A filter on every handler masks
what can be recognised by shape: mainland mobile numbers, resident ID numbers and e-mail addresses.
Names and addresses cannot be recognised reliably in free text; code must not log them at all.

Attach `RedactingFilter` to *handlers* (``handler.addFilter(RedactingFilter())``): a filter on a
logger does not see records propagated from its child loggers.
"""

from __future__ import annotations

import logging
import re

from collectguard.privacy.masking import mask_email, mask_id_number, mask_phone

_DATE = r"(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
# 18-digit resident ID: area(6) birth date YYYYMMDD(8) sequence(3) check(1, may be X); optional
# spaces between the groups as printed on forms. 15-digit legacy ID: area(6) YYMMDD(6) sequence(3).
_ID = re.compile(
    rf"(?<!\d)(?:"
    rf"[1-9]\d{{5}} ?(?:18|19|20)\d{{2}}{_DATE} ?\d{{3}}[0-9Xx]"
    rf"|[1-9]\d{{5}}\d{{2}}{_DATE}\d{{3}}"
    rf")(?!\d)"
)
# Mainland mobile: optional +86 / 0086 / (+86) / 86, then 1[3-9] and 9 more digits, each optionally
# preceded by one space or dash (138 0013 8000, 138-0013-8000).
_MOBILE = re.compile(r"(?<![\d+])(?:(?:\(\+86\)|\+86|0086|86)[ -]?)?1[3-9](?:[ -]?\d){9}(?!\d)")
_EMAIL = re.compile(r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")


def _sub_id(m: re.Match[str]) -> str:
    return mask_id_number(m.group(0)) or ""


def _sub_mobile(m: re.Match[str]) -> str:
    return mask_phone(m.group(0)) or ""


def _sub_email(m: re.Match[str]) -> str:
    return mask_email(m.group(0)) or ""


def redact(text: str) -> str:
    """Mask every mobile number, ID number and e-mail address found in `text`.

    IDs go first: an 18-digit ID holds 11-digit runs that must not be read as phone numbers.
    """
    text = _ID.sub(_sub_id, text)
    text = _MOBILE.sub(_sub_mobile, text)
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
