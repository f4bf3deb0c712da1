"""The JSON messages' bounds (HELLO, SCREEN_INFO): JSON holds "\\ud800" (no character)
and integers of any length, and a peer's must not reach the GUI (QComboBox.addItem with a
monitor index >= 2**63 raised OverflowError; an index over 255 made the agent's own
SelectMonitor unsendable) or the helpdesk (a name it refuses kept a ticket record unsent
for good).  Each out-of-range value is a RemoteProtocolError when received and a
LocalProtocolError when sent; every value in range makes the round trip."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from remoteapp.errors import LocalProtocolError, RemoteProtocolError
from remoteapp.net.message_codec import decode, encode
from remoteapp.net.messages import (
    EVENT_NAME,
    MAX_CAPABILITIES,
    MAX_CAPABILITY_LENGTH,
    MAX_COORDINATE,
    MAX_MONITOR_SIDE,
    MAX_MONITORS,
    MAX_NAME,
    MAX_PAYLOAD,
    MAX_VERSION,
    MIN_COORDINATE,
    fit_name,
    fit_side,
)
from remoteapp.net.session import (
    Bye,
    Clipboard,
    ConnectionClosed,
    Event,
    Hello,
    Key,
    KeyFrameRequest,
    MonitorInfo,
    Msg,
    Ping,
    PointerButton,
    PointerMove,
    Pong,
    ScreenInfo,
    ScreenUpdate,
    SelectMonitor,
    SessionConnection,
    SetQuality,
    Text,
    UpdateAck,
    Wheel,
)
from remoteapp.net.session_state import Role
from tests.net.session_peers import drain

BIG = int("1" + "0" * 300)  # JSON takes it; no field of ours may


def hello_json(**fields: Any) -> bytes:
    body = {"version": 1, "role": "customer", "name": "Maria", "update_format": 2, **fields}
    return json.dumps(body).encode()


MONITOR = {"index": 1, "left": 0, "top": 0, "width": 1920, "height": 1080, "name": "HDMI-1"}


def screen_json(active: Any = 0, **fields: Any) -> bytes:
    return json.dumps({"monitors": [{**MONITOR, **fields}], "active": active}).encode()


# -- the repros of the review, byte for byte


def test_a_lone_surrogate_name_is_refused() -> None:
    payload = b'{"role":"customer","name":"\\ud800","version":1,"update_format":2}'
    with pytest.raises(RemoteProtocolError, match="malformed HELLO: name"):
        decode(Msg.HELLO, payload)


def test_a_300_digit_width_and_a_surrogate_monitor_name_are_refused() -> None:
    payload = (
        b'{"monitors":[{"index":1,"left":0,"top":0,"width":1'
        + b"0" * 300
        + b',"height":10,"name":"\\ud800"}],"active":0}'
    )
    with pytest.raises(RemoteProtocolError, match="malformed SCREEN_INFO: monitor width"):
        decode(Msg.SCREEN_INFO, payload)


# -- every field out of its range, received


@pytest.mark.parametrize(
    "payload",
    [
        hello_json(name="\ud800"),
        hello_json(name="Ma\udfffria"),
        hello_json(name="Maria\x00"),
        hello_json(name="x" * (MAX_NAME + 1)),
        hello_json(name=1),
        hello_json(name=None),
        hello_json(capabilities=["\ud800"]),
        hello_json(capabilities=["clip board"]),
        hello_json(capabilities=["olá"]),
        hello_json(capabilities=[""]),
        hello_json(capabilities=["x" * (MAX_CAPABILITY_LENGTH + 1)]),
        hello_json(capabilities=[f"c{i}" for i in range(MAX_CAPABILITIES + 1)]),
        hello_json(capabilities="clipboard"),
        hello_json(capabilities=[1]),
        hello_json(version=True),
        hello_json(version=0),
        hello_json(version=-1),
        hello_json(version=MAX_VERSION + 1),
        hello_json(version=BIG),
        hello_json(version=1.0),
        hello_json(update_format=BIG),
        hello_json(update_format=2**70),
        hello_json(update_format=False),
        hello_json(update_format=0),
        hello_json(update_format="2"),
        hello_json(role=BIG),
        json.dumps({"role": "customer", "name": "Maria", "version": 1}).encode("utf-16"),
    ],
)
def test_hello_out_of_bounds_is_a_remote_protocol_error(payload: bytes) -> None:
    with pytest.raises(RemoteProtocolError, match="malformed HELLO"):
        decode(Msg.HELLO, payload)


@pytest.mark.parametrize(
    "payload",
    [
        screen_json(index=MAX_MONITORS),
        screen_json(index=2**63),
        screen_json(index=BIG),
        screen_json(index=-1),
        screen_json(index=True),
        screen_json(index=1.5),
        screen_json(left=MAX_COORDINATE + 1),
        screen_json(left=MIN_COORDINATE - 1),
        screen_json(top=BIG),
        screen_json(top=-BIG),
        screen_json(width=0),
        screen_json(width=MAX_MONITOR_SIDE + 1),
        screen_json(width=BIG),
        screen_json(height=0),
        screen_json(height=-1080),
        screen_json(height=BIG),
        screen_json(name="\ud800"),
        screen_json(name="HDMI\x00"),
        screen_json(name="x" * (MAX_NAME + 1)),
        screen_json(name=7),
        screen_json(primary=1),
        screen_json(primary="yes"),
        screen_json(active=1),
        screen_json(active=-1),
        screen_json(active=True),
        screen_json(active=BIG),
        json.dumps({"monitors": [], "active": 0}).encode(),
        json.dumps({"monitors": "abc", "active": 0}).encode(),
        json.dumps({"monitors": {"index": 1}, "active": 0}).encode(),
        json.dumps({"monitors": [1], "active": 0}).encode(),
        json.dumps({"monitors": [[1, 2]], "active": 0}).encode(),
        json.dumps(
            {
                "monitors": [{"index": 0, "left": 0, "top": 0, "width": 1, "height": 1}]
                * (MAX_MONITORS + 1)
            },
            separators=(",", ":"),
        ).encode()[:-1]
        + b',"active":0}',
    ],
)
def test_screen_info_out_of_bounds_is_a_remote_protocol_error(payload: bytes) -> None:
    assert len(payload) <= MAX_PAYLOAD[Msg.SCREEN_INFO]  # (refused for its content)
    with pytest.raises(RemoteProtocolError, match="malformed SCREEN_INFO"):
        decode(Msg.SCREEN_INFO, payload)


def test_a_bad_screen_info_ends_the_session_as_a_protocol_error() -> None:
    """Through the session too: the agent gets the error, never the ScreenInfo."""
    agent = SessionConnection(Role.AGENT)
    agent.send(Hello(Role.AGENT, "Ana"))
    customer = SessionConnection(Role.CUSTOMER)
    agent.receive_data(customer.send(Hello(Role.CUSTOMER, "Maria")))
    assert drain(agent) == [Hello(Role.CUSTOMER, "Maria")]
    header = len(screen_json(index=2**63)).to_bytes(4, "big") + bytes([Msg.SCREEN_INFO])
    agent.receive_data(header + screen_json(index=2**63))
    with pytest.raises(RemoteProtocolError, match="monitor index"):
        drain(agent)


# -- the same values, sent


@pytest.mark.parametrize(
    "event",
    [
        Hello(Role.CUSTOMER, "\ud800"),
        Hello(Role.CUSTOMER, "Maria\x00"),
        Hello(Role.CUSTOMER, "x" * (MAX_NAME + 1)),
        Hello(Role.CUSTOMER, "Maria", capabilities=("\udcff",)),
        Hello(Role.CUSTOMER, "Maria", capabilities=("",)),
        Hello(Role.CUSTOMER, "Maria", capabilities=("a b",)),
        Hello(Role.CUSTOMER, "Maria", capabilities=("c",) * (MAX_CAPABILITIES + 1)),
        Hello(Role.CUSTOMER, "Maria", version=MAX_VERSION + 1),
        Hello(Role.CUSTOMER, "Maria", version=True),
        Hello(Role.CUSTOMER, "Maria", update_format=0),
        ScreenInfo((MonitorInfo(MAX_MONITORS, 0, 0, 10, 10),), 0),
        ScreenInfo((MonitorInfo(-1, 0, 0, 10, 10),), 0),
        ScreenInfo((MonitorInfo(1, MAX_COORDINATE + 1, 0, 10, 10),), 0),
        ScreenInfo((MonitorInfo(1, 0, MIN_COORDINATE - 1, 10, 10),), 0),
        ScreenInfo((MonitorInfo(1, 0, 0, 0, 10),), 0),
        ScreenInfo((MonitorInfo(1, 0, 0, 10, MAX_MONITOR_SIDE + 1),), 0),
        ScreenInfo((MonitorInfo(1, 0, 0, 10, 10, name="\ud800"),), 0),
        ScreenInfo((MonitorInfo(1, 0, 0, 10, 10),), 1),
        ScreenInfo((), 0),
        ScreenInfo((MonitorInfo(0, 0, 0, 10, 10),) * (MAX_MONITORS + 1), 0),
        Key("\ud800", True),
    ],
)
def test_what_a_peer_would_refuse_is_not_sent(event: Event) -> None:
    with pytest.raises(LocalProtocolError):
        encode(event)


# -- every value in range makes the round trip

NAMES = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=MAX_NAME)
CAPABILITY = st.text(
    st.characters(min_codepoint=0x21, max_codepoint=0x7E),
    min_size=1,
    max_size=MAX_CAPABILITY_LENGTH,
)
HELLOS = st.builds(
    Hello,
    st.sampled_from(Role),
    NAMES,
    st.integers(1, MAX_VERSION),
    st.lists(CAPABILITY, max_size=MAX_CAPABILITIES).map(tuple),
    st.integers(1, MAX_VERSION),
)
COORDINATE = st.integers(MIN_COORDINATE, MAX_COORDINATE)
SIDE = st.integers(1, MAX_MONITOR_SIDE)
MONITORS = st.builds(
    MonitorInfo,
    st.integers(0, MAX_MONITORS - 1),
    COORDINATE,
    COORDINATE,
    SIDE,
    SIDE,
    st.booleans(),
    st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=16),
)


@st.composite
def screen_infos(draw: st.DrawFn, max_monitors: int = 8) -> ScreenInfo:
    monitors = draw(st.lists(MONITORS, min_size=1, max_size=max_monitors))
    return ScreenInfo(tuple(monitors), draw(st.integers(0, len(monitors) - 1)))


@given(HELLOS)
@settings(max_examples=300, deadline=None)
def test_every_hello_in_bounds_round_trips(hello: Hello) -> None:
    msg, payload = encode(hello)
    assert len(payload) <= MAX_PAYLOAD[msg]  # (even the worst: 200 astral characters)
    assert decode(msg, payload) == hello


@given(screen_infos())
@settings(max_examples=300, deadline=None)
def test_every_screen_info_in_bounds_round_trips(info: ScreenInfo) -> None:
    msg, payload = encode(info)
    got = decode(msg, payload)
    assert got == info
    for monitor in got.monitors:  # what the agent's viewer sends back for it
        assert encode(SelectMonitor(monitor.index)) == (Msg.SELECT_MONITOR, bytes([monitor.index]))


def test_the_largest_hello_fits_its_payload() -> None:
    """200 astral characters (12 bytes each as JSON escapes) and 16 capabilities of 32
    quotes (2 bytes each): a Hello within its bounds always fits its 4 KiB."""
    hello = Hello(
        Role.CUSTOMER,
        "\U0001f600" * MAX_NAME,
        MAX_VERSION,
        ('"' * MAX_CAPABILITY_LENGTH,) * MAX_CAPABILITIES,
        MAX_VERSION,
    )
    msg, payload = encode(hello)
    assert len(payload) <= MAX_PAYLOAD[msg]
    assert decode(msg, payload) == hello


def test_the_bounds_themselves_round_trip() -> None:
    edges = (
        MonitorInfo(0, MIN_COORDINATE, MIN_COORDINATE, 1, 1, True, ""),
        MonitorInfo(MAX_MONITORS - 1, MAX_COORDINATE, MAX_COORDINATE, *(MAX_MONITOR_SIDE,) * 2),
        MonitorInfo(2, 0, 0, 10, 10, False, "\U0001f600" * MAX_NAME),
    )
    info = ScreenInfo(edges, 2)
    assert decode(*encode(info)) == info
    many = ScreenInfo(tuple(MonitorInfo(i, 0, 0, 1, 1) for i in range(MAX_MONITORS)), 255)
    assert decode(*encode(many)) == many


@given(st.lists(st.one_of(screen_infos(max_monitors=3), st.builds(Clipboard, NAMES))))
@settings(max_examples=100, deadline=None)
def test_a_customer_stream_decodes_whole_byte_by_byte_and_with_trailing_data(
    events: list[Event],
) -> None:
    customer = SessionConnection(Role.CUSTOMER)
    hello = Hello(Role.CUSTOMER, "Mária \U0001f600", capabilities=("clipboard", "held-acks"))
    data = customer.send(hello) + b"".join(customer.send(e) for e in events)
    expected: list[Event | ConnectionClosed] = [hello, *events]

    def agent() -> SessionConnection:
        conn = SessionConnection(Role.AGENT)
        conn.send(Hello(Role.AGENT, "Ana"))
        return conn

    whole = agent()
    whole.receive_data(data)
    assert drain(whole) == expected
    bytewise, got = agent(), list[Event | ConnectionClosed]()
    for i in range(len(data)):
        bytewise.receive_data(data[i : i + 1])
        got += drain(bytewise)
    assert got == expected
    trailing, ping = agent(), customer.send(Ping(5))
    trailing.receive_data(data + ping[:-1])
    assert drain(trailing) == expected
    trailing.receive_data(ping[-1:])
    assert drain(trailing) == [Ping(5)]


# -- each message's event name (the session judges a header by it) is its event's


@pytest.mark.parametrize(
    "event",
    [
        Hello(Role.AGENT, "Ana"),
        ScreenInfo((MonitorInfo(1, 0, 0, 10, 10),), 0),
        UpdateAck(3),
        KeyFrameRequest(),
        SelectMonitor(1),
        PointerMove(1, 2),
        PointerButton(1, 2, "left", True),
        Wheel(1, 2, 0, 1),
        Key("a", True),
        Text("a"),
        Clipboard("a"),
        SetQuality("auto"),
        Ping(1),
        Pong(1),
        Bye("done"),
    ],
)
def test_each_messages_event_name_is_its_events(event: Event) -> None:
    msg, payload = encode(event)
    assert EVENT_NAME[msg] == type(event).__name__ == type(decode(msg, payload)).__name__


def test_update_chunks_are_screen_updates() -> None:
    assert EVENT_NAME[Msg.UPDATE_CHUNK] == ScreenUpdate.__name__
    assert set(EVENT_NAME) == set(Msg)


@given(st.text(max_size=MAX_NAME * 2) | st.just("\udcff" * 300) | st.just("a\x00b"))
@settings(max_examples=200, deadline=None)
def test_any_name_fits_a_hello_and_a_monitor(name: str) -> None:
    """A name from a command line (a lone surrogate stands for an undecodable byte) or
    from the OS is made to fit where the apps send it: the session must not fail on it."""
    fitted = fit_name(name)
    hello = Hello(Role.CUSTOMER, fitted, capabilities=("clipboard",))
    assert decode(*encode(hello)) == hello
    assert len(fitted) <= MAX_NAME and "\x00" not in fitted
    carried = name.encode("utf-8", "replace").decode() == name
    if len(name) <= MAX_NAME and "\x00" not in name and carried:
        assert fitted == name  # a name that fits is kept as it is


@pytest.mark.parametrize(("side", "fitted"), [(0, 1), (-5, 1), (1920, 1920), (70_000, 65_535)])
def test_a_monitor_the_os_lists_oddly_still_fits_a_screen_info(side: int, fitted: int) -> None:
    """A screen listed with no area (being unplugged) made the customer's ScreenInfo one
    the encoder refuses, ending the session (helper-80's review)."""
    assert fit_side(side) == fitted
    info = ScreenInfo((MonitorInfo(0, 0, 0, fit_side(side), fit_side(side), True, "m"),), 0)
    assert decode(*encode(info)) == info
