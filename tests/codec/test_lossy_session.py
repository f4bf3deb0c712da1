"""A hostile VP8 payload in a real session: the agent ends the session with a clear
protocol error (its reason and ``failure``), never a decoder crash or a frozen picture."""

from __future__ import annotations

import socket
import threading

import numpy as np

from remoteapp.codec import ScreenEncoder
from remoteapp.codec.geometry import Rect
from remoteapp.codec.update_format import Flag, PixelsOp, UpdateHeader, pack_update
from remoteapp.codec.vp8_codec import VP8_ID
from remoteapp.codec.zstd_stream import StreamCompressor
from remoteapp.errors import MalformedUpdate
from remoteapp.net.session import Hello, ScreenUpdate, SessionConnection
from remoteapp.net.session_state import Role
from remoteapp.session import AgentSession
from tests.codec.frames import texty
from tests.secure.peer import HandPeer, direct_pair


def test_a_hostile_vp8_payload_ends_the_session_with_a_protocol_error() -> None:
    ours, theirs = socket.socketpair()
    agent_params, customer_params = direct_pair()
    ended: list[str] = []
    done = threading.Event()
    with ours, theirs:
        session = AgentSession(
            ours, "Ana", secure=agent_params, on_end=lambda r: (ended.append(r), done.set())
        )
        peer = HandPeer(theirs, customer_params)
        session.start()
        customer = SessionConnection(Role.CUSTOMER)
        frame = texty(48, 64, 1)
        good = ScreenEncoder().encode(frame)
        # a key update whose one PIXELS op is a "VP8 key picture" of garbage
        payload = bytes([0, 1]) + b"\x00" * 3 + b"\x9d\x01\x2a" + bytes([64, 0, 48, 0]) + bytes(40)
        body = StreamCompressor().compress([payload])
        op = PixelsOp(Rect(0, 0, 64, 48), VP8_ID, len(payload))
        bad = pack_update(UpdateHeader(Flag.KEY, 1, 64, 48, 1, len(body), len(payload)), [op], body)
        peer.send(
            customer.send(Hello(Role.CUSTOMER, "Maria"))
            + customer.send(ScreenUpdate(0, good))
            + customer.send(ScreenUpdate(1, bad))
        )
        assert done.wait(20)
        assert ended[0].startswith("protocol error: ") and "vp8" in ended[0]
        assert isinstance(session.failure, MalformedUpdate)
        fb = session.decoder.framebuffer
        assert fb is not None and np.array_equal(fb, frame)  # the good picture stayed
