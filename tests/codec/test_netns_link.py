"""A video session over a real shaped network (issue 12; ``bench.netns``): the relay in
its own network namespace, the customer's veth shaped by the kernel's tbf at 5 Mbit/s
with a 64 KiB queue, a 40 ms round trip (a user-space delay line: this kernel has no
netem), the real ``remoteapp share`` process capturing an Xvfb screen where a synthetic
video plays (``bench.video_window``), and the agent session in this process.

Asserted is what holds on a busy two-core machine: the session runs; the video is coded
lossily (bytes per shown video frame a small part of what the lossless coding of the
same pictures takes); the queues of the relay and of the apps' relay sockets stay
bounded; nothing fails to decode (the session would end); and once the video stops, the
agent's picture becomes bit-exact (the lossless refresh).  Latency and frame rate are
bench figures (``python -m bench.shaped_link --netns``): on this machine the CPU sets
them, not the link.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from typing import Any

import numpy as np
import pytest

from bench import netns
from bench.lossy import _movie
from bench.video_window import H, W
from remoteapp.capture import ScreenGrabber
from remoteapp.codec import ScreenEncoder
from remoteapp.codec.decoder import DecodedUpdate
from remoteapp.codec.geometry import Rect
from remoteapp.net.session_state import Role
from remoteapp.secure import SecureParams
from remoteapp.secure.params import SHARE_KEY_ENV
from remoteapp.session import AgentSession
from remoteapp.session.relay_link import join_socket
from remotewire.tokens import issue_token
from tests import displays
from tests.conftest import ROOT, LineReader, client_env, stop

pytestmark = [pytest.mark.display, pytest.mark.timeout(240)]

PLAYER = Rect(200, 100, W, H)
SESSION = "netns-video"
MEASURE_S = 6.0
QUEUE_BOUND = 1 << 20  #: bytes; an unbounded queue at 5 Mbit/s would pass it in ~2 s


class Agent:
    """The agent's session, counting the updates that repaint the video."""

    def __init__(self, sock: socket.socket, secure: SecureParams) -> None:
        self.video_frames = 0
        self.changed = threading.Event()
        self.ended = threading.Event()
        self.end_reason = ""
        self.session = AgentSession(
            sock, "Ana", secure=secure, on_frame=self._frame, on_end=self._end
        )

    def _frame(self, fb: Any, update: DecodedUpdate) -> None:
        if any(not r.intersect(PLAYER).is_empty() for r in update.damage):
            self.video_frames += 1
        self.changed.set()

    def _end(self, reason: str) -> None:
        self.end_reason = reason
        self.ended.set()


def lossless_bytes_per_frame(screen: np.ndarray) -> float:
    """Update bytes of consecutive video pictures on this screen, coded losslessly."""
    enc = ScreenEncoder()
    sizes = []
    for i, bgr in enumerate(_movie(5, H, W)):
        frame = screen.copy()
        frame[PLAYER.y : PLAYER.bottom, PLAYER.x : PLAYER.right, :3] = bgr
        size = len(enc.encode(frame))
        if i:
            sizes.append(size)
    return float(np.median(sizes))


def test_video_over_a_real_shaped_link(tmp_path: Any) -> None:
    reason = netns.available()
    if reason is not None:
        pytest.skip(f"no shaped network namespace here: {reason}")
    secret = os.urandom(16).hex().encode()
    key = os.urandom(32)
    with contextlib.ExitStack() as stack:
        display = stack.enter_context(displays.xvfb(1280, 720))
        env = client_env(display)
        env[SHARE_KEY_ENV] = key.hex()
        link = stack.enter_context(netns.NetnsLink(5.0))
        link.start_relay(secret)
        player = subprocess.Popen(
            [sys.executable, "-m", "bench.video_window", str(PLAYER.x), str(PLAYER.y)],
            cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        stack.callback(stop, player)
        stack.callback(player.stdin.close)  # type: ignore[union-attr]
        played = LineReader(player)
        played.wait_for("ready", timeout=60)

        line = netns.DelayLine(link, issue_token(secret, SESSION, Role.CUSTOMER), 0.020)
        stack.callback(line.close)
        customer = subprocess.Popen(
            [sys.executable, "-m", "remoteapp", "share", "--connect",
             f"127.0.0.1:{line.port}", "--name", "Maria"],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        stack.callback(stop, customer)
        shared = LineReader(customer)
        sock = socket.create_connection((link.relay_for_agent, netns.RELAY_PORT), timeout=10)
        stack.callback(sock.close)
        trailing = join_socket(sock, issue_token(secret, SESSION, Role.AGENT), 60)
        sock.settimeout(None)
        agent = Agent(sock, SecureParams.for_direct(Role.AGENT, key))
        agent.session.start(trailing)
        stack.callback(agent.session.end, "test over")
        shared.wait_for("share event=agent", timeout=30)

        deadline = time.monotonic() + 60
        while agent.video_frames < 10 and time.monotonic() < deadline:
            agent.changed.wait(1)  # warm-up: the region turns on, the rate settles
            agent.changed.clear()
        assert agent.video_frames >= 10, "the video never reached the agent"

        frames0, bytes0, t0 = agent.video_frames, link.upload_bytes(), time.monotonic()
        peaks: dict[str, int] = {}
        while time.monotonic() - t0 < MEASURE_S:
            for name, value in {**link.socket_queues(), "tbf": link.qdisc_backlog()}.items():
                peaks[name] = max(peaks.get(name, 0), value)
            agent.ended.wait(0.25)  # sampling period (or the session ended: fail below)
        elapsed = time.monotonic() - t0
        frames = agent.video_frames - frames0
        sent = link.upload_bytes() - bytes0
        assert not agent.ended.is_set(), agent.end_reason
        with ScreenGrabber(display=display) as grabber:
            lossless = lossless_bytes_per_frame(grabber.grab(1).pixels)
        print(
            f"netns 5 Mbit/s: video {frames / elapsed:.1f} fps, {sent * 8 / elapsed / 1e6:.2f}"
            f" Mbit/s, {sent / max(frames, 1) / 1e3:.1f} kB a video frame (lossless: "
            f"{lossless / 1e3:.1f} kB); queue peaks {peaks}"
        )
        assert frames > 0
        assert sent / frames < lossless / 5, "the video is not coded lossily"
        assert sent * 8 / elapsed < 5.5e6  # the link's rate (tbf) holds
        for name, peak in peaks.items():
            assert peak <= QUEUE_BOUND, f"{name} queue reached {peak} bytes"

        player.stdin.write("stop\n")  # type: ignore[union-attr]
        player.stdin.flush()  # type: ignore[union-attr]
        played.wait_for("stopped", timeout=10)
        stopped = time.monotonic()
        with ScreenGrabber(display=display) as grabber:
            screen = grabber.grab(1).pixels
            deadline = stopped + 30
            while time.monotonic() < deadline:
                fb = agent.session.decoder.framebuffer
                if fb is not None and np.array_equal(fb, screen):
                    break
                agent.changed.wait(0.5)
                agent.changed.clear()
            else:
                raise AssertionError("the agent's picture never became exact after the video")
        print(f"exact {time.monotonic() - stopped:.2f} s after the video stopped")
        assert not agent.ended.is_set(), agent.end_reason
        assert line.error is None
