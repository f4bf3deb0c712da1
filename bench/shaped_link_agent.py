"""The agent of ``bench.shaped_link``, in a process of its own (its own interpreter lock,
as on its own computer): it decodes, acknowledges and presses a key whenever the last
press was answered, and reports input-to-pixel and the video's frame rate.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import socket
import statistics
import threading
import time

import numpy as np

from bench.lossy import LOSSY
from remoteapp.codec import ScreenDecoder
from remoteapp.codec.update_format import PixelsOp, parse_header, parse_ops
from remoteapp.codec.vp8_codec import VP8_ID
from remoteapp.net.session import (
    Hello,
    Key,
    ScreenUpdate,
    SessionConnection,
    UpdateAck,
)
from remoteapp.net.session_state import Role
from remoteapp.session.relay_link import join_socket
from remotewire.framing import NEED_DATA

MARK = (slice(120, 152), slice(200, 232))  #: the input marker, in the text beside the video
KEY_EVERY_S = 0.25


def pump(
    sock: socket.socket, conn: SessionConnection, on_event: object, initial: bytes = b""
) -> None:
    """Feed ``conn`` from ``sock`` and hand its events to ``on_event`` until the end."""
    handle = on_event  # a callable; typed loosely to keep the harness short
    if initial:  # what came with the relay's PAIRED
        conn.receive_data(initial)
        while (event := conn.next_event()) is not NEED_DATA:
            handle(event)  # type: ignore[operator]
    while True:
        try:
            data = sock.recv(65536)
        except OSError:
            data = b""
        conn.receive_data(data)
        while (event := conn.next_event()) is not NEED_DATA:
            handle(event)  # type: ignore[operator]
        if not data:
            return


def agent_main(
    address: tuple[str, int],
    seconds: float,
    results: multiprocessing.Queue[dict[str, float]],
    token: str | None = None,
) -> None:
    """The agent, in its own process (its own interpreter lock, as on its own computer):
    decode, acknowledge, press a key whenever the last press was answered.  ``token``:
    ``address`` is a relay, joined with it."""
    sock = socket.create_connection(address)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    trailing = join_socket(sock, token) if token else b""
    sock.settimeout(None)
    agent = SessionConnection(Role.AGENT)
    dec = ScreenDecoder()
    send_lock = threading.Lock()
    key_sent: dict[int, float] = {}
    latencies: list[float] = []
    vp8_times: list[float] = []
    errors: list[str] = []
    shown = [0]

    def send(data: bytes) -> None:
        with send_lock, contextlib.suppress(OSError):  # after the run: the customer is gone
            sock.sendall(data)

    def on_event(event: object) -> None:
        if not isinstance(event, ScreenUpdate):
            return
        try:
            dec.decode(event.data)
        except Exception as exc:  # a bench: record and go on
            errors.append(str(exc))
        ops = parse_ops(event.data, parse_header(event.data))
        if any(isinstance(op, PixelsOp) and op.codec == VP8_ID for op in ops):
            vp8_times.append(time.monotonic())
        fb = dec.framebuffer
        if fb is not None:
            on = int(fb[MARK][0, 0, 0] == 0)
            if on != shown[0] % 2 and (shown[0] + 1) in key_sent:
                latencies.append(time.monotonic() - key_sent.pop(shown[0] + 1))
                shown[0] += 1
        send(agent.send(UpdateAck(event.seq)))

    send(agent.send(Hello(Role.AGENT, "Ana", capabilities=tuple(sorted(LOSSY)))))
    reader = threading.Thread(target=pump, args=(sock, agent, on_event, trailing), daemon=True)
    reader.start()
    start = time.monotonic()
    n = 0
    while time.monotonic() - start < seconds:
        time.sleep(KEY_EVERY_S)
        if shown[0] == n:  # the last answer arrived: press again
            n += 1
            key_sent[n] = time.monotonic()
            send(agent.send(Key("a", True)) + agent.send(Key("a", False)))
    late = [t for t in vp8_times if t > start + seconds / 2]
    results.put(
        {
            "input_to_pixel_ms_p50": statistics.median(latencies) * 1e3 if latencies else -1,
            "input_to_pixel_ms_p95": (
                float(np.percentile(latencies, 95)) * 1e3 if latencies else -1
            ),
            "keys_answered": len(latencies),
            "video_fps_2nd_half": len(late) / (seconds / 2),
            "decode_errors": len(errors),
        }
    )
    sock.shutdown(socket.SHUT_RDWR)
    reader.join(5)
    sock.close()
