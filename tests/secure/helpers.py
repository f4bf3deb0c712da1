"""Params and an in-memory pump for driving two handshakes against each other."""

from __future__ import annotations

from collections.abc import Callable

from remoteapp.net.session_state import Role
from remoteapp.secure import Handshake, SecureParams

SALT = bytes(range(32))
PSK = bytes(range(100, 132))
PASSWORD = "K7QM-2XPF9"


def params(
    role: Role, *, session: str = "S-1", partner: str = "123456789", **secret: object
) -> SecureParams:
    if not secret:
        secret = {"password": PASSWORD}
    secret.setdefault("salt", SALT)
    return SecureParams(session, role, partner, **secret)  # type: ignore[arg-type]


def pump(
    agent: Handshake,
    customer: Handshake,
    *,
    split: Callable[[bytes], list[bytes]] = lambda data: [data],
    rounds: int = 10,
) -> None:
    """Carry each side's output to the other until both are done (or one raises)."""
    for _ in range(rounds):
        if agent.done and customer.done:
            return
        for src, dst in ((agent, customer), (customer, agent)):
            data = src.data_to_send()
            for piece in split(data) if data else []:
                if not dst.done:
                    dst.receive_data(piece)


def bytewise(data: bytes) -> list[bytes]:
    return [data[i : i + 1] for i in range(len(data))]
