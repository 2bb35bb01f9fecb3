"""Personal-information protection (个人信息保护): encryption at rest, blind indexes, masking, redaction.

Why a separate pure library: the rulebook's art19-masked-display and art20-minimum-necessary ask that
personal information be encrypted at rest, displayed masked, and never logged. Every layer that
touches a name, phone or ID number (gate, ledger, contacts, console, logs) needs the same few
primitives, and none of them should pull in a database to get them. Callers pass a `Keyring`
explicitly; nothing here keeps module-level mutable state.
"""

from __future__ import annotations

from collectguard.privacy.crypto import decrypt, encrypt, key_id_of, needs_rotation, reencrypt
from collectguard.privacy.errors import DecryptionError, KeyringError, PrivacyError
from collectguard.privacy.keys import Alg, DataKey, Keyring
from collectguard.privacy.kinds import PiiKind
from collectguard.privacy.lookup import blind_index, normalise
from collectguard.privacy.masking import mask, mask_address, mask_email, mask_id_number, mask_name, mask_phone
from collectguard.privacy.redact import RedactingFilter, redact

__all__ = [
    "Alg",
    "DataKey",
    "DecryptionError",
    "Keyring",
    "KeyringError",
    "PiiKind",
    "PrivacyError",
    "RedactingFilter",
    "blind_index",
    "decrypt",
    "encrypt",
    "key_id_of",
    "mask",
    "mask_address",
    "mask_email",
    "mask_id_number",
    "mask_name",
    "mask_phone",
    "needs_rotation",
    "normalise",
    "redact",
    "reencrypt",
]
