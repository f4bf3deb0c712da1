"""The key exchange, sans-IO: both modes agree (whole, byte by byte, with records right
behind), and every way it can go wrong ends with the right error on each side."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from remoteapp.net.session_state import Role
from remoteapp.secure import (
    Handshake,
    HandshakeFailed,
    InvalidSecureParams,
    PasswordMismatch,
    SecureError,
    SecureParams,
)
from remoteapp.secure.handshake import (
    AGENT_MISMATCH,
    CUSTOMER_MISMATCH,
    HEAD,
    Kind,
)
from tests.secure.helpers import PASSWORD, PSK, SALT, bytewise, params, pump

MODES = {"password": {"password": PASSWORD}, "vouched": {"psk": PSK}}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("delivery", ["whole", "byte by byte"])
def test_both_sides_agree_on_keys_and_code(mode: str, delivery: str) -> None:
    agent = Handshake(params(Role.AGENT, **MODES[mode]))
    customer = Handshake(params(Role.CUSTOMER, **MODES[mode]))
    pump(agent, customer, split=bytewise if delivery == "byte by byte" else lambda d: [d])
    a, c = agent.result, customer.result
    assert a is not None and c is not None
    assert a.send_key == c.receive_key and a.receive_key == c.send_key
    assert a.send_key != a.receive_key  # one key per direction
    assert a.verification_code == c.verification_code
    assert len(a.verification_code) == 6 and a.verification_code.isdigit()
    assert a.trailing == c.trailing == b""


def test_every_session_gets_fresh_keys_and_codes() -> None:
    codes, keys = set(), set()
    for _ in range(5):
        agent, customer = Handshake(params(Role.AGENT)), Handshake(params(Role.CUSTOMER))
        pump(agent, customer)
        assert agent.result is not None
        codes.add(agent.result.verification_code)
        keys.add(agent.result.send_key)
    assert len(keys) == 5 and len(codes) >= 4  # ephemeral keys: 6 digits may collide, rarely


@pytest.mark.parametrize("mode", MODES)
def test_records_right_behind_the_last_message_are_handed_over(mode: str) -> None:
    agent = Handshake(params(Role.AGENT, **MODES[mode]))
    customer = Handshake(params(Role.CUSTOMER, **MODES[mode]))
    customer.receive_data(agent.data_to_send())
    if mode == "password":  # SPAKE2 both ways first
        agent.receive_data(customer.data_to_send())
        customer.receive_data(agent.data_to_send())
    assert customer.done
    agent.receive_data(customer.data_to_send() + b"first record bytes")
    assert agent.result is not None and agent.result.trailing == b"first record bytes"


def test_a_wrong_password_fails_on_both_sides_with_a_clear_message() -> None:
    agent = Handshake(params(Role.AGENT, password=PASSWORD))
    customer = Handshake(params(Role.CUSTOMER, password=PASSWORD[:-1] + "X"))
    with pytest.raises(PasswordMismatch) as customer_error:
        pump(agent, customer)
    assert str(customer_error.value) == CUSTOMER_MISMATCH
    with pytest.raises(PasswordMismatch) as agent_error:  # the customer's ABORT reaches us
        agent.receive_data(customer.data_to_send())
    assert str(agent_error.value) == AGENT_MISMATCH
    assert "check the last characters with the customer" in AGENT_MISMATCH
    assert agent.result is None and customer.result is None


def test_server_keys_that_differ_fail_without_blaming_a_password() -> None:
    agent = Handshake(params(Role.AGENT, psk=PSK))
    customer = Handshake(params(Role.CUSTOMER, psk=PSK[::-1]))
    with pytest.raises(HandshakeFailed, match="different session keys"):
        pump(agent, customer)
    with pytest.raises(HandshakeFailed, match="different session keys"):
        agent.receive_data(customer.data_to_send())


def test_a_server_that_hands_out_another_salt_cannot_complete_a_password_connect() -> None:
    agent = Handshake(params(Role.AGENT))
    customer = Handshake(params(Role.CUSTOMER, password=PASSWORD, salt=b"\xee" * 32))
    with pytest.raises(PasswordMismatch):
        pump(agent, customer)
    with pytest.raises(PasswordMismatch):
        agent.receive_data(customer.data_to_send())


@pytest.mark.parametrize(
    ("agent_secret", "customer_secret"),
    [({"password": PASSWORD}, {"psk": PSK}), ({"psk": PSK}, {"password": PASSWORD})],
    ids=["agent password, customer server key", "agent server key, customer password"],
)
def test_no_downgrade_two_modes_never_meet(
    agent_secret: dict[str, object], customer_secret: dict[str, object]
) -> None:
    agent = Handshake(params(Role.AGENT, **agent_secret))
    customer = Handshake(params(Role.CUSTOMER, **customer_secret))
    with pytest.raises(HandshakeFailed, match="disagree on how this session is secured"):
        pump(agent, customer)
    assert agent.result is None and customer.result is None


@pytest.mark.parametrize(
    "field", [{"session": "S-2"}, {"partner": "987654321"}], ids=["session", "partner"]
)
@pytest.mark.parametrize("mode", MODES)
def test_the_prologue_binds_session_and_partner(field: dict[str, str], mode: str) -> None:
    agent = Handshake(params(Role.AGENT, **MODES[mode]))
    customer = Handshake(params(Role.CUSTOMER, **field, **MODES[mode]))
    with pytest.raises(PasswordMismatch if mode == "password" else HandshakeFailed):
        pump(agent, customer)


def test_the_customer_s_answer_altered_in_transit_fails_the_agent() -> None:
    agent, customer = Handshake(params(Role.AGENT)), Handshake(params(Role.CUSTOMER))
    customer.receive_data(agent.data_to_send())
    agent.receive_data(customer.data_to_send())
    customer.receive_data(agent.data_to_send())
    answer = bytearray(customer.data_to_send())
    answer[-1] ^= 1
    with pytest.raises(HandshakeFailed, match="altered in transit"):
        agent.receive_data(bytes(answer))
    assert agent.data_to_send()[:1] == bytes([Kind.ABORT])  # the customer hears why


@pytest.mark.parametrize(
    ("junk", "message"),
    [
        (HEAD.pack(9, 0), "unknown handshake message 9"),
        (HEAD.pack(Kind.SPAKE2, 32) + bytes(32), "malformed SPAKE2"),
        (HEAD.pack(Kind.SPAKE2, 60000), "malformed SPAKE2"),
        (HEAD.pack(Kind.SPAKE2, 33) + b"B" + b"\x01" * 32, "bad SPAKE2 message"),
        (HEAD.pack(Kind.ABORT, 5) + b"bored", r"broke off the handshake \(bored\)"),
        (b"GET / HTTP/1.1\r\n", "unknown handshake message"),
    ],
)
def test_malformed_messages_fail_the_handshake(junk: bytes, message: str) -> None:
    agent = Handshake(params(Role.AGENT))
    with pytest.raises(HandshakeFailed, match=message):
        agent.receive_data(junk)
    with pytest.raises(HandshakeFailed, match="already failed"):
        agent.receive_data(b"more")


@pytest.mark.parametrize("mode", MODES)
def test_a_stream_cut_during_the_handshake_fails_it(mode: str) -> None:
    customer = Handshake(params(Role.CUSTOMER, **MODES[mode]))
    agent = Handshake(params(Role.AGENT, **MODES[mode]))
    customer.receive_data(agent.data_to_send()[:10])
    with pytest.raises(HandshakeFailed, match="closed during the handshake"):
        customer.receive_data(b"")


@settings(max_examples=25, deadline=None)
@given(st.text(min_size=1, max_size=40).filter(lambda t: t.strip()))
def test_any_password_text_agrees_with_itself(password: str) -> None:
    agent = Handshake(params(Role.AGENT, password=password))
    customer = Handshake(params(Role.CUSTOMER, password=password))
    pump(agent, customer)
    assert agent.result is not None and customer.result is not None
    assert agent.result.verification_code == customer.result.verification_code


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=200), st.sampled_from([Role.AGENT, Role.CUSTOMER]))
def test_random_bytes_only_ever_raise_secure_errors(junk: bytes, role: Role) -> None:
    handshake = Handshake(params(role))
    try:
        handshake.receive_data(junk)
        handshake.receive_data(b"")
    except SecureError:
        pass
    assert handshake.result is None


def test_params_hold_exactly_one_secret_and_never_show_it() -> None:
    with pytest.raises(InvalidSecureParams):
        SecureParams("S", Role.AGENT, "1", SALT)
    with pytest.raises(InvalidSecureParams):
        SecureParams("S", Role.AGENT, "1", SALT, password=PASSWORD, psk=PSK)
    with pytest.raises(InvalidSecureParams):
        SecureParams("S", Role.AGENT, "1", SALT, psk=b"short")
    with pytest.raises(InvalidSecureParams):
        SecureParams("S", Role.AGENT, "1", b"salt", password=PASSWORD)
    shown = repr(SecureParams("S", Role.AGENT, "1", SALT, password=PASSWORD))
    assert PASSWORD not in shown and "password" in shown
    assert PSK.hex() not in repr(SecureParams("S", Role.AGENT, "1", SALT, psk=PSK))


class Answer:
    """A grant or an offer as the helpdesk client builds them (duck-typed)."""

    def __init__(self, via: str, psk: bytes | None) -> None:
        self.session_id, self.partner_id, self.salt = "S-9", "123456789", SALT
        self.via, self.psk = via, psk


def test_an_agent_that_typed_a_password_never_takes_the_server_s_key() -> None:
    lying = Answer("queue", PSK)  # a server offering its own key on a password connect
    agent = SecureParams.for_agent(lying, PASSWORD)
    assert agent.mode == "password" and agent.psk is None and agent.role is Role.AGENT
    assert SecureParams.for_agent(Answer("code", PSK), None).psk == PSK
    with pytest.raises(InvalidSecureParams):
        SecureParams.for_agent(Answer("password", None), None)
    with pytest.raises(InvalidSecureParams):
        SecureParams.for_agent(Answer("queue", None), None)


def test_the_customer_uses_its_password_on_password_connects_else_the_server_s_key() -> None:
    customer = SecureParams.for_customer(Answer("password", None), PASSWORD)
    assert customer.mode == "password" and customer.role is Role.CUSTOMER
    assert customer.partner_id == "123456789"
    assert SecureParams.for_customer(Answer("queue", PSK), PASSWORD).mode == "vouched"
    with pytest.raises(InvalidSecureParams):
        SecureParams.for_customer(Answer("password", None), None)
    with pytest.raises(InvalidSecureParams):
        SecureParams.for_customer(Answer("queue", None), PASSWORD)
