"""``XLink.round_trip`` out of memory (CPython's ``_testcapi`` fault injection): a reply
whose head was read and whose body was not (``_xwire.round_trip`` allocates the reply's
bytes in between) leaves the body in the stream, where the next round trip would take
it for the head of its own reply.  So whichever one allocation fails, the link either
raises MemoryError and breaks itself (every later round trip refused), or stays in step:
the next round trip's reply is the one a fresh link gets.  Both readers: the C
extension's and the Python one's."""

from __future__ import annotations

import socket
import struct
from collections.abc import Iterator
from typing import Any

import pytest

from remoteapp.capture import x11_link, x11_wire
from remoteapp.capture.x11_link import XLink

LIST_EXTENSIONS = struct.pack("=BxH", 99, 1)  # a reply with a body of a few hundred bytes
GET_ATOM_NAME = struct.pack("=BxHI", 17, 2, 2)  # "SECONDARY": not a ListExtensions reply


@pytest.fixture(params=["native", "python"])
def reader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    if request.param == "native" and x11_link.native is None:
        pytest.skip("the _xwire C extension is not built")
    if request.param == "python":
        monkeypatch.setattr(x11_link, "native", None)
    yield request.param


def unread(link: XLink) -> int:
    """Bytes of the answer left behind: in the socket, and in the Python reader."""
    try:
        pending = len(link._sock.recv(1 << 16, socket.MSG_PEEK | socket.MSG_DONTWAIT))
    except BlockingIOError:
        pending = 0
    return pending + link._reader.buffered


@pytest.mark.display
def test_out_of_memory_mid_reply_breaks_the_link_or_leaves_it_in_step(
    xvfb_display: str, reader: str
) -> None:
    testcapi = pytest.importorskip("_testcapi")
    keeper = XLink(xvfb_display)  # (a fresh link's replies, to compare with)
    try:
        first, second = keeper.round_trip(LIST_EXTENSIONS), keeper.round_trip(GET_ATOM_NAME)
        faults(xvfb_display, reader == "native", first, second, testcapi)
    finally:
        keeper.close()


def faults(display: str, native: bool, first: bytes, second: bytes, testcapi: Any) -> None:
    """Each allocation of a round trip fails in turn, on a fresh link each time; ``first``
    and ``second`` are a fresh link's replies."""
    assert len(first) > 32 and second[32:41] == b"SECONDARY"
    broken = mid_reply = 0
    for k in range(60):
        link = XLink(display)
        try:
            assert link.native == native
            testcapi.set_nomemory(k, k + 1)  # exactly the k-th allocation fails
            try:
                got: bytes | None = link.round_trip(LIST_EXTENSIONS)
            except MemoryError:
                got = None
            finally:
                testcapi.remove_mem_hooks()
            if got is None:  # out of step unless broken: every later round trip refused
                left = unread(link)
                with pytest.raises(x11_wire.XWireError, match="broke earlier"):
                    link.round_trip(GET_ATOM_NAME)
                broken += 1
                mid_reply += left > 0
                if native and left:  # the C read the head, not the body
                    assert left == len(first) - 32, k
                continue
            assert got == first, k
            assert link.round_trip(GET_ATOM_NAME) == second, k  # still in step
        finally:
            link.close()
    assert broken, "no allocation of the round trip failed"
    assert mid_reply, "no failure came between a reply's head and its body"
