"""The customer password's two parts: the agent's split, the customer app's local part."""

from __future__ import annotations

import itertools

import pytest

from remoteapp.session.presence import ROTATE_AFTER_MISMATCHES, PasswordParts
from remotewire import passwords
from remotewire.passwords import LOCAL_PART, SERVER_PART, BadPassword, split_password


def test_the_whole_password_stays_easy_to_read_aloud() -> None:
    from helpdesk.security import PARTNER_ALPHABET, new_customer_password

    assert passwords.ALPHABET == PARTNER_ALPHABET  # one alphabet on both sides
    assert passwords.LENGTH == SERVER_PART + LOCAL_PART <= 8 + 2  # today's 8, at most 2 more
    server = new_customer_password()
    assert len(server) == SERVER_PART and set(server) <= set(passwords.ALPHABET)
    local = passwords.new_part(LOCAL_PART)
    assert len(local) == LOCAL_PART and set(local) <= set(passwords.ALPHABET)


def test_split_takes_the_local_part_from_the_end_and_forgives_spacing() -> None:
    assert split_password("abcdef ghjk") == ("abcdef", "ghjk")
    assert split_password(" ABC-DEF-GHJK ") == ("abcdef", "ghjk")
    assert split_password("abcdefgh jkmn") == ("abcdefgh", "jkmn")  # a longer server part
    for bad in ("", "abcd", "abcdef", "abcdefghj", "abcdef0hjk", "abcdefghjkl" * 2, "abcdéfghjk"):
        with pytest.raises(BadPassword):
            split_password(bad)


def test_the_local_part_rotates_with_the_server_part_and_after_mismatches() -> None:
    made = (f"{n:04d}" for n in itertools.count())
    parts = PasswordParts(lambda: next(made))
    parts.server_part("abcdef")
    assert parts.whole == "abcdef0000"
    parts.server_part("abcdef")  # the same server part: the same password
    for _ in range(ROTATE_AFTER_MISMATCHES - 1):
        parts.mismatch()
    assert parts.whole == "abcdef0000"
    parts.mismatch()  # the third failed handshake: a new local part
    assert parts.whole == "abcdef0001" and parts.mismatches == 0
    parts.server_part("ghjkmn")  # the server rotated its part: a new local part too
    assert parts.whole == "ghjkmn0002"
