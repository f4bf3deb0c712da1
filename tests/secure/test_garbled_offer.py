"""A garbled session offer costs the customer that offer only: through a proxy in front of
the real server that breaks one offer's secrets, the customer's presence loop skips it,
ends it at the server as its party with a clear reason, keeps polling, and the agent's
next connect is secured end to end at once (not after the offer's 120 s expiry)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from remoteapp.net.helpdesk import HelpdeskClient, SessionGrant
from remoteapp.session.presence import UNUSABLE_OFFER_REASON
from tests.helpdesk.server_process import Server, start_server
from tests.secure.test_e2e_live import (
    ENV,
    Customer,
    LyingProxy,
    Seen,
    agent_client,
    agent_session,
    customer_app,
)

Garble = Callable[[dict[str, Any]], dict[str, Any]]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_server(tmp_path_factory.mktemp("garbled-offer"), ENV)
    yield server
    assert server.process.stop() == 0, "".join(server.process.log[-30:])


class OnceGarbled:
    """Garbles the first session offer the customer is sent; the rest pass untouched."""

    def __init__(self, garble: Garble) -> None:
        self.garble = garble
        self.garbled: list[str] = []  #: the session ids of the offers it broke
        self._lock = threading.Lock()

    def __call__(self, offer: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            if offer.get("type") != "session-offer" or self.garbled:
                return offer
            self.garbled.append(offer["session_id"])
        return self.garble(offer)


def ended(agent: HelpdeskClient, session_id: str) -> bool:
    return agent.session_state(session_id).state == "ended"


@pytest.mark.display
@pytest.mark.parametrize(
    "garble",
    [
        lambda o: {k: v for k, v in o.items() if k != "salt"},
        lambda o: {**o, "psk": o["psk"][:-2]},
        lambda o: {**o, "psk": None},
        lambda o: {**o, "salt": "zz" * 32},
        # a token or relay the dialer cannot use escaped it as a foreign error and
        # stopped the presence thread for good (helper-76's fuzz find)
        lambda o: {**o, "token": "v1.\ud800." + o["token"]},
        lambda o: {**o, "token": 12},
        lambda o: {**o, "relay": "no-port-here"},
    ],
    ids=[
        "no-salt",
        "short-psk",
        "no-psk",
        "bad-salt",
        "surrogate-token",
        "number-token",
        "bad-relay",
    ],
)
def test_a_garbled_offer_is_ended_and_the_next_connect_works(
    server: Server,
    xvfb_display: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    garble: Garble,
) -> None:
    lie = OnceGarbled(garble)
    proxy = LyingProxy(server.http_url, lie)
    agent = agent_client(server)
    caplog.set_level(logging.WARNING, logger="remoteapp.presence")
    try:
        with customer_app(proxy.url, xvfb_display, monkeypatch) as customer:
            first = queue_connect(agent, customer).session_id
            mark = customer.seen.count()
            # each poll (every ~1 s here) reports the password: by then the refusal is done
            customer.seen.wait("password", mark, lambda _: ended(agent, first))
            assert lie.garbled == [first]
            state = agent.session_state(first)
            assert state.end_reason == UNUSABLE_OFFER_REASON and state.connected_at is None
            assert not {"agent", "secured", "unreachable"} & set(customer.seen.kinds())
            assert any(
                "event=offer-unusable" in r.getMessage() and first in r.getMessage()
                for r in caplog.records
            ), caplog.text
            # still polling and reachable: the next connect is served, secured end to end
            next_connect_is_secured(agent, customer, mark)
    finally:
        agent.close()
        proxy.close()


def next_connect_is_secured(agent: HelpdeskClient, customer: Customer, mark: int) -> None:
    """A queue connect is served now, secured end to end, and shows a frame."""
    grant_seen = Seen()
    session = agent_session(queue_connect(agent, customer), None, grant_seen)
    code = grant_seen.wait("secured")
    assert customer.seen.wait("secured", mark) == code
    grant_seen.wait("frame")
    session.end("agent ended the session")
    grant_seen.wait("ended")
    assert session.failure is None


def queue_connect(agent: HelpdeskClient, customer: Customer) -> SessionGrant:
    """A queue connect to ``customer`` (its offer goes through the proxy)."""
    entry = next(w for w in agent.queue("demo") if w.name == customer.name)
    return agent.connect_from_queue(entry.queue_ref)


@pytest.mark.display
def test_a_fault_in_a_poll_is_logged_and_the_customer_keeps_polling(
    server: Server,
    xvfb_display: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An offer the client cannot even name (no session id: a KeyError in its parse, no
    error of ours) once stopped the presence thread for good, silently: the customer
    was never polled for again until the app restarted. The thread's boundary logs the
    fault and polls on."""
    lie = OnceGarbled(lambda o: {k: v for k, v in o.items() if k != "session_id"})
    proxy = LyingProxy(server.http_url, lie)
    agent = agent_client(server)
    caplog.set_level(logging.WARNING, logger="remoteapp.presence")
    try:
        with customer_app(proxy.url, xvfb_display, monkeypatch) as customer:
            first = queue_connect(agent, customer).session_id
            mark = customer.seen.count()

            def faulted(_: object) -> bool:
                return any("event=fault" in r.getMessage() for r in caplog.records)

            customer.seen.wait("password", mark, faulted)  # the fault is in: then a poll
            customer.seen.wait("password", customer.seen.count())
            assert lie.garbled == [first]
            agent.end_session(first)  # (delivered, so never offered again: the agent ends it)
            next_connect_is_secured(agent, customer, mark)
    finally:
        agent.close()
        proxy.close()
