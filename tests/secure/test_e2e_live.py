"""End-to-end encryption live: the real server, the real relay, the customer's presence
loop serving a real X display, the agent's session; and a server that lies.

What the server hands out (salt, psk) is tested in tests/helpdesk/test_sessions.py; the
windows showing the code in tests/ui/test_verification_code.py.
"""

from __future__ import annotations

import contextlib
import secrets
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from remoteapp.net.helpdesk import HelpdeskClient, Registration, SessionGrant, UnsafeSessionAnswer
from remoteapp.secure import HandshakeFailed, PasswordMismatch, SecureError, SecureParams
from remoteapp.session import AgentSession, relay_link
from remoteapp.session.presence import CustomerPresence, PresenceCallbacks
from remotewire.passwords import ALPHABET, LOCAL_PART, split_password
from tests.helpdesk.server_process import Server, start_server
from tests.secure.lying_proxy import LyingProxy, Rewrite

WAIT_S = 20.0
ENV = {
    "REMOTEAPP_RELAY_SECRET": secrets.token_hex(32),
    "REMOTEAPP_POLL_WAIT_S": "1",  # a rotated password reaches the customer within ~1 s
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_server(tmp_path_factory.mktemp("e2e"), ENV)
    yield server
    assert server.process.stop() == 0, "".join(server.process.log[-30:])


@dataclass
class Seen:
    """What one side's callbacks reported, from any thread; waits are bounded."""

    events: list[tuple[str, Any]] = field(default_factory=list)
    _cond: threading.Condition = field(default_factory=threading.Condition)

    def add(self, kind: str, value: Any = None) -> None:
        with self._cond:
            self.events.append((kind, value))
            self._cond.notify_all()

    def on(self, kind: str) -> Callable[..., None]:
        return lambda *args: self.add(kind, args[0] if args else None)

    def wait(
        self, kind: str, after: int = 0, check: Callable[[Any], bool] = lambda value: True
    ) -> Any:
        """The first ``kind`` event at index ``after`` or later whose value passes."""
        with self._cond:
            found: list[Any] = []

            def seen() -> bool:
                found[:] = [v for k, v in self.events[after:] if k == kind and check(v)]
                return bool(found)

            assert self._cond.wait_for(seen, WAIT_S), f"no {kind} in {self.events[after:]}"
            return found[0]

    def count(self) -> int:
        with self._cond:
            return len(self.events)

    def kinds(self, after: int = 0) -> list[str]:
        with self._cond:
            return [k for k, _ in self.events[after:]]


@dataclass
class Customer:
    presence: CustomerPresence
    seen: Seen
    partner_id: str
    name: str


def current_password(seen: Seen) -> str:
    """The whole password the customer's window shows now."""
    with seen._cond:
        value = [v for k, v in seen.events if k in ("registered", "password")][-1]
    return value.password if isinstance(value, Registration) else str(value)


@pytest.fixture
def customer(
    server: Server, xvfb_display: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Customer]:
    """A customer app's presence loop, registered and polling (the real server)."""
    with customer_app(server.http_url, xvfb_display, monkeypatch) as customer:
        yield customer


@contextlib.contextmanager
def customer_app(url: str, display: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Customer]:
    """The customer app's presence loop against ``url``, serving ``display``."""
    monkeypatch.setenv("DISPLAY", display)  # input injection opens the default display
    seen = Seen()
    client = HelpdeskClient(url)
    name = f"Cifra Cecília {secrets.token_hex(3)}"  # agents find it in the queue by name
    presence = CustomerPresence(
        client,
        "demo",
        "dev-" + secrets.token_hex(8),
        {"name": name, "email": "cecilia@example.com"},
        PresenceCallbacks(
            registered=seen.on("registered"),
            password=seen.on("password"),
            agent_joined=seen.on("agent"),
            secured=seen.on("secured"),
            session_ended=seen.on("ended"),
            wrong_password=seen.on("wrong-password"),
            rejected=seen.on("rejected"),
            unreachable=seen.on("unreachable"),
        ),
        display=display,
    )
    presence.start()
    try:
        reg = seen.wait("registered")
        seen.wait("password")  # polling: offers reach it now
        yield Customer(presence, seen, reg.partner_id, name)
    finally:
        presence.stop()
        presence._thread.join(WAIT_S)
        client.close()


def agent_client(server: Server, url: str | None = None) -> HelpdeskClient:
    client = HelpdeskClient(url or server.http_url)
    creds = server.credentials["agent"]
    client.login(creds["email"], creds["password"])
    return client


def agent_session(grant: SessionGrant, password: str | None, seen: Seen) -> AgentSession:
    """Join the relay and start the agent's end, as the agent window does."""
    sock, initial = relay_link.join(grant.relay, grant.token)
    session = AgentSession(
        sock,
        "Agente Teste",
        secure=SecureParams.for_agent(grant, password),
        on_secured=seen.on("secured"),
        on_frame=lambda fb, update: seen.add("frame"),
        on_customer=seen.on("customer"),
        on_end=seen.on("ended"),
    )
    session.start(initial)
    return session


def other_local(local: str) -> str:
    """A local part that is surely wrong: every character shifted in the alphabet."""
    return "".join(ALPHABET[(ALPHABET.index(ch) + 1) % len(ALPHABET)] for ch in local)


def test_a_password_connect_works_end_to_end_with_the_same_code_on_both_sides(
    server: Server, customer: Customer
) -> None:
    whole = current_password(customer.seen)
    server_part, _local = split_password(whole)
    agent = agent_client(server)
    try:
        grant = agent.connect(customer.partner_id, server_part)  # never the local part
        assert grant.via == "password" and grant.psk is None
        seen = Seen()
        session = agent_session(grant, whole, seen)
        code = seen.wait("secured")
        assert len(code) == 6 and code.isdigit()
        assert customer.seen.wait("secured") == code
        assert session.verification_code == code
        assert seen.wait("customer") == customer.name  # the Hello, through the channel
        seen.wait("frame")  # the customer's screen, decrypted and decoded
        customer.seen.wait("agent")
        after = customer.seen.count()
        session.end("agent ended the session")
        seen.wait("ended")
        customer.seen.wait("ended", after)
        assert session.failure is None
        assert "wrong-password" not in customer.seen.kinds()
    finally:
        agent.close()


def test_a_wrong_local_part_fails_clearly_on_both_sides_and_rotates_it(
    server: Server, customer: Customer
) -> None:
    agent = agent_client(server)
    try:
        for _attempt in range(3):
            whole = current_password(customer.seen)
            server_part, local = split_password(whole)
            mark = customer.seen.count()
            grant = agent.connect(customer.partner_id, server_part)  # the server part is right
            seen = Seen()
            session = agent_session(grant, server_part + other_local(local), seen)
            reason = seen.wait("ended")
            assert isinstance(session.failure, PasswordMismatch), reason
            assert "password" in reason.lower()
            assert "secured" not in seen.kinds() and "frame" not in seen.kinds()
            customer.seen.wait("wrong-password", mark)
            assert "secured" not in customer.seen.kinds(mark)
            assert "agent" not in customer.seen.kinds(mark)
            # the next password differs, its local part too (never sent to the server)
            new = customer.seen.wait("password", mark, lambda p, old=whole: p != old)
            assert split_password(new)[1] != local
            assert len(split_password(new)[1]) == LOCAL_PART
    finally:
        agent.close()


@pytest.fixture
def lying(server: Server) -> Iterator[Callable[[Rewrite], str]]:
    """Start a lying proxy in front of the server: its URL."""
    proxies: list[LyingProxy] = []

    def start(rewrite: Rewrite) -> str:
        proxies.append(LyingProxy(server.http_url, rewrite))
        return proxies[-1].url

    yield start
    for proxy in proxies:
        proxy.close()


def test_a_server_that_hands_out_a_different_salt_cannot_complete_a_password_connect(
    server: Server, customer: Customer, lying: Callable[..., str]
) -> None:
    """The server (here: whoever sits between it and the agent) knows the server part and
    makes the salt; without the local part, a salt of its choosing gets it nowhere."""

    def other_salt(grant: dict[str, Any]) -> dict[str, Any]:
        return {**grant, "salt": secrets.token_bytes(32).hex()}

    agent = agent_client(server, lying(other_salt))
    try:
        whole = current_password(customer.seen)
        server_part, _local = split_password(whole)
        mark = customer.seen.count()
        grant = agent.connect(customer.partner_id, server_part)
        seen = Seen()
        session = agent_session(grant, whole, seen)  # the right password, a lied salt
        reason = seen.wait("ended")
        assert isinstance(session.failure, SecureError), reason
        assert "secured" not in seen.kinds() and "frame" not in seen.kinds()
        assert session.verification_code is None
        customer.seen.wait("ended", mark)
        assert "secured" not in customer.seen.kinds(mark)
        assert "agent" not in customer.seen.kinds(mark)
    finally:
        agent.close()


def test_a_grant_without_its_secrets_starts_no_session(
    server: Server, lying: Callable[..., str]
) -> None:
    """Missing or garbled secrets: refused before the relay is even joined, never a
    plaintext session (a customer that registered and does not poll: offers wait)."""
    customer = HelpdeskClient(server.http_url)
    reg = customer.register(
        "demo", "dev-" + secrets.token_hex(8), {"name": "Sem Sal", "email": "sal@example.com"}
    )
    granted: list[str] = []

    def lie(change: Callable[[dict[str, Any]], dict[str, Any]]) -> Callable[..., Any]:
        def rewrite(grant: dict[str, Any]) -> dict[str, Any]:
            granted.append(grant["session_id"])
            return change(grant)

        return rewrite

    try:
        for change in (
            lambda g: {k: v for k, v in g.items() if k != "salt"},
            lambda g: {**g, "salt": g["salt"][:-2]},
            lambda g: {**g, "salt": g["salt"].upper()},
            lambda g: {**g, "salt": None},
            lambda g: {**g, "via": "plaintext"},
            lambda g: {**g, "via": "queue"},  # a queue session needs a psk
            lambda g: {**g, "psk": secrets.token_bytes(32).hex()},  # none on a password one
        ):
            password = customer.poll(reg.partner_id, reg.presence_key, wait_s=0).password
            agent = agent_client(server, lying(lie(change)))
            try:
                with pytest.raises(UnsafeSessionAnswer, match="unusable"):
                    agent.connect(reg.partner_id, password)  # ending rotates it
            finally:
                agent.close()
            customer.end_session(granted[-1], presence_key=reg.presence_key)
    finally:
        customer.close()


def test_a_queue_connect_is_vouched_by_the_server_and_shows_the_same_code(
    server: Server, customer: Customer
) -> None:
    agent = agent_client(server)
    try:
        entry = next(w for w in agent.queue("demo") if w.name == customer.name)
        grant = agent.connect_from_queue(entry.queue_ref)
        assert grant.via == "queue" and grant.psk is not None
        seen = Seen()
        session = agent_session(grant, None, seen)
        code = seen.wait("secured")
        assert customer.seen.wait("secured") == code
        seen.wait("frame")
        session.end("agent ended the session")
        seen.wait("ended")
        assert session.failure is None
    finally:
        agent.close()


def test_a_server_that_turns_a_password_connect_into_a_vouched_one_gets_nowhere(
    server: Server, xvfb_display: str, monkeypatch: pytest.MonkeyPatch, lying: Callable[..., str]
) -> None:
    """No downgrade: the customer is told "queue" and given a server key for a session
    the agent secures with the password; the two sides cannot finish the handshake."""

    def vouched(offer: dict[str, Any]) -> dict[str, Any]:
        return {**offer, "via": "queue", "psk": secrets.token_bytes(32).hex()}

    with customer_app(lying(vouched), xvfb_display, monkeypatch) as customer:
        whole = current_password(customer.seen)
        server_part, _local = split_password(whole)
        agent = agent_client(server)
        try:
            mark = customer.seen.count()
            grant = agent.connect(customer.partner_id, server_part)
            seen = Seen()
            session = agent_session(grant, whole, seen)
            reason = seen.wait("ended")
            assert isinstance(session.failure, HandshakeFailed), reason
            assert "disagree" in reason  # said as such, on both sides
            assert "secured" not in seen.kinds() and "frame" not in seen.kinds()
            assert "disagree" in customer.seen.wait("ended", mark)
            assert "secured" not in customer.seen.kinds(mark)
            assert "agent" not in customer.seen.kinds(mark)
        finally:
            agent.close()
