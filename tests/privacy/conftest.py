"""Fixtures for the privacy library: fresh keyrings, never real key material."""

from __future__ import annotations

import pytest

from collectguard.privacy import Alg, Keyring


@pytest.fixture(params=[Alg.SM4_GCM, Alg.AES_256_GCM], ids=["sm4", "aes"])
def keyring(request: pytest.FixtureRequest) -> Keyring:
    return Keyring.generate(request.param)


@pytest.fixture
def sm4_keyring() -> Keyring:
    return Keyring.generate(Alg.SM4_GCM)
