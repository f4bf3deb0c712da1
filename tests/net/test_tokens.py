"""Session tokens: forgery, expiry, reuse and bounded memory of used nonces."""

from __future__ import annotations

import pytest

from remotewire.errors import ExpiredToken, InvalidToken, ReusedToken
from remotewire.tokens import NonceRegistry, issue_token, verify_token

SECRET = b"s" * 32


def test_round_trip() -> None:
    token = issue_token(SECRET, "sess1", "agent", ttl_s=60)
    claims = verify_token(SECRET, token)
    assert (claims.session_id, claims.role, claims.peer_role()) == ("sess1", "agent", "customer")


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-2] + ("A" if t[-2] != "A" else "B") + t[-1],  # signature flipped
        lambda t: "v1." + t.split(".")[1][:-1] + "x." + t.split(".")[2],  # body changed
        lambda t: "v2" + t[2:],
        lambda t: "garbage",
        lambda t: t + ".extra",
    ],
)
def test_forgery_is_refused(mangle) -> None:  # type: ignore[no-untyped-def]
    token = issue_token(SECRET, "sess1", "customer")
    with pytest.raises(InvalidToken):
        verify_token(SECRET, mangle(token))


def test_other_secret_is_refused() -> None:
    with pytest.raises(InvalidToken):
        verify_token(b"other", issue_token(SECRET, "s", "agent"))


def test_non_ascii_bytes_are_refused() -> None:
    with pytest.raises(InvalidToken):
        verify_token(SECRET, b"\xff\xfe")


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t.replace(t.split(".")[1][3], "\u00e9", 1),  # in the body
        lambda t: t.replace(t.split(".")[1][3], "\ud800", 1),
        lambda t: t[:-1] + "\U0010ffff",  # in the signature
    ],
    ids=["body-accent", "body-surrogate", "signature-astral"],
)
def test_non_ascii_text_is_refused(mangle) -> None:  # type: ignore[no-untyped-def]
    """A str token escaped as UnicodeEncodeError (the MAC) or TypeError (the compare)."""
    with pytest.raises(InvalidToken):
        verify_token(SECRET, mangle(issue_token(SECRET, "s", "agent")))


def test_expiry() -> None:
    token = issue_token(SECRET, "s", "agent", ttl_s=10, now=lambda: 1000.0)
    verify_token(SECRET, token, now=lambda: 1009.0)
    with pytest.raises(ExpiredToken):
        verify_token(SECRET, token, now=lambda: 1010.0)


def test_reuse_and_bounded_registry() -> None:
    clock = [1000.0]
    registry = NonceRegistry(capacity=2, now=lambda: clock[0])
    tokens = [
        issue_token(SECRET, f"s{i}", "agent", ttl_s=10, now=lambda: clock[0]) for i in range(3)
    ]
    claims = [verify_token(SECRET, t, now=lambda: clock[0]) for t in tokens]
    registry.consume(claims[0])
    with pytest.raises(ReusedToken):
        registry.consume(claims[0])
    registry.consume(claims[1])
    with pytest.raises(ReusedToken):  # full of live nonces: fail closed
        registry.consume(claims[2])
    clock[0] += 11  # the first two expired; they are forgotten, memory stays bounded
    registry.consume(claims[2])
    assert len(registry) == 1
