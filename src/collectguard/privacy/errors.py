"""Errors of the privacy library, on the project's one error base class.

Why their own classes: a broken key configuration or a tampered ciphertext is a server-side
integrity problem (500), never the caller's malformed payload, and operators need to tell the two
apart at a glance. Messages never carry plaintext personal data or key material.
"""

from __future__ import annotations

from collectguard.errors import CollectGuardError


class PrivacyError(CollectGuardError):
    """Base of every privacy-library failure."""

    status = 500
    code = "privacy"


class KeyringError(PrivacyError):
    """The key file or key configuration is missing, garbled, or inconsistent."""

    code = "keyring"


class DecryptionError(PrivacyError):
    """A token could not be opened: malformed, tampered, wrong context, or under an unknown key."""

    code = "decryption-failed"
