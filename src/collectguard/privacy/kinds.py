"""The kinds of personal information this library knows how to mask, index and redact."""

from __future__ import annotations

from enum import StrEnum


class PiiKind(StrEnum):
    """One kind of personal information (个人信息类别).

    A `StrEnum` so that plain strings from configuration ("phone") are accepted where a kind is asked.
    """

    NAME = "name"
    PHONE = "phone"
    ID_NUMBER = "id_number"
    ADDRESS = "address"
    EMAIL = "email"
