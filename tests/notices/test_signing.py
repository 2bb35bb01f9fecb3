"""A receiving agency can check that a delivery came from CollectGuard, unaltered and recent."""

from __future__ import annotations

import hashlib
import hmac

from collectguard.notices import signing

BODY = '{"id":"ntc_1","debt":"loan1","message_zh":"请立即停止催收"}'.encode()


def test_a_signed_delivery_verifies_with_the_secret():
    h = signing.headers("secret-0123456789", 1_800_000_000, BODY, "ntc_1", 1)
    assert h[signing.DELIVERY] == "ntc_1" and h[signing.ATTEMPT] == "1"
    assert signing.verify("secret-0123456789", h, BODY, now=1_800_000_010)
    # Any receiver can recompute it: sha256=HMAC(secret, "<timestamp>." + body).
    expected = hmac.new(b"secret-0123456789", b"1800000000." + BODY, hashlib.sha256).hexdigest()
    assert h[signing.SIGNATURE] == "sha256=" + expected


def test_header_names_are_case_insensitive_for_the_receiver():
    h = {k.lower(): v for k, v in signing.headers("k" * 16, 100, BODY, "ntc_1", 1).items()}
    assert signing.verify("k" * 16, h, BODY, now=100)


def test_an_altered_body_a_wrong_secret_or_an_old_timestamp_fails():
    h = signing.headers("secret-0123456789", 1_800_000_000, BODY, "ntc_1", 1)
    assert not signing.verify("secret-0123456789", h, BODY.replace(b"loan1", b"loan2"), now=1_800_000_000)
    assert not signing.verify("another-secret-000", h, BODY, now=1_800_000_000)
    assert not signing.verify("secret-0123456789", h, BODY, now=1_800_000_000 + 301)  # a replay, later
    forged = {**h, signing.TIMESTAMP: "1800000300"}  # moving the timestamp breaks the signature
    assert not signing.verify("secret-0123456789", forged, BODY, now=1_800_000_300)
    assert not signing.verify("secret-0123456789", {**h, signing.TIMESTAMP: "soon"}, BODY, now=1_800_000_000)
