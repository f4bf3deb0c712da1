"""Contract tests for the sans-IO framing: same expectations over memory and real TCP."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from remoteapp.errors import LocalProtocolError, RemoteProtocolError
from remotewire.framing import (
    HEADER_SIZE,
    NEED_DATA,
    Frame,
    FrameReader,
    FrameType,
    pack_frame,
)

Transport = Callable[[bytes, int], Iterator[bytes]]


def in_memory(data: bytes, step: int) -> Iterator[bytes]:
    for i in range(0, len(data), step):
        yield data[i : i + step]


def over_tcp(data: bytes, step: int) -> Iterator[bytes]:
    """Send through a real loopback TCP connection, reading whatever arrives."""
    server = socket.create_server(("127.0.0.1", 0))
    client = socket.create_connection(server.getsockname(), timeout=5)
    conn, _ = server.accept()
    conn.settimeout(5)
    try:
        for i in range(0, len(data), step):
            client.sendall(data[i : i + step])
        client.shutdown(socket.SHUT_WR)
        while chunk := conn.recv(65536):
            yield chunk
    finally:
        for sock in (client, conn, server):
            sock.close()


TRANSPORTS = [pytest.param(in_memory, id="memory"), pytest.param(over_tcp, id="tcp")]


def drain(reader: FrameReader) -> list[Frame]:
    frames = []
    while (frame := reader.next_frame()) is not NEED_DATA:
        frames.append(frame)
    return frames


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("step", [1, 3, 1_000_000], ids=["byte-by-byte", "odd", "whole"])
def test_frames_survive_any_split(transport: Transport, step: int) -> None:
    sent = [
        Frame(FrameType.TOKEN, b"tok"),
        Frame(FrameType.DATA, b""),
        Frame(FrameType.DATA, bytes(range(256)) * 10),
        Frame(200, b"unknown type"),
    ]
    wire = b"".join(pack_frame(f.type, f.payload) for f in sent)
    reader = FrameReader()
    got: list[Frame] = []
    for chunk in transport(wire, step):
        reader.receive_data(chunk)
        got.extend(drain(reader))
    assert got == sent
    assert reader.buffered == 0


def test_trailing_data_is_kept_for_the_next_layer() -> None:
    reader = FrameReader()
    reader.receive_data(pack_frame(FrameType.TOKEN, b"abc") + b"raw bytes")
    assert reader.next_frame() == Frame(FrameType.TOKEN, b"abc")
    assert reader.trailing_data() == b"raw bytes"
    assert reader.next_frame() is NEED_DATA


def test_partial_header_is_need_data() -> None:
    reader = FrameReader()
    reader.receive_data(pack_frame(FrameType.DATA, b"xy")[: HEADER_SIZE - 1])
    assert reader.next_frame() is NEED_DATA


def test_oversize_is_refused_from_the_header_alone() -> None:
    reader = FrameReader(max_payload=10)
    reader.receive_data((11).to_bytes(4, "big") + bytes([FrameType.DATA]))
    with pytest.raises(RemoteProtocolError):
        reader.next_frame()


def test_packing_oversize_is_our_bug() -> None:
    with pytest.raises(LocalProtocolError):
        pack_frame(FrameType.DATA, b"x" * 11, max_payload=10)
    with pytest.raises(LocalProtocolError):
        pack_frame(256)


def test_frames_are_frozen() -> None:
    frame = Frame(FrameType.DATA, b"x")
    with pytest.raises(AttributeError):
        frame.payload = b"y"  # type: ignore[misc]


@given(
    st.lists(st.tuples(st.integers(0, 255), st.binary(max_size=300)), max_size=8),
    st.integers(1, 50),
)
def test_round_trip(frames: list[tuple[int, bytes]], step: int) -> None:
    wire = b"".join(pack_frame(t, p) for t, p in frames)
    reader = FrameReader(max_payload=300)
    got: list[Frame] = []
    for chunk in in_memory(wire, step):
        reader.receive_data(chunk)
        got.extend(drain(reader))
    assert [(f.type, f.payload) for f in got] == frames


def test_a_header_under_way_counts_as_buffered() -> None:
    """A stream that ends after a frame's header ended inside that frame (the session
    took such an end for a clean close: nothing was counted as buffered)."""
    reader = FrameReader()
    reader.receive_data(pack_frame(FrameType.DATA, b"xyz")[:HEADER_SIZE])
    assert reader.next_frame() is NEED_DATA
    assert reader.buffered == HEADER_SIZE
    reader.receive_data(b"xyz")
    assert reader.next_frame() == Frame(FrameType.DATA, b"xyz") and reader.buffered == 0
