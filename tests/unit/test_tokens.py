import hashlib
import time

import pytest
from itsdangerous import URLSafeTimedSerializer

from domain.tokens.signer import (
    MAX_AGE,
    Purpose,
    TokenExpired,
    TokenInvalid,
    hash_nonce,
    sign,
    unsign,
)

SECRET = "unit-test-secret"


def test_round_trip_returns_claims():
    token = sign(SECRET, Purpose.COMMUNITY_OPTIN, "membership:7", "nonce-1")
    claims = unsign(SECRET, Purpose.COMMUNITY_OPTIN, token)
    assert (claims.subject, claims.nonce) == ("membership:7", "nonce-1")


def test_token_for_one_purpose_never_verifies_for_another():
    token = sign(SECRET, Purpose.COMMUNITY_OPTIN, "membership:7", "n")
    for other in Purpose:
        if other is not Purpose.COMMUNITY_OPTIN:
            with pytest.raises(TokenInvalid):
                unsign(SECRET, other, token)


def test_signature_uses_hmac_sha256_and_per_purpose_salt():
    token = sign(SECRET, Purpose.MAGIC_LINK, "s", "n")
    sha256 = URLSafeTimedSerializer(SECRET, salt="talentloop.magic-link",
                                    signer_kwargs={"digest_method": hashlib.sha256})
    assert sha256.loads(token) == {"s": "s", "n": "n"}
    sha1 = URLSafeTimedSerializer(SECRET, salt="talentloop.magic-link")
    with pytest.raises(Exception, match="Signature"):
        sha1.loads(token)


@pytest.mark.parametrize("tampered", ["", "abc", "a.b.c", "x" * 500])
def test_malformed_tokens_are_invalid(tampered):
    with pytest.raises(TokenInvalid):
        unsign(SECRET, Purpose.COMMUNITY_OPTIN, tampered)


def test_forged_token_with_another_secret_is_invalid():
    forged = sign("attacker-secret", Purpose.COMMUNITY_OPTIN, "membership:1", "n")
    with pytest.raises(TokenInvalid):
        unsign(SECRET, Purpose.COMMUNITY_OPTIN, forged)


def test_flipping_one_character_breaks_the_signature():
    token = sign(SECRET, Purpose.COMMUNITY_OPTIN, "membership:1", "n")
    # Not the last character: its low bits are base64 padding and may decode the same.
    start = token.rindex(".") + 1
    flipped = token[:start] + ("A" if token[start] != "A" else "B") + token[start + 1:]
    with pytest.raises(TokenInvalid):
        unsign(SECRET, Purpose.COMMUNITY_OPTIN, flipped)


def test_expired_token_still_names_its_subject(monkeypatch):
    token = sign(SECRET, Purpose.MAGIC_LINK, "person:3", "n")
    later = time.time() + MAX_AGE[Purpose.MAGIC_LINK].total_seconds() + 5
    monkeypatch.setattr(time, "time", lambda: later)
    with pytest.raises(TokenExpired) as caught:
        unsign(SECRET, Purpose.MAGIC_LINK, token)
    assert caught.value.claims is not None and caught.value.claims.subject == "person:3"


def test_magic_links_live_at_most_ten_minutes():
    assert MAX_AGE[Purpose.MAGIC_LINK].total_seconds() <= 600


def test_only_the_nonce_hash_is_stored():
    assert hash_nonce("abc") == hashlib.sha256(b"abc").hexdigest()


@pytest.mark.parametrize("purpose", list(Purpose))
@pytest.mark.parametrize("subject", ["person:1", "p" * 300, "zoë:✉", ""])
def test_tokens_are_the_bytes_plain_itsdangerous_makes(monkeypatch, purpose, subject):
    """The signer reuses its key derivation and keyed HMAC between tokens: same tokens,
    token after token, and plain itsdangerous reads ours and we read its tokens."""
    monkeypatch.setattr(time, "time", lambda: 1_790_000_000.0)
    plain = URLSafeTimedSerializer(SECRET, salt=f"talentloop.{purpose.value}",
                                   signer_kwargs={"digest_method": hashlib.sha256})
    for nonce in ("", "n1", "n2"):
        ours = sign(SECRET, purpose, subject, nonce)
        assert ours == plain.dumps({"s": subject, "n": nonce})
        assert unsign(SECRET, purpose, plain.dumps({"s": subject, "n": nonce})).nonce == nonce
    other = sign("another-secret", purpose, subject, "")
    assert other != plain.dumps({"s": subject, "n": ""})  # the key is per secret


def test_tracking_links_are_the_bytes_a_plain_signer_makes():
    from itsdangerous import Signer

    from domain.tokens.signer import FastSigner

    for kind in ("click", "open"):
        plain = Signer(SECRET, salt=f"talentloop.tracking-{kind}", sep=".",
                       digest_method=hashlib.sha256)
        fast = FastSigner(SECRET, salt=f"talentloop.tracking-{kind}", sep=".",
                          digest_method=hashlib.sha256)
        for value in ("1-1", "ff-2", "5"):
            assert fast.sign(value) == plain.sign(value)
            assert fast.unsign(plain.sign(value)) == value.encode()
        assert not fast.validate(plain.sign("1-1")[:-2] + b"xx")
